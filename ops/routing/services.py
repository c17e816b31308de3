"""Routing (DESIGN §6.2): the queue, claims, transfers, closing, auto-assign, hand-over.

Every conversation whose visitor has written (made by the first message, not by the
open, so a flood of opens never reaches the queue) has one Route: ``waiting`` (in the
queue) → ``assigned`` (to one staff member) → ``closed``; back to ``waiting`` on a cold
transfer, at a shift's end, or when the visitor writes again after it was closed. Writes
are race-free by the database: a claim is ``UPDATE … WHERE state = 'waiting'`` and its
row count (of two staff clicking at once on two servers, exactly one wins); capacity is
checked under a lock on the claimer's StaffProfile row, so one person's two tabs cannot
both take the last place. Lock order, everywhere: staff profile(s), then the route.

Every function returns the events to publish after commit (ops/routing/events.py); the
hooks take chat's ``now`` and put it on the helpline's clock (ops/clock.py), the others
take ``at``, already on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Greatest

from chat.errors import TeamKeyUnknown
from chat.events import Event
from chat.models import Conversation, TeamKey
from chat.services.conversations import conversation_mark_closed
from ops import clock
from ops.devices import selectors
from ops.errors import (
    AlreadyClaimed,
    NotFound,
    NotOnShift,
    NotRoutable,
    NotYours,
    OverCapacity,
    RouteStateConflict,
)
from ops.models import Campaign, Note, Presence, Route, StaffProfile
from ops.push import services as push
from ops.push.models import PushOutbox
from ops.rota import selectors as rota
from ops.routing import events as staff_events
from ops.routing.visitor_route import visitors_told


@dataclass(frozen=True)
class SealedNote:
    """A note as the staff browser sealed it: HPKE enc ‖ ciphertext, and the team key
    version it was sealed to (docs/protocol.md §6.4)."""

    ct: bytes
    team_key_version: int


def language_primary(code: str) -> str:
    """ "pt-BR" → "pt": staff list the languages they speak, not regional variants."""
    return code.split("-")[0].lower()


# -- the hooks chat calls (ops/README.md) ----------------------------------------------------


def conversation_opened(
    *, conversation: Conversation, campaign_code: str, now: datetime
) -> list[Event]:
    """A new conversation does NOT join the queue yet: an open costs nothing
    and a flood of them must not fill the queue. Its route is made by its visitor's first
    message (visitor_wrote); one whose visitor never writes is deleted by the expiry job
    within CHAT_EMPTY_CONVERSATION_MINUTES, never seen by staff nor counted."""
    return []


def visitor_wrote(*, conversation_id: str, order: int, now: datetime) -> list[Event]:
    """The visitor wrote: dashboards update the conversation's row (waiting, unread).
    A closed conversation the visitor writes in again goes back to the queue."""
    at = clock.shifted(now)
    route = route_unread_move(conversation_id, order)
    if route is not None:  # the common case, in one statement
        if route.state == Route.State.ASSIGNED:  # told by push if away
            push.staff_member_told(
                user_id=route.assigned_to_id, kind=PushOutbox.Kind.MESSAGE, at=at
            )
        return [staff_events.queue_changed(route, last_order=order)]
    Route.objects.filter(pk=conversation_id).update(
        visitor_last_order=Greatest(F("visitor_last_order"), order)
    )
    reopened = Route.objects.filter(pk=conversation_id, state=Route.State.CLOSED).update(
        state=Route.State.WAITING,
        waiting_since=at,
        assigned_to=None,
        assigned_at=None,
        closed_at=None,
        handed_over=False,
    )
    route = route_get(conversation_id)
    if route is None:  # the visitor's first message: it joins the queue now
        route = route_create_late(conversation_id, order=order, at=at)
        reopened = True
    if reopened:
        return route_queued(route, at=at)
    return [staff_events.queue_changed(route)]


def route_unread_move(conversation_id: str, order: int) -> Route | None:
    """Raise the visitor's last order of a route that is not closed, in one
    ``UPDATE … RETURNING`` (this runs in the transaction of every visitor message); None
    when there is no such route."""
    table = connection.ops.quote_name(Route._meta.db_table)
    sql = (
        f"UPDATE {table} SET visitor_last_order = CASE WHEN visitor_last_order < %s"  # noqa: S608
        " THEN %s ELSE visitor_last_order END WHERE conversation_id = %s AND state <> %s"
        " RETURNING *"
    )
    pk = Route._meta.pk.get_db_prep_value(conversation_id, connection)
    rows = list(Route.objects.raw(sql, [order, order, pk, Route.State.CLOSED]))
    return rows[0] if rows else None


def campaign_skill(code: str) -> str:
    if not code:
        return ""
    return Campaign.objects.filter(code=code).values_list("skill", flat=True).first() or ""


def route_create_late(conversation_id: str, *, order: int, at: datetime) -> Route:
    conversation = Conversation.objects.get(pk=conversation_id)
    Route.objects.create(
        conversation=conversation,
        language=language_primary(conversation.language),
        skill=campaign_skill(conversation.campaign_code),
        waiting_since=at,
        visitor_last_order=order,
    )
    return route_get(conversation_id)


def route_get(conversation_id: str) -> Route | None:
    return Route.objects.select_related("conversation").filter(pk=conversation_id).first()


def route_queued(route: Route, *, at: datetime, exclude: Iterable[int] = ()) -> list[Event]:
    """A route just joined the queue: auto-assign it if the helpline does; announce it
    (to the dashboards, and to the visitors: theirs, and those waiting behind)."""
    if settings.HELPLINE_AUTO_ASSIGN:
        events = route_auto_assign(route, at=at, exclude=exclude)
        if events:
            assigned = route_get(str(route.pk))
            push.staff_member_told(
                user_id=assigned.assigned_to_id, kind=PushOutbox.Kind.CONVERSATION, at=at
            )
            return events + visitors_told([assigned])
    push.conversation_queued(at=at)  # staff on shift (or on call) told by push
    return [staff_events.queue_changed(route), *visitors_told([route])]


# -- the queue ---------------------------------------------------------------------------------


def queue(*, for_user: AbstractBaseUser | None = None) -> list[Route]:
    """Waiting conversations, best match for ``for_user`` first: the visitor's language
    among theirs, then the skill asked for among theirs (a conversation asking for a
    skill they lack comes after one asking for none), then the oldest waiting."""
    profile = StaffProfile.objects.filter(user=for_user).first() if for_user else None
    languages = list(profile.languages) if profile else []
    skills = list(profile.skills) if profile else []
    return list(
        Route.objects.filter(state=Route.State.WAITING)
        .select_related("conversation")
        .annotate(
            language_match=Case(
                When(language__in=languages, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
            skill_rank=Case(
                When(skill__in=skills, then=Value(2)),
                When(skill="", then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("-language_match", "-skill_rank", "waiting_since", "pk")
    )


# -- who may take conversations ------------------------------------------------------------


def profile_for_routing(user: AbstractBaseUser) -> StaffProfile:
    """The staff profile routing uses, locked for this transaction. A superuser without
    one (the demo account) gets a coordinator's profile, as ops/devices/selectors.py treats them."""
    profile = StaffProfile.objects.select_for_update().filter(user=user).first()
    if profile is None and user.is_superuser:
        StaffProfile.objects.get_or_create(user=user, defaults={"is_coordinator": True})
        profile = StaffProfile.objects.select_for_update().get(user=user)
    if profile is None or profile.is_interpreter or not user.is_active:
        raise NotRoutable("this account takes no conversations")
    return profile


def colleague_for_routing(user_id: int) -> StaffProfile:
    profile = (
        StaffProfile.objects.select_for_update()
        .filter(user_id=user_id, is_interpreter=False, user__is_active=True)
        .first()
    )
    if profile is None:
        raise NotFound("no such staff member")
    return profile


def capacity_check(profile: StaffProfile) -> None:
    """Under the profile's lock: refuse one conversation more than its capacity."""
    if selectors.loads_of([profile.user_id])[profile.user_id] >= profile.capacity:
        raise OverCapacity(f"at most {profile.capacity} open conversations")


def shift_check(profile: StaffProfile, at: datetime) -> None:
    if not profile.is_coordinator and profile.user_id not in rota.staff_on_shift(at):
        raise NotOnShift("not on a shift open now")


# -- staff actions --------------------------------------------------------------------------


@transaction.atomic
def route_claim(*, conversation_id: str, user: AbstractBaseUser, at: datetime) -> list[Event]:
    """Take a waiting conversation. Staff on shift may; a coordinator may at any time."""
    profile = profile_for_routing(user)
    shift_check(profile, at)
    capacity_check(profile)
    claimed = Route.objects.filter(pk=conversation_id, state=Route.State.WAITING).update(
        state=Route.State.ASSIGNED, assigned_to=user, assigned_at=at
    )
    if not claimed:
        if not Route.objects.filter(pk=conversation_id).exists():
            raise NotFound("no such conversation")
        raise AlreadyClaimed("someone else took this conversation")
    route = route_get(conversation_id)
    return assigned_events(route, profile, at=at) + visitors_told([route])


@transaction.atomic
def route_transfer(
    *,
    conversation_id: str,
    user: AbstractBaseUser,
    to_user_id: int | None,
    note: SealedNote | None,
    at: datetime,
) -> list[Event]:
    """Hand an assigned conversation to a colleague on shift (warm) or back to the queue
    (cold, keeping its place), with an optional sealed note. The person it is assigned to
    may; so may a coordinator."""
    actor = profile_for_routing(user)
    target = colleague_for_routing(to_user_id) if to_user_id is not None else None
    if target is not None:
        shift_check(target, at)
        capacity_check(target)
    route = route_locked(conversation_id)
    if route.state != Route.State.ASSIGNED:
        raise RouteStateConflict("only an assigned conversation can be transferred")
    if route.assigned_to_id != user.pk and not actor.is_coordinator:
        raise NotYours("this conversation is someone else's")
    previous = route.assigned_to_id
    if target is not None and target.user_id == previous:
        raise RouteStateConflict("the conversation is already theirs")
    if note is not None:
        note_store(
            conversation_id=conversation_id, author=user, kind=Note.Kind.TRANSFER, note=note, at=at
        )
    route.handed_over = True
    if target is not None:
        route.assigned_to_id, route.assigned_at = target.user_id, at
    else:
        route.state, route.assigned_to_id, route.assigned_at = Route.State.WAITING, None, None
    route.save(update_fields=["state", "assigned_to", "assigned_at", "handed_over"])
    events = [staff_events.presence_changed(profile_of(previous), at=at)]
    if target is not None:
        return assigned_events(route, target, at=at) + events
    # Back to the queue: route_queued tells the visitors.
    return route_queued(route, at=at, exclude=[previous]) + events


@transaction.atomic
def route_close(*, conversation_id: str, user: AbstractBaseUser, at: datetime) -> list[Event]:
    """The conversation is done (closing twice is harmless). The person it is assigned
    to may close it; a coordinator may close any, waiting ones too. If the visitor writes
    again, it goes back to the queue (visitor_wrote)."""
    actor = profile_for_routing(user)
    route = route_locked(conversation_id)
    if route.state == Route.State.CLOSED:
        return []
    mine = route.state == Route.State.ASSIGNED and route.assigned_to_id == user.pk
    if not (mine or actor.is_coordinator):
        raise NotYours("only the person it is assigned to (or a coordinator) closes it")
    previous = route.assigned_to_id if route.state == Route.State.ASSIGNED else None
    route.state, route.closed_at, route.handed_over = Route.State.CLOSED, at, False
    route.assigned_to_id, route.assigned_at = None, None
    route.save(update_fields=["state", "closed_at", "handed_over", "assigned_to", "assigned_at"])
    conversation_mark_closed(conversation_id=conversation_id, at=at)
    events = [staff_events.queue_changed(route), *visitors_told([route])]
    if previous is not None:
        events.append(staff_events.presence_changed(profile_of(previous), at=at))
    return events


@transaction.atomic
def route_note_add(
    *, conversation_id: str, user: AbstractBaseUser, note: SealedNote, at: datetime
) -> Note:
    """A hand-over note, written before the shift ends by the person who has the
    conversation (or a coordinator); the next shift reads it."""
    actor = profile_for_routing(user)
    route = route_locked(conversation_id)
    if route.assigned_to_id != user.pk and not actor.is_coordinator:
        raise NotYours("only the person it is assigned to (or a coordinator) writes its notes")
    return note_store(
        conversation_id=conversation_id, author=user, kind=Note.Kind.HANDOVER, note=note, at=at
    )


def note_store(
    *, conversation_id: str, author: AbstractBaseUser, kind: str, note: SealedNote, at: datetime
) -> Note:
    """Store a sealed note. The server cannot check what is inside; it checks that the
    team key version is one staff devices can open."""
    if not TeamKey.objects.filter(
        version=note.team_key_version, destroyed_at__isnull=True
    ).exists():
        raise TeamKeyUnknown("no live team key has this version")
    return Note.objects.create(
        conversation_id=conversation_id,
        author=author,
        kind=kind,
        ciphertext=note.ct,
        team_key_version=note.team_key_version,
        created_at=at,
    )


def route_locked(conversation_id: str) -> Route:
    route = (
        Route.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .filter(pk=conversation_id)
        .first()
    )
    if route is None:
        raise NotFound("no such conversation")
    return route


def profile_of(user_id: int) -> StaffProfile:
    return StaffProfile.objects.select_related("user").get(user_id=user_id)


def assigned_events(route: Route, profile: StaffProfile, *, at: datetime) -> list[Event]:
    return [
        staff_events.queue_changed(route),
        staff_events.conversation_assigned(profile.user_id, str(route.conversation_id)),
        staff_events.presence_changed(profile_of(profile.user_id), at=at),
    ]


# -- the helpline's own moves ------------------------------------------------------------


def candidates_ranked(
    route: Route, *, at: datetime, exclude: Iterable[int] = ()
) -> list[StaffProfile]:
    """Available staff on shift with room for one more, best first: the visitor's
    language, the skill asked for, the fewest conversations."""
    on_shift = rota.staff_on_shift(at) - set(exclude)
    available = [
        profile
        for profile in selectors.routing_profiles(on_shift)
        if selectors.presence_shown(profile, at) == Presence.AVAILABLE
    ]
    loads = selectors.loads_of(profile.user_id for profile in available)

    def rank(profile: StaffProfile) -> tuple:
        return (
            route.language not in profile.languages,
            not (route.skill and route.skill in profile.skills),
            loads[profile.user_id],
            profile.user_id,
        )

    return sorted((p for p in available if loads[p.user_id] < p.capacity), key=rank)


def route_auto_assign(route: Route, *, at: datetime, exclude: Iterable[int] = ()) -> list[Event]:
    """Give a waiting route to the best candidate; [] if nobody fits (it stays queued).
    A conversation asking for a skill goes to someone with it when one is available,
    else to the best other match: a reply now beats a perfect reply tomorrow, and they
    can transfer it."""
    for candidate in candidates_ranked(route, at=at, exclude=exclude):
        profile = colleague_for_routing(candidate.user_id)  # locked; capacity rechecked
        if selectors.loads_of([profile.user_id])[profile.user_id] >= profile.capacity:
            continue
        assigned = Route.objects.filter(pk=route.pk, state=Route.State.WAITING).update(
            state=Route.State.ASSIGNED, assigned_to_id=profile.user_id, assigned_at=at
        )
        if not assigned:
            return []  # claimed meanwhile
        return assigned_events(route_get(str(route.pk)), profile, at=at)
    return []


@transaction.atomic
def routes_auto_assign_waiting(*, at: datetime) -> list[Event]:
    """When a shift opens: waiting conversations, oldest first, to available staff."""
    if not settings.HELPLINE_AUTO_ASSIGN:
        return []
    events = []
    waiting = Route.objects.filter(state=Route.State.WAITING).select_related("conversation")
    assigned = []
    for route in waiting.order_by("waiting_since", "pk"):
        given = route_auto_assign(route, at=at)
        if given:
            events += given
            assigned.append(route_get(str(route.pk)))
    return events + visitors_told(assigned) if assigned else events


@transaction.atomic
def routes_hand_over(*, user_ids: Iterable[int], at: datetime) -> list[Event]:
    """At a shift's end: the conversations of the people leaving go back to the queue,
    marked ``handed_over`` and keeping their place (or, with auto-assign, straight to the
    best available colleague still on shift). Their notes stay with the conversation."""
    leaving = sorted(set(user_ids))
    routes = list(
        Route.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .filter(state=Route.State.ASSIGNED, assigned_to_id__in=leaving)
        .order_by("waiting_since", "pk")
    )
    events = []
    had_routes = {route.assigned_to_id for route in routes}
    for route in routes:
        route.state, route.assigned_to_id, route.assigned_at = Route.State.WAITING, None, None
        route.handed_over = True
        route.save(update_fields=["state", "assigned_to", "assigned_at", "handed_over"])
        events += route_queued(route, at=at, exclude=leaving)
    for user_id in sorted(had_routes):
        events.append(staff_events.presence_changed(profile_of(user_id), at=at))
    return newest_per_visitor(events)


def newest_per_visitor(events: list[Event]) -> list[Event]:
    """Each route handed back told every waiting visitor their place: only the last
    word to each visitor goes out."""
    last = {
        group: index
        for index, (group, message) in enumerate(events)
        if message["type"] == "conversation.route"
    }
    return [
        (group, message)
        for index, (group, message) in enumerate(events)
        if message["type"] != "conversation.route" or last[group] == index
    ]
