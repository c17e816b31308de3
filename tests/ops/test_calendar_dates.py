"""Nothing that depends on "today" breaks on the calendar's awkward days.

The whole clock (Python's time and datetime, so Django's ``timezone.now`` and the
helpline's ``ops.clock``) is moved to a month's last day, 31 December late in the
evening, 29 February, a local midnight that is still yesterday in UTC, and both DST
changes in Paris; on each, the demo year is seeded, the activity report's default
period is read as the coordinator sees it, and the demo rota answers "open now" and
"next opening" as a visitor would be told.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine

from ops import clock
from ops.activity.models import ActivityDay
from ops.demo import demo_rota_seed
from ops.demo_activity import PREFIX, demo_activity_seed
from ops.report.figures import period_default
from ops.rota import selectors as rota
from ops.routing import availability

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
SLOT_STARTS = {time(14), time(20), time(9, 30)}  # ops/demo.py's weekly slots

# (id, local wall time in Paris, fold): fold=1 is the second 02:30 of the fall-back night.
MOMENTS = [
    ("last-day-of-january", datetime(2026, 1, 31, 12, 0), 0),
    ("last-day-of-april-late", datetime(2026, 4, 30, 23, 30), 0),
    ("new-years-eve-late", datetime(2026, 12, 31, 23, 30), 0),
    ("new-year-local-but-not-utc", datetime(2027, 1, 1, 0, 30), 0),
    ("leap-day", datetime(2028, 2, 29, 10, 0), 0),
    ("before-spring-forward", datetime(2026, 3, 29, 1, 30), 0),
    ("after-spring-forward", datetime(2026, 3, 29, 3, 30), 0),
    ("fall-back-first-0230", datetime(2026, 10, 25, 2, 30), 0),
    ("fall-back-second-0230", datetime(2026, 10, 25, 2, 30), 1),
]


@pytest.fixture(params=MOMENTS, ids=[moment[0] for moment in MOMENTS])
def today(request):
    """The clock stopped at the moment; yields the local date there."""
    _, wall, fold = request.param
    instant = wall.replace(tzinfo=PARIS, fold=fold)
    with time_machine.travel(instant, tick=False):
        assert clock.now().timestamp() == instant.timestamp()  # (ambiguous walls compare unequal)
        yield wall.date()


def month_of(day: date, back: int) -> str:
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_the_report_shows_the_last_twelve_calendar_months_of_the_demo_year(today, coordinator):
    demo_activity_seed(now=clock.now())
    period = period_default(clock.today())
    assert period.end == today
    assert period.months() == [month_of(today, back) for back in range(11, -1, -1)]
    page = coordinator.client.get("/staff/report/").content.decode()
    table = re.search(r'id="table-months".*?</table>', page, re.S).group(0)
    assert len(re.findall(r"<tr>", table.split("<tbody>")[1])) == 12


def test_the_demo_year_ends_today_and_spans_a_year(today):
    demo_activity_seed(now=clock.now())
    days = ActivityDay.objects.filter(campaign_code__startswith=PREFIX).values_list(
        "day", flat=True
    )
    assert max(days) <= today
    assert min(days) >= today - timedelta(days=364)
    assert today - max(days) < timedelta(days=10)  # counts up to about now, not a year ago


def test_the_demo_rota_is_open_now_and_names_a_real_next_opening(today, coordinator):
    demo_rota_seed(demo=coordinator.user, now=clock.now())
    status = availability.status_at(clock.now())
    assert status["open"] is True
    assert coordinator.user.pk in rota.staff_on_shift(clock.now())

    demo_rota_seed(demo=coordinator.user, now=clock.now(), open_now=False)
    opening = rota.next_opening(clock.now())
    assert opening is not None and opening > clock.now()
    local = opening.astimezone(PARIS)
    assert local.time() in SLOT_STARTS
    assert local.date() not in holidays.France(years=local.year)
    assert opening - clock.now() < timedelta(days=5)  # at most a long weekend away
