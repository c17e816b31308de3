"""The activity report (issue 8): coordinators only; the page shows exact counts, the
CSV and the printable page show counts under 5 as "< 5" (and no rate that would tell
one back); the period picker refuses nonsense."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from ops import clock
from ops.activity.models import ActivityDay, ActivityTopic
from ops.campaigns.services import campaign_create, campaign_sent_record
from ops.report.figures import period_default
from tests.ops.conftest import AT

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def year(db):
    """Two rounds: one with many replies, one with three (a small count)."""
    big = campaign_create(
        name="Vivastreet", now=AT, code="VIVA0001", channel="site", date=date(2026, 3, 3)
    )
    small = campaign_create(
        name="=cmd|' /C calc'!A0", now=AT, code="SMALL001", channel="app", date=date(2026, 5, 5)
    )
    campaign_sent_record(campaign=big, messages_sent=120)
    campaign_sent_record(campaign=small, messages_sent=30)
    ActivityDay.objects.create(
        day=date(2026, 3, 3),
        campaign_code="VIVA0001",
        language="ro",
        conversations=14,
        visitor_wrote=12,
        staff_answered=11,
    )
    ActivityDay.objects.create(
        day=date(2026, 5, 5),
        campaign_code="SMALL001",
        language="zh",
        conversations=3,
        visitor_wrote=3,
        staff_answered=2,
    )
    ActivityTopic.objects.create(
        day=date(2026, 3, 3), campaign_code="VIVA0001", language="ro", topic="prep", conversations=9
    )
    ActivityTopic.objects.create(
        day=date(2026, 5, 5),
        campaign_code="SMALL001",
        language="zh",
        topic="violence",
        conversations=1,
    )


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def row_named(rows: list[list[str]], first: str) -> list[str]:
    return next(row for row in rows if row and row[0] == first)


def test_the_csv_shows_small_counts_as_under_five(coordinator, year):
    response = coordinator.client.get("/staff/report/export.csv", PERIOD, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    big = row_named(rows, "Vivastreet")
    assert big[2:6] == ["120", "0", "14", "12"] and big[-1] == "10 %"
    small = row_named(rows, "'=cmd|' /C calc'!A0")  # a formula is written as text
    assert small[2:6] == ["30", "0", "< 5", "< 5"]
    assert small[-1] == "—"  # 3 / 30 would tell the count back
    assert row_named(rows, "violence") == ["violence", "< 5"]
    assert row_named(rows, "PrEP") == ["PrEP", "9"]
    assert row_named(rows, "Simplified Chinese") == ["Simplified Chinese", "< 5"]


def test_the_printable_page_masks_small_counts_too(coordinator, year):
    page = coordinator.client.get("/staff/report/print", PERIOD).content.decode()
    assert "&lt; 5" in page and ">3<" not in page
    assert "@page" not in page  # the page's CSS is a file (CSP): report-print.css
    assert "report-print.css" in page


def test_the_report_page_shows_exact_counts_to_the_coordinator(coordinator, year):
    response = coordinator.client.get("/staff/report/", PERIOD)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<td>3</td>" in page and "&lt; 5" not in page
    assert page.count('role="img"') == page.count('<table class="devices report-data"') == 8


def test_a_period_without_those_days_shows_nothing_of_them(coordinator, year):
    rows = csv_rows(
        coordinator.client.get(
            "/staff/report/export.csv", {"start": "2025-01-01", "end": "2025-12-31"}
        )
    )
    assert row_named(rows, "Vivastreet")[2:6] == ["0", "0", "0", "0"]


@pytest.mark.parametrize(
    "period",
    [
        {"start": "2026-05-01", "end": "2026-01-01"},
        {"start": "2010-01-01", "end": "2026-01-01"},
        {"start": "soon", "end": ""},
    ],
)
def test_a_nonsense_period_is_refused_and_the_last_twelve_months_shown(coordinator, year, period):
    response = coordinator.client.get("/staff/report/", period)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/staff/report/", "/staff/report/export.csv", "/staff/report/print"]
)
def test_only_coordinators_get_the_report(nurse, interpreter, outsider, client, year, path):
    for asking in (nurse.client, interpreter.client, outsider):
        response = asking.get(path, PERIOD)
        assert response.status_code == 403
        assert "Vivastreet" not in response.content.decode()
    anonymous = client.get(path, PERIOD)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login/")


def date_value(page: str, name: str) -> str:
    """The value of the page's <input type="date" name=...>."""
    field = re.search(rf'<input type="date" name="{name}"[^>]*>', page)
    assert field is not None, name
    value = re.search(r'value="([^"]*)"', field.group(0))
    return value.group(1) if value else ""


def test_the_period_fields_show_the_default_period_as_a_browser_reads_a_date(coordinator, year):
    """In French too: yyyy-mm-dd, never 01/12/2025 (a date field shows that as empty and
    will not send its form)."""
    page = coordinator.client.get("/staff/report/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    default = period_default(clock.today())
    assert date_value(page, "start") == default.start.isoformat()
    assert date_value(page, "end") == default.end.isoformat()
