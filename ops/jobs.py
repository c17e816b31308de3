"""The shift job (settings.PERIODIC_JOBS, every 30 s): what happens when a shift opens,
nears its end and ends.

- **opened**: visitors get the new status, dashboards the open shifts, and with
  auto-assign the waiting conversations go to the staff now on shift;
- **reminded** (15 minutes before the end): each person whose shift really ends then
  (not carried on by another instance) gets a ``shift.reminder``;
- **ended**: the conversations of the people leaving go back to the queue (or to the
  next shift with auto-assign), visitors and dashboards get the new state.

Each action runs in one transaction with the insert of its ShiftEvent row (unique per
shift instance and kind): with several workers, or a run that overlaps the next, the
first insert wins and the others skip, so nothing is done twice. An action that fails
rolls its row back and is tried again on the next run. Events are published after
commit. The job looks back LOOKBACK for ends it missed (a worker that was down).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from chat.events import Event, events_publish_on_commit
from ops import clock
from ops.models import ShiftEvent
from ops.rota import selectors as rota
from ops.routing import events as staff_events
from ops.routing import presence
from ops.routing import services as routing

logger = logging.getLogger(__name__)

REMINDER_BEFORE_END = timedelta(minutes=15)
LOOKBACK = timedelta(hours=12)
SHIFT_EVENTS_KEPT = timedelta(days=30)

Action = Callable[[rota.ShiftInstance, datetime], list[Event]]


def shifts_job() -> None:
    events = shifts_tick(at=clock.now())
    if events:
        logger.info("shift job: %d events", len(events))


def shifts_tick(*, at: datetime) -> list[Event]:
    """One run at ``at``; returns the events it published (after commit)."""
    instances = rota.instances_between(at - LOOKBACK, at + REMINDER_BEFORE_END)
    events: list[Event] = []
    for instance in instances:
        if instance.is_open(at):
            events += once(instance, ShiftEvent.Kind.OPENED, at, shift_opened)
        if instance.ends_at - REMINDER_BEFORE_END <= at < instance.ends_at:
            events += once(instance, ShiftEvent.Kind.REMINDED, at, shift_remind)
        if instance.ends_at <= at:
            events += once(instance, ShiftEvent.Kind.ENDED, at, shift_ended)
    presence_events = presence.presences_refresh(at=at)
    events_publish_on_commit(presence_events)
    ShiftEvent.objects.filter(created_at__lt=at - SHIFT_EVENTS_KEPT).delete()
    return events + presence_events


def once(instance: rota.ShiftInstance, kind: str, at: datetime, action: Action) -> list[Event]:
    """Run ``action`` unless it was done for this instance already (by any process)."""
    try:
        with transaction.atomic():
            ShiftEvent.objects.create(instance_key=instance.key, kind=kind, created_at=at)
            events = action(instance, at)
            events_publish_on_commit(events)
    except IntegrityError:
        return []  # another run did it (or is doing it: its insert holds the key)
    except Exception as error:  # noqa: BLE001 — rolled back; the next run tries again
        logger.error("shift %s %s failed: %s", instance.key, kind, type(error).__name__)
        return []
    logger.info("shift %s %s", instance.key, kind)
    return events


def shift_opened(instance: rota.ShiftInstance, at: datetime) -> list[Event]:
    return [
        staff_events.shift_changed(at=at),
        staff_events.status_changed(at=at),
        *routing.routes_auto_assign_waiting(at=at),
    ]


def shift_remind(instance: rota.ShiftInstance, at: datetime) -> list[Event]:
    later = rota.instances_between(instance.ends_at, instance.ends_at)
    return [
        staff_events.shift_reminder(user_id, ends_at=instance.ends_at, at=at)
        for user_id in instance.staff_ids
        if not rota.continuing_after(instance, user_id, later)
    ]


def shift_ended(instance: rota.ShiftInstance, at: datetime) -> list[Event]:
    on_shift = rota.staff_on_shift(at)
    leaving = [user_id for user_id in instance.staff_ids if user_id not in on_shift]
    return [
        *routing.routes_hand_over(user_ids=leaving, at=at),
        staff_events.shift_changed(at=at),
        staff_events.status_changed(at=at),
    ]
