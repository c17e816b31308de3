"""The report's figures for a period: expired conversations from the daily counts
(ActivityDay, ActivityTopic), live ones tallied from the current tables the same way
(ops.activity.counts.conversations_tally).

No double counting: a conversation is deleted in the transaction that adds it to the
daily counts, and the report reads both in one snapshot (REPEATABLE READ on
PostgreSQL; SQLite transactions are serializable), so each conversation is either live
or counted, never both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from chat.models import Conversation
from ops.activity.counts import RESPONSE_BUCKETS, conversations_tally
from ops.activity.models import ActivityDay, ActivityTopic, Outcome
from ops.models import Campaign, CampaignOpenDay

COUNTERS = (
    "conversations",
    "visitor_wrote",
    "staff_answered",
    "long_conversations",
    *[name for _, name in RESPONSE_BUCKETS],
    "answered_later",
)
REFERRAL_OUTCOMES = (Outcome.REFERRED, Outcome.APPOINTMENT)
# The funnel's steps, in order (what the report and the exports list).
FUNNEL_STEPS = (
    "messages_sent",
    "opens",
    "conversations",
    "visitor_wrote",
    "staff_answered",
    "long_conversations",
    "referrals",
)


@dataclass
class Period:
    start: date
    end: date  # inclusive

    def months(self) -> list[str]:
        months, day = [], self.start.replace(day=1)
        while day <= self.end:
            months.append(day.strftime("%Y-%m"))
            day = (day + timedelta(days=32)).replace(day=1)
        return months


@dataclass
class Figures:
    """Everything the report shows, keyed by plain strings (campaign code, channel,
    "YYYY-MM", language, topic, outcome)."""

    period: Period
    campaigns: list[Campaign]
    funnel: dict[str, Counter] = field(default_factory=dict)  # campaign code → steps
    months: dict[str, Counter] = field(default_factory=dict)
    languages: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    responses: Counter = field(default_factory=Counter)

    def total(self) -> Counter:
        total: Counter = Counter()
        for steps in self.funnel.values():
            total.update(steps)
        return total

    def by_channel(self) -> dict[str, Counter]:
        channels: dict[str, Counter] = {}
        for campaign in self.campaigns:
            channels.setdefault(campaign.channel, Counter()).update(self.funnel[campaign.code])
        return channels


def period_default(today: date) -> Period:
    """The last twelve calendar months, this one included: from the first day of the
    month eleven months back (counted in months, not days, so the period never spans a
    thirteenth month whatever the date)."""
    months_back = today.year * 12 + today.month - 1 - 11
    start = date(months_back // 12, months_back % 12 + 1, 1)
    return Period(start=start, end=today)


def bounds(period: Period) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    return start, datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)


def expired_rows(period: Period) -> tuple[list[dict], list[dict]]:
    days = {"day__gte": period.start, "day__lte": period.end}
    rows = list(
        ActivityDay.objects.filter(**days).values(
            "day", "campaign_code", "language", "outcome", *COUNTERS
        )
    )
    topics = list(
        ActivityTopic.objects.filter(**days).values(
            "day", "campaign_code", "language", "topic", "conversations"
        )
    )
    return rows, topics


def live_rows(period: Period) -> tuple[list[dict], list[dict]]:
    start, end = bounds(period)
    ids = list(
        Conversation.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
            "pk", flat=True
        )
    )
    tally, topic_tally = conversations_tally(ids)
    rows = [
        {
            "day": day,
            "campaign_code": code,
            "language": language,
            "outcome": outcome,
            **{name: counts[name] for name in COUNTERS},
        }
        for (day, code, language, outcome), counts in tally.items()
    ]
    topics = [
        {
            "day": day,
            "campaign_code": code,
            "language": language,
            "topic": topic,
            "conversations": n,
        }
        for (day, code, language, topic), n in topic_tally.items()
    ]
    return rows, topics


def snapshot_begin(*, outermost: bool) -> None:
    """Read the counts and the live conversations as of one instant (see the module's
    docstring). Only as the first statement of a transaction of our own: inside a
    caller's transaction (a test's), its isolation level is the caller's."""
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def opens_by_campaign(period: Period) -> dict[str, int]:
    rows = (
        CampaignOpenDay.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("campaign_code")
        .annotate(n=Sum("opens"))
    )
    return {row["campaign_code"]: row["n"] for row in rows}


def sent_in(campaign: Campaign, period: Period) -> int:
    """A round's sent count belongs to its date (or the day it was made)."""
    when = campaign.date or timezone.localdate(campaign.created_at)
    inside = period.start <= when <= period.end
    return campaign.messages_sent or 0 if inside else 0


def figures_add(figures: Figures, row: dict) -> None:
    code = row["campaign_code"]
    steps = figures.funnel.setdefault(code, Counter())
    for name in ("conversations", "visitor_wrote", "staff_answered", "long_conversations"):
        steps[name] += row[name]
    if row["outcome"] in REFERRAL_OUTCOMES:
        steps["referrals"] += row["conversations"]
    month = figures.months.setdefault(row["day"].strftime("%Y-%m"), Counter())
    month.update({name: row[name] for name in ("conversations", "visitor_wrote", "staff_answered")})
    figures.languages[row["language"]] += row["conversations"]
    if row["outcome"]:
        figures.outcomes[row["outcome"]] += row["conversations"]
    for _, name in RESPONSE_BUCKETS:
        figures.responses[name] += row[name]
    figures.responses["answered_later"] += row["answered_later"]


def report_figures(period: Period) -> Figures:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        snapshot_begin(outermost=outermost)
        expired, expired_topics = expired_rows(period)
        live, live_topics = live_rows(period)
        opens = opens_by_campaign(period)
        campaigns = list(Campaign.objects.order_by("-date", "-created_at"))
    figures = Figures(period=period, campaigns=campaigns)
    figures.months = {month: Counter() for month in period.months()}
    for campaign in campaigns:
        figures.funnel[campaign.code] = Counter(
            messages_sent=sent_in(campaign, period), opens=opens.get(campaign.code, 0)
        )
        when = campaign.date or timezone.localdate(campaign.created_at)
        month = figures.months.get(when.strftime("%Y-%m"))
        if month is not None:
            month["messages_sent"] += figures.funnel[campaign.code]["messages_sent"]
    for row in [*expired, *live]:
        figures_add(figures, row)
    for row in [*expired_topics, *live_topics]:
        figures.topics[row["topic"]] += row["conversations"]
    return figures
