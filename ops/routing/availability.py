"""What a visitor is told when their chat opens (`helpline.status`, docs/protocol.md
§8.1): whether a shift is open, whether someone is available — never who — and when the
next shift opens. Called by chat through settings.CHAT_STATUS_PROVIDER."""

from __future__ import annotations

from datetime import datetime

from ops import clock
from ops.devices import selectors
from ops.models import Presence
from ops.rota import selectors as rota


def helpline_status(*, now: datetime) -> dict:
    """The status at ``now`` (a real instant, from chat) on the helpline's clock."""
    return status_at(clock.shifted(now))


def status_at(at: datetime) -> dict:
    """``{"open", "someone_here", "next_opening"}`` at ``at`` (the helpline's clock).

    ``open``: a shift with at least one person on it is open now (a shift nobody is on
    opens nothing, see ops/rota/selectors.py). ``someone_here``: one of them is shown as available
    (ops/devices/selectors.presence_shown: a dashboard connected or seen within the grace minute,
    and "available" chosen) — "open" with nobody available is told as it is.
    ``next_opening``: Unix seconds of the next staffed shift start when closed, else null.
    """
    staffed = [instance for instance in rota.shifts_open(at) if instance.staffed]
    on_shift = {user_id for instance in staffed for user_id in instance.staff_ids}
    someone_here = any(
        selectors.presence_shown(profile, at) == Presence.AVAILABLE
        for profile in selectors.routing_profiles(on_shift)
    )
    opening = None if staffed else rota.next_opening(at)
    return {
        "open": bool(staffed),
        "someone_here": someone_here,
        "next_opening": int(opening.timestamp()) if opening is not None else None,
    }
