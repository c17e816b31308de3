"""The rota in time: which shifts are open at an instant, when the next one opens, who is
on shift. Reads only; the coordinator's edits are in ops/rota/services.py.

A **shift instance** is a weekly slot or a one-off shift on one date, with concrete
start and end instants. Slots and shifts hold wall-clock times in the helpline's zone
(settings.TIME_ZONE); they become aware datetimes here, with zoneinfo:

- a slot keeps its wall-clock hours across a DST change (14:00–17:00 is 14:00–17:00 in
  winter and summer), so the instant it covers moves with the zone's offset;
- a wall time that does not exist (the spring-forward gap, 02:00–03:00 on the last
  Sunday of March in Paris) starts at the first instant after the gap;
- a wall time that exists twice (the fall-back night) is its first occurrence;
- an end at or before the start ends on the next day (a night shift).

Closures skip weekly slots only; one-off shifts open on a closure day too (someone put
them there on purpose). Overlapping instances are all open.

**A shift nobody is on** is listed by ``shifts_open`` (the dashboard shows it, so the
coordinator sees the hole) but it opens nothing for visitors: ``next_opening`` and
``staff_on_shift`` only count instances with at least one staff member, and
ops/routing/availability.py tells a visitor "open" only when such an instance is open. A visitor
is never told someone is there when the rota has no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from ops.models import Closure, RotaEntry, Shift, Slot

NEXT_OPENING_SCAN_DAYS = 21
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ShiftInstance:
    """A slot or one-off shift on a date. ``key`` names it for ShiftEvent and the API:
    ``slot:<id>:<date>`` or ``shift:<id>``."""

    key: str
    kind: str  # "slot" or "shift"
    entry_id: int
    label: str
    skill: str
    starts_at: datetime
    ends_at: datetime
    staff_ids: tuple[int, ...]

    def is_open(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    @property
    def staffed(self) -> bool:
        return bool(self.staff_ids)


def helpline_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(at: datetime) -> date:
    return at.astimezone(helpline_zone()).date()


def wall_time_exists(moment: datetime) -> bool:
    """Whether an aware local datetime names a real instant (not one in a DST gap)."""
    there_and_back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return there_and_back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def local_instant(day: date, wall: time) -> datetime:
    """The UTC instant of ``wall`` on ``day`` in the helpline's zone (see the module's
    docstring for gaps and repeated hours)."""
    zone = helpline_zone()
    moment = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two
    if not wall_time_exists(moment):
        # In the gap: walk forward minute by minute to the first wall time that exists;
        # gaps are whole minutes (an hour in France), so this ends within the hour.
        naive = moment.replace(tzinfo=None, second=0, microsecond=0)
        while not wall_time_exists(moment):
            naive += timedelta(minutes=1)
            moment = naive.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def instance_of(entry: RotaEntry, day: date, key: str, kind: str) -> ShiftInstance:
    end_day = day + ONE_DAY if entry.end <= entry.start else day
    return ShiftInstance(
        key=key,
        kind=kind,
        entry_id=entry.pk,
        label=entry.label,
        skill=entry.skill,
        starts_at=local_instant(day, entry.start),
        ends_at=local_instant(end_day, entry.end),
        staff_ids=tuple(sorted(user.pk for user in entry.staff.all())),
    )


def active_staff() -> Prefetch:
    """A deactivated account is on no shift, whatever the rota still says."""
    return Prefetch("staff", queryset=get_user_model().objects.filter(is_active=True).only("pk"))


def closed_days(first: date, last: date) -> set[date]:
    days: set[date] = set()
    for closure in Closure.objects.filter(start_date__lte=last, end_date__gte=first):
        day = max(closure.start_date, first)
        while day <= min(closure.end_date, last):
            days.add(day)
            day += ONE_DAY
    return days


def instances_for_days(first: date, last: date) -> list[ShiftInstance]:
    """Every instance that starts on a local date from ``first`` to ``last``, by start."""
    slots = list(Slot.objects.prefetch_related(active_staff()))
    closed = closed_days(first, last)
    instances = []
    day = first
    while day <= last:
        if day not in closed:
            instances += [
                instance_of(slot, day, f"slot:{slot.pk}:{day.isoformat()}", "slot")
                for slot in slots
                if slot.weekday == day.weekday()
            ]
        day += ONE_DAY
    shifts = Shift.objects.filter(date__range=(first, last)).prefetch_related(active_staff())
    instances += [instance_of(shift, shift.date, f"shift:{shift.pk}", "shift") for shift in shifts]
    return sorted(instances, key=lambda instance: (instance.starts_at, instance.key))


def instances_between(start: datetime, end: datetime) -> list[ShiftInstance]:
    """Every instance that overlaps [start, end]. Instances last at most a day, so the
    ones that began the local day before ``start`` are looked at too."""
    candidates = instances_for_days(local_date(start) - ONE_DAY, local_date(end))
    return [i for i in candidates if i.starts_at <= end and i.ends_at > start]


def shifts_open(at: datetime) -> list[ShiftInstance]:
    """The instances open at ``at``, staffed or not."""
    return [instance for instance in instances_between(at, at) if instance.is_open(at)]


def staff_on_shift(at: datetime) -> set[int]:
    """The user ids of everyone on an instance open at ``at``."""
    return {user_id for instance in shifts_open(at) for user_id in instance.staff_ids}


def next_opening(at: datetime) -> datetime | None:
    """The start of the first staffed instance that starts after ``at``, looking
    NEXT_OPENING_SCAN_DAYS ahead; None if there is none."""
    day = local_date(at)
    for instance in instances_for_days(day, day + timedelta(days=NEXT_OPENING_SCAN_DAYS)):
        if instance.staffed and instance.starts_at > at:
            return instance.starts_at
    return None


def continuing_after(instance: ShiftInstance, user_id: int, instances: list[ShiftInstance]) -> bool:
    """Whether ``user_id`` is still on shift right when ``instance`` ends (on another
    instance open at that instant): then its end is not the end of their shift."""
    return any(
        other.key != instance.key and user_id in other.staff_ids and other.is_open(instance.ends_at)
        for other in instances
    )
