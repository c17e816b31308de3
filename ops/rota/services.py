"""The coordinator's edits of the rota: weekly slots, one-off shifts, closures, and the
public holidays seeded as closures. Every edit returns the events that tell dashboards
(the open shifts may have changed) and visitors (the status may have changed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

import holidays
from django.db import transaction

from chat.events import Event
from ops.devices import selectors
from ops.errors import NotFound, RotaInvalid
from ops.models import Closure, Shift, Slot
from ops.routing import events as staff_events

RotaModel = type[Slot] | type[Shift]


def rota_changed(at: datetime) -> list[Event]:
    return [staff_events.shift_changed(at=at), staff_events.status_changed(at=at)]


def staff_check(user_ids: Iterable[int]) -> list[int]:
    """Only active staff members who take conversations can be put on the rota."""
    wanted = sorted(set(user_ids))
    found = {profile.user_id for profile in selectors.routing_profiles(wanted)}
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        raise RotaInvalid(f"not staff members who take conversations: {missing}")
    return wanted


def times_check(start: time, end: time) -> None:
    if start == end:
        raise RotaInvalid("a shift must not start and end at the same time")


@transaction.atomic
def rota_entry_create(
    model: RotaModel, *, fields: dict[str, Any], staff_ids: Iterable[int], at: datetime
) -> tuple[Slot | Shift, list[Event]]:
    """A new weekly slot or one-off shift with its staff."""
    times_check(fields["start"], fields["end"])
    staff = staff_check(staff_ids)
    entry = model.objects.create(**fields)
    entry.staff.set(staff)
    return entry, rota_changed(at)


@transaction.atomic
def rota_entry_update(
    model: RotaModel,
    *,
    entry_id: int,
    fields: dict[str, Any],
    staff_ids: Iterable[int] | None,
    at: datetime,
) -> tuple[Slot | Shift, list[Event]]:
    """Change some fields of a slot or shift; ``staff_ids`` None keeps its staff."""
    entry = model.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("no such slot or shift")
    for name, value in fields.items():
        setattr(entry, name, value)
    times_check(entry.start, entry.end)
    entry.save()
    if staff_ids is not None:
        entry.staff.set(staff_check(staff_ids))
    return entry, rota_changed(at)


@transaction.atomic
def rota_entry_delete(model: RotaModel, *, entry_id: int, at: datetime) -> list[Event]:
    deleted, _ = model.objects.filter(pk=entry_id).delete()
    if not deleted:
        raise NotFound("no such slot or shift")
    return rota_changed(at)


def dates_check(start_date: date, end_date: date) -> None:
    if end_date < start_date:
        raise RotaInvalid("a closure ends on or after the day it starts")


@transaction.atomic
def closure_create(
    *, start_date: date, end_date: date, reason: str, at: datetime
) -> tuple[Closure, list[Event]]:
    dates_check(start_date, end_date)
    closure, created = Closure.objects.get_or_create(
        start_date=start_date, reason=reason, defaults={"end_date": end_date}
    )
    if not created:
        raise RotaInvalid("this closure exists already")
    return closure, rota_changed(at)


@transaction.atomic
def closure_update(
    *, closure_id: int, fields: dict[str, Any], at: datetime
) -> tuple[Closure, list[Event]]:
    closure = Closure.objects.select_for_update().filter(pk=closure_id).first()
    if closure is None:
        raise NotFound("no such closure")
    for name, value in fields.items():
        setattr(closure, name, value)
    dates_check(closure.start_date, closure.end_date)
    closure.save()
    return closure, rota_changed(at)


@transaction.atomic
def closure_delete(*, closure_id: int, at: datetime) -> list[Event]:
    deleted, _ = Closure.objects.filter(pk=closure_id).delete()
    if not deleted:
        raise NotFound("no such closure")
    return rota_changed(at)


@transaction.atomic
def closures_public_holidays(*, years: Iterable[int], subdivision: str | None = None) -> int:
    """Add France's public holidays of these years as closures (idempotent); return how
    many were added. ``subdivision`` is a département code where the list differs
    (e.g. "57" Moselle, "974" La Réunion), from the `holidays` package."""
    calendar = holidays.country_holidays("FR", subdiv=subdivision, years=list(years), language="fr")
    added = 0
    for day, name in sorted(calendar.items()):
        _, created = Closure.objects.get_or_create(
            start_date=day, reason=name, defaults={"end_date": day}
        )
        added += created
    return added
