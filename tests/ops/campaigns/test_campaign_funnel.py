"""The anonymous funnel per campaign (issue 8): link opens counted per campaign and day
when the chat page's script reports one (a GET of /c/<code>, as a link preview makes,
counts nothing; no cookie, no address; a daily ceiling), conversations started,
written, answered, gone on, referred — read for the report from the live tables and
from the daily counts, each conversation once, before and after expiry; and after
expiry nothing in the database ties a count to a conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from chat.expiry import conversations_expire
from ops import clock
from ops.campaigns import services as campaigns
from ops.campaigns.services import campaign_create
from ops.models import CampaignOpenDay
from ops.report.figures import FUNNEL_STEPS, Period, report_figures
from tests.ops.conftest import AT
from tests.ops.test_activity_counts import DEVICE, LATER, put_outcome, wrote

pytestmark = pytest.mark.django_db
API = "/staff/api"
JUNE = Period(AT.date().replace(day=1), AT.date().replace(day=30))


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: AT)


@pytest.fixture
def two_campaigns(db):
    grindr = campaign_create(name="Grindr", now=AT, code="GRINDR01", channel="app", date=AT.date())
    stickers = campaign_create(name="Stickers", now=AT, code="STICKER1", channel="sticker")
    campaigns.campaign_sent_record(campaign=grindr, messages_sent=40)
    return grindr, stickers


def funnel_of(code: str, period: Period = JUNE) -> tuple:
    steps = report_figures(period).funnel[code]
    return tuple(steps[step] for step in FUNNEL_STEPS)


def opened(client, code: str):
    """What the chat page's script sends once per page load (widget/link-opened.js)."""
    return client.post(
        f"/c/{code}/opened", data=b"", content_type="", headers={"Sec-Fetch-Site": "same-origin"}
    )


def opens() -> list[tuple]:
    return sorted(CampaignOpenDay.objects.values_list("campaign_code", "day", "opens"))


def test_fetching_the_link_counts_nothing_as_a_preview_bot_runs_no_script(
    client, two_campaigns, link_opens_fresh
):
    for path in ("/c/GRINDR01", "/c/GRINDR01", "/c/STICKER1/embed"):
        assert client.get(path, headers={"User-Agent": "WhatsApp/2.23"}).status_code == 200
    assert opens() == []


def test_each_page_script_open_is_counted_for_its_campaign_and_day(
    client, two_campaigns, link_opens_fresh
):
    for _ in range(3):
        opened(client, "GRINDR01")
    response = opened(client, "STICKER1")
    unknown = opened(client, "UNKNOWN9")
    today = timezone.localdate()
    assert opens() == [("GRINDR01", today, 3), ("STICKER1", today, 1)]
    assert (response.status_code, unknown.status_code) == (204, 204)  # a code is not revealed
    assert not response.cookies and not unknown.cookies  # nothing set on the visitor's phone


def test_a_campaign_counts_at_most_the_daily_ceiling_and_again_the_next_day(
    two_campaigns, settings
):
    settings.HELPLINE_CAMPAIGN_OPENS_PER_DAY = 2
    day = AT.date()
    for _ in range(5):
        campaigns.campaign_link_opened(code="GRINDR01", day=day)
    campaigns.campaign_link_opened(code="GRINDR01", day=day + timedelta(days=1))
    assert opens() == [("GRINDR01", day, 2), ("GRINDR01", day + timedelta(days=1), 1)]


def test_an_open_row_holds_a_code_a_day_and_a_number_only():
    fields = {field.name for field in CampaignOpenDay._meta.fields}
    assert fields == {"id", "campaign_code", "day", "opens"}


def test_opens_on_two_days_are_two_rows(two_campaigns):
    day = AT.date()
    campaigns.campaign_link_opened(code="GRINDR01", day=day)
    campaigns.campaign_link_opened(code="GRINDR01", day=day + timedelta(days=1))
    campaigns.campaign_link_opened(code="GRINDR01", day=day)
    assert sorted(CampaignOpenDay.objects.values_list("day", "opens")) == [
        (day, 2),
        (day + timedelta(days=1), 1),
    ]


def converse(visitor_opens, staff, *, campaign: str, messages: int, outcome: str = "") -> str:
    conversation_id = visitor_opens(campaign=campaign).conversation_id
    wrote(conversation_id, "visitor", AT)
    staff.client.post(f"{API}/routes/{conversation_id}/claim")
    for index in range(messages - 1):
        sender = DEVICE if index % 2 == 0 else "visitor"
        wrote(conversation_id, sender, AT + timedelta(minutes=5 + index))
    if outcome:
        assert (
            put_outcome(
                staff.client, conversation_id, {"topics": ["prep"], "outcome": outcome}
            ).status_code
            == 200
        )
    return conversation_id


def test_the_funnel_counts_live_conversations_and_the_same_after_expiry(
    two_campaigns, visitor_opens, staff_on_shift, settings
):
    settings.HELPLINE_LONG_CONVERSATION = 4
    for _ in range(2):
        campaigns.campaign_link_opened(code="GRINDR01", day=AT.date())
    converse(visitor_opens, staff_on_shift, campaign="GRINDR01", messages=5, outcome="referred")
    converse(visitor_opens, staff_on_shift, campaign="GRINDR01", messages=2, outcome="informed")
    visitor_opens(campaign="GRINDR01")  # opened, never wrote
    converse(visitor_opens, staff_on_shift, campaign="STICKER1", messages=1)

    live = (funnel_of("GRINDR01"), funnel_of("STICKER1"))
    assert live == ((40, 2, 3, 2, 2, 1, 1), (0, 0, 1, 1, 0, 0, 0))
    assert conversations_expire(now=LATER) == 4
    assert (funnel_of("GRINDR01"), funnel_of("STICKER1")) == live


def test_a_conversation_half_expired_is_not_counted_twice(
    two_campaigns, visitor_opens, staff_on_shift
):
    converse(visitor_opens, staff_on_shift, campaign="GRINDR01", messages=2)
    later = converse(visitor_opens, staff_on_shift, campaign="GRINDR01", messages=2)
    wrote(later, "visitor", LATER - timedelta(days=1))  # still active: stays live
    assert conversations_expire(now=LATER) == 1
    assert funnel_of("GRINDR01")[2:4] == (2, 2)


def test_a_period_counts_only_its_own_days(two_campaigns, visitor_opens, staff_on_shift):
    converse(visitor_opens, staff_on_shift, campaign="GRINDR01", messages=2)
    july = Period(JUNE.end + timedelta(days=1), JUNE.end + timedelta(days=31))
    assert funnel_of("GRINDR01", july) == (0,) * 7
    conversations_expire(now=LATER)
    assert funnel_of("GRINDR01", july) == (0,) * 7


def database_text() -> str:
    """Every row of every table, as text."""
    parts = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts)


def test_after_expiry_nothing_in_the_database_ties_a_count_to_a_conversation(
    two_campaigns, visitor_opens, staff_on_shift
):
    conversation_id = converse(
        visitor_opens, staff_on_shift, campaign="GRINDR01", messages=3, outcome="referred"
    )
    campaigns.campaign_link_opened(code="GRINDR01", day=AT.date())
    before = database_text()
    assert conversation_id in before or conversation_id.replace("-", "") in before  # the control
    conversations_expire(now=LATER)
    after = database_text()
    assert conversation_id not in after and conversation_id.replace("-", "") not in after
    assert funnel_of("GRINDR01")[2] == 1  # and yet it is counted
