"""What the shift dashboard loads (GET /staff/api/dashboard); reads only. The dashboard
then keeps itself up to date from `staff.event` frames (ops/routing/events.py), whose data
have the same shapes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max

from chat.models import Device, Participant
from ops.models import Note, Route, StaffProfile
from ops.rota import selectors as rota
from ops.routing import services as routing
from ops.routing.events import instances_json, member_json, route_json, unix


def dashboard_state(*, user: AbstractBaseUser, profile: StaffProfile, at: datetime) -> dict:
    open_instances = rota.shifts_open(at)
    queue = routing.queue(for_user=user)
    mine = list(
        Route.objects.filter(state=Route.State.ASSIGNED, assigned_to=user)
        .select_related("conversation")
        .order_by("assigned_at", "pk")
    )
    notes = notes_counts([route.pk for route in queue + mine])
    read = last_read_orders(user, [route.pk for route in mine])
    return {
        "now": unix(at),
        "me": me_json(user, profile, at=at, load=len(mine), open_instances=open_instances),
        "shifts": instances_json(open_instances, at=at),
        "queue": [queue_entry_json(route, at=at, notes=notes) for route in queue],
        "mine": [
            {
                **route_json(route),
                "assigned_at": unix(route.assigned_at),
                "last_read_order": read.get(route.pk, 0),
                "notes": notes.get(route.pk, 0),
            }
            for route in mine
        ],
        "next_opening": unix(rota.next_opening(at)),
        "auto_assign": settings.HELPLINE_AUTO_ASSIGN,
    }


def me_json(
    user: AbstractBaseUser,
    profile: StaffProfile,
    *,
    at: datetime,
    load: int,
    open_instances: list[rota.ShiftInstance],
) -> dict:
    on_shift = any(user.pk in instance.staff_ids for instance in open_instances)
    return {
        **member_json(profile, at=at, load=load),
        "presence_chosen": profile.presence,
        "is_coordinator": profile.is_coordinator,
        "on_shift": on_shift,
        "shift_ends_at": unix(shift_end_of(user.pk, at)) if on_shift else None,
    }


def queue_entry_json(route: Route, *, at: datetime, notes: dict) -> dict:
    return {
        **route_json(route),
        "waiting_seconds": max(0, int((at - route.waiting_since).total_seconds())),
        "language_match": bool(route.language_match),
        "skill_match": route.skill_rank == 2,
        "notes": notes.get(route.pk, 0),
    }


def shift_end_of(user_id: int, at: datetime) -> datetime | None:
    """When this person's time on shift ends: the end of their open instance, carried on
    through instances of theirs that follow without a gap (14–17 then 17–20 ends at 20)."""
    instances = [
        instance
        for instance in rota.instances_between(at, at + timedelta(days=1))
        if user_id in instance.staff_ids
    ]
    end = max((i.ends_at for i in instances if i.is_open(at)), default=None)
    while end is not None:
        later = max((i.ends_at for i in instances if i.starts_at <= end < i.ends_at), default=None)
        if later is None:
            return end
        end = later
    return None


def notes_counts(conversation_ids: list) -> dict:
    rows = (
        Note.objects.filter(conversation_id__in=conversation_ids)
        .values("conversation_id")
        .annotate(n=Count("pk"))
    )
    return {row["conversation_id"]: row["n"] for row in rows}


def last_read_orders(user: AbstractBaseUser, conversation_ids: list) -> dict:
    """How far this person has read each conversation, on any of their devices."""
    devices = [str(pk) for pk in Device.objects.filter(user=user).values_list("pk", flat=True)]
    rows = (
        Participant.objects.filter(conversation_id__in=conversation_ids, party_id__in=devices)
        .values("conversation_id")
        .annotate(read=Max("last_read_order"))
    )
    return {row["conversation_id"]: row["read"] for row in rows}
