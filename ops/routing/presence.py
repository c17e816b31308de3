"""Staff presence: available / busy / away, chosen by the person, shown to colleagues as
chosen only while a dashboard of theirs is connected (or for the grace minute after the
last one closed), and turned into "someone is here" for visitors — never who.

The staff socket calls ``staff_socket`` (settings.CHAT_STAFF_PRESENCE_HOOK) when a staff
device authenticates (``connected``), pings (``seen``) and closes (``closed``).
``presence_shown`` (ops/devices/selectors.py) is the rule; ``StaffProfile.presence_shown`` is
what dashboards were last told, changed with a conditional UPDATE so that a change is
announced once however many processes notice it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from chat.events import Event
from ops import clock
from ops.devices import selectors
from ops.errors import NotRoutable
from ops.models import Presence, StaffProfile
from ops.rota import selectors as rota
from ops.routing import events as staff_events

CONNECTED = "connected"
SEEN = "seen"
CLOSED = "closed"
# A ping refreshes last_seen_at at most this often: one write per socket per
# SEEN_WRITE_INTERVAL, not one per ping.
SEEN_WRITE_INTERVAL = timedelta(seconds=20)


@transaction.atomic
def staff_socket(*, user_id: int, event: str, now: datetime) -> list[Event]:
    """Count this person's open dashboards and when they were last seen; announce a
    change of what colleagues and visitors are shown."""
    at = clock.shifted(now)
    profile = (
        StaffProfile.objects.select_for_update()
        .filter(user_id=user_id, is_interpreter=False)
        .select_related("user")
        .first()
    )
    if profile is None:
        return []  # not someone conversations are routed to
    if event == SEEN and not seen_is_news(profile, at):
        return []
    profile.open_sockets = open_sockets_after(profile, event, at)
    profile.last_seen_at = at
    profile.save(update_fields=["open_sockets", "last_seen_at"])
    return presence_announce(profile, at=at)


def seen_is_news(profile: StaffProfile, at: datetime) -> bool:
    seen = profile.last_seen_at
    return seen is None or at - seen >= SEEN_WRITE_INTERVAL or profile.open_sockets == 0


def open_sockets_after(profile: StaffProfile, event: str, at: datetime) -> int:
    count = profile.open_sockets
    # A count that went stale (a worker died with sockets open) starts again from here.
    seen = profile.last_seen_at
    stale = seen is None or at - seen >= selectors.PRESENCE_SOCKET_STALE
    if event == CONNECTED:
        return 1 if stale else count + 1
    if event == CLOSED:
        return 0 if stale else max(count - 1, 0)
    return max(count, 1)  # seen: this socket at least is open


@transaction.atomic
def presence_set(*, user: AbstractBaseUser, presence: str, at: datetime) -> list[Event]:
    """The person chooses available, busy or away."""
    if presence not in Presence.values:
        raise ValueError(f"unknown presence {presence!r}")
    updated = StaffProfile.objects.filter(user=user, is_interpreter=False).update(presence=presence)
    if not updated:
        raise NotRoutable("only staff members have a presence")
    profile = StaffProfile.objects.select_related("user").get(user=user)
    return presence_announce(profile, at=at)


def presence_announce(profile: StaffProfile, *, at: datetime) -> list[Event]:
    """If what this person is shown as changed since dashboards were last told, tell
    them (and visitors, when the person is on shift: "someone is here" may change)."""
    shown = selectors.presence_shown(profile, at)
    changed = (
        StaffProfile.objects.filter(pk=profile.pk)
        .exclude(presence_shown=shown)
        .update(presence_shown=shown)
    )
    if not changed:
        return []
    events = [staff_events.presence_changed(profile, at=at)]
    if profile.user_id in rota.staff_on_shift(at):
        events.append(staff_events.status_changed(at=at))
    return events


def presences_refresh(*, at: datetime) -> list[Event]:
    """Announce the changes only time reveals (the grace minute ran out, a dead worker's
    sockets went stale). Run by the shift job."""
    events = []
    for profile in StaffProfile.objects.filter(is_interpreter=False).select_related("user"):
        if selectors.presence_shown(profile, at) != profile.presence_shown:
            with transaction.atomic():
                events += presence_announce(profile, at=at)
    return events
