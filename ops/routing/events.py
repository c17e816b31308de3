"""The staff side's live events and the JSON shapes they share with the dashboard API.

An event is ``(group, message)`` for the channel layer (chat/events.py). Staff sockets
relay ``{"type": "staff.event", "event", "data"}`` as a ``staff.event`` frame; visitor
sockets relay ``{"type": "helpline.status", ...}``. The caller chooses the recipients
(the group) and publishes after commit. ops/README.md lists every event and its data;
times are Unix seconds; no event carries message content or anything about a visitor
beyond the conversation's language and the skill it asks for.
"""

from __future__ import annotations

from datetime import datetime

from chat.events import STAFF_GROUP, VISITORS_GROUP, Event, staff_user_group
from ops.devices import selectors
from ops.models import Route, StaffProfile
from ops.rota import selectors as rota
from ops.routing import availability


def unix(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def staff_event(group: str, name: str, data: dict) -> Event:
    return group, {"type": "staff.event", "event": name, "data": data}


# -- shapes ---------------------------------------------------------------------------------


def route_json(route: Route, *, last_order: int | None = None) -> dict:
    """A conversation as the queue and "my conversations" show it. ``last_order`` when
    the caller knows it (it saves reading the conversation)."""
    return {
        "conversation_id": str(route.conversation_id),
        "state": route.state,
        "assigned_to": route.assigned_to_id,
        "language": route.language,
        "skill": route.skill,
        "waiting_since": unix(route.waiting_since),
        "last_order": last_order if last_order is not None else route.conversation.last_order,
        "visitor_last_order": route.visitor_last_order,
        "handed_over": route.handed_over,
    }


def member_json(profile: StaffProfile, *, at: datetime, load: int) -> dict:
    """A staff member as colleagues see them: presence shown, load, what they bring."""
    return {
        "user_id": profile.user_id,
        "name": selectors.display_name(profile.user),
        "label": profile.public_label,
        "presence": selectors.presence_shown(profile, at),
        "load": load,
        "capacity": profile.capacity,
        "languages": list(profile.languages),
        "skills": list(profile.skills),
    }


def instances_json(instances: list[rota.ShiftInstance], *, at: datetime) -> list[dict]:
    """Shift instances with their staff (presence and load), for the dashboard."""
    user_ids = {user_id for instance in instances for user_id in instance.staff_ids}
    profiles = {profile.user_id: profile for profile in selectors.routing_profiles(user_ids)}
    loads = selectors.loads_of(profiles)
    return [
        {
            "key": instance.key,
            "kind": instance.kind,
            "label": instance.label,
            "skill": instance.skill,
            "starts_at": unix(instance.starts_at),
            "ends_at": unix(instance.ends_at),
            "staff": [
                member_json(profiles[user_id], at=at, load=loads[user_id])
                for user_id in instance.staff_ids
                if user_id in profiles
            ],
        }
        for instance in instances
    ]


# -- events -----------------------------------------------------------------------------------


def queue_changed(route: Route, *, last_order: int | None = None) -> Event:
    """To every staff dashboard: a conversation joined, left or moved in the queue."""
    return staff_event(STAFF_GROUP, "queue.changed", route_json(route, last_order=last_order))


def conversation_assigned(user_id: int, conversation_id: str) -> Event:
    return staff_event(
        staff_user_group(user_id), "conversation.assigned", {"conversation_id": conversation_id}
    )


def presence_changed(profile: StaffProfile, *, at: datetime) -> Event:
    """To every staff dashboard: someone's presence or load changed."""
    load = selectors.loads_of([profile.user_id])[profile.user_id]
    data = member_json(profile, at=at, load=load)
    return staff_event(STAFF_GROUP, "presence.changed", data)


def shift_changed(*, at: datetime) -> Event:
    """To every staff dashboard: the open shifts (a shift opened or ended, the rota was
    edited) and the next opening."""
    opening = rota.next_opening(at)
    data = {"open": instances_json(rota.shifts_open(at), at=at), "next_opening": unix(opening)}
    return staff_event(STAFF_GROUP, "shift.changed", data)


def shift_reminder(user_id: int, *, ends_at: datetime, at: datetime) -> Event:
    minutes_left = max(0, round((ends_at - at).total_seconds() / 60))
    data = {"ends_at": unix(ends_at), "minutes_left": minutes_left}
    return staff_event(staff_user_group(user_id), "shift.reminder", data)


def status_changed(*, at: datetime) -> Event:
    """To every visitor socket: the helpline's status now (they show it as it comes;
    sending an unchanged status again is harmless)."""
    return VISITORS_GROUP, {"type": "helpline.status", **availability.status_at(at)}


def team_key_rotation_due(reasons: list[str]) -> Event:
    """The team key is due for rotation: the coordinator's dashboard and setup page say
    so (``reasons``: ``schedule``, ``device_revoked``)."""
    return staff_event(STAFF_GROUP, "team_key.rotation_due", {"reasons": reasons})
