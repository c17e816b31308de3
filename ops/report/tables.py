"""The report as sections: a title, a chart, and the table of the same figures. The
page, the printable page and the CSV all show these sections; only the exports mask
small counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from ops.activity.models import Outcome, Topic
from ops.models import Channel
from ops.report.charts import Bar, Series, bar_chart, column_chart
from ops.report.figures import FUNNEL_STEPS, Figures

STEP_BASE = {"long_conversations": "staff_answered", "referrals": "staff_answered"}
SMALL = 5  # counts from 1 to SMALL - 1 are shown as "< 5" in exports


@dataclass(frozen=True)
class Rate:
    part: int
    whole: int

    def percent(self) -> float | None:
        return 100 * self.part / self.whole if self.whole else None


Cell = str | int | Rate


@dataclass
class Section:
    key: str
    title: str
    chart: SafeString
    head: list[str]
    rows: list[list[Cell]]
    cells: list[list[str]] = field(default_factory=list)  # the rows as written


def cell_text(cell: Cell, *, masked: bool) -> str:
    """A cell as written; masked (exports): 1–4 → "< 5", and a rate over such a count
    is not given (it would tell the count back)."""
    if isinstance(cell, Rate):
        percent = cell.percent()
        if percent is None or (masked and 0 < cell.part < SMALL):
            return "—"
        return f"{percent:.0f} %"
    if isinstance(cell, int) and masked and 0 < cell < SMALL:
        return f"< {SMALL}"
    return str(cell)


def step_labels() -> dict[str, str]:
    return {
        "messages_sent": _("messages sent"),
        "opens": _("links opened"),
        "conversations": _("conversations started"),
        "visitor_wrote": _("visitor wrote"),
        "staff_answered": _("staff answered"),
        "long_conversations": _("went on past %(n)s messages")
        % {"n": settings.HELPLINE_LONG_CONVERSATION},
        "referrals": _("referral made"),
    }


DJANGO_LANGUAGE = {"zh": "zh-hans"}  # Django knows Chinese by script


def language_label(code: str) -> str:
    try:
        return str(get_language_info(DJANGO_LANGUAGE.get(code, code))["name_translated"])
    except KeyError:
        return code


def bars(pairs: list[tuple[str, int]], *, masked: bool) -> list[Bar]:
    return [Bar(label, value, cell_text(value, masked=masked)) for label, value in pairs]


def funnel_section(figures: Figures, *, masked: bool) -> Section:
    """All campaigns together: each step, and what share of the step before it is."""
    labels = step_labels()
    total = figures.total()
    rows: list[list[Cell]] = []
    for index, step in enumerate(FUNNEL_STEPS):
        # A referral does not need a long conversation: both are shares of the answered.
        base = STEP_BASE.get(step, FUNNEL_STEPS[index - 1] if index else "")
        before = total[base] if base else 0
        rows.append([labels[step], total[step], Rate(total[step], before)])
    chart = bar_chart(
        chart_id="chart-funnel",
        title=_("The funnel, step by step"),
        desc=_("From messages sent to referrals, all campaigns together."),
        bars=bars([(labels[step], total[step]) for step in FUNNEL_STEPS], masked=masked),
    )
    head = [_("step"), _("count"), _("share of the step it follows")]
    return Section("funnel", _("The funnel, step by step"), chart, head, rows)


def campaign_row(name: str, channel: str, steps: Counter) -> list[Cell]:
    return [
        name,
        channel,
        *[steps[step] for step in FUNNEL_STEPS],
        Rate(steps["visitor_wrote"], steps["messages_sent"]),
    ]


def rate_bars(pairs: list[tuple[str, Counter]], *, masked: bool) -> list[Bar]:
    found = []
    for label, steps in pairs:
        rate = Rate(steps["visitor_wrote"], steps["messages_sent"])
        if rate.percent() is not None:
            found.append(Bar(label, rate.percent() or 0, cell_text(rate, masked=masked)))
    return found


def campaigns_section(figures: Figures, *, masked: bool) -> Section:
    """Each campaign's funnel; the chart: the return rate of each outreach round
    (visitors who wrote per hundred messages sent)."""
    channels = dict(Channel.choices)
    head = [_("campaign"), _("channel"), *step_labels().values(), _("return rate")]
    rows = [
        campaign_row(c.name, str(channels.get(c.channel, c.channel)), figures.funnel[c.code])
        for c in figures.campaigns
    ]
    known = {c.code for c in figures.campaigns}
    others: Counter = Counter()
    for code, steps in figures.funnel.items():
        if code not in known:
            others.update(steps)
    if others:
        rows.append(campaign_row(_("no campaign (direct link, old sticker)"), "—", others))
    rows.append(campaign_row(_("all"), "", figures.total()))
    pairs = [(c.name, figures.funnel[c.code]) for c in figures.campaigns if c.is_round]
    chart = bar_chart(
        chart_id="chart-campaigns",
        title=_("Return rate by campaign"),
        desc=_("Visitors who wrote, per hundred messages sent, for each outreach round."),
        bars=rate_bars(pairs, masked=masked),
    )
    return Section("campaigns", _("Campaigns: each one's funnel"), chart, head, rows)


def rate_by_channel_section(figures: Figures, *, masked: bool) -> Section:
    channels = dict(Channel.choices)
    by_channel = figures.by_channel()
    pairs = [(str(channels[key]), by_channel[key]) for key in channels if key in by_channel]
    head = [
        _("channel"),
        _("messages sent"),
        _("links opened"),
        _("conversations started"),
        _("visitor wrote"),
        _("return rate"),
    ]
    rows: list[list[Cell]] = [
        [name, s["messages_sent"], s["opens"], s["conversations"], s["visitor_wrote"]]
        + [Rate(s["visitor_wrote"], s["messages_sent"])]
        for name, s in pairs
    ]
    chart = bar_chart(
        chart_id="chart-rate-channel",
        title=_("Return rate by channel"),
        desc=_("Visitors who wrote, per hundred messages sent, by channel."),
        bars=rate_bars(pairs, masked=masked),
    )
    return Section("rate-channel", _("Return rate by channel"), chart, head, rows)


def months_section(figures: Figures, *, masked: bool) -> Section:
    months = list(figures.months)
    labels = step_labels()
    names = ("messages_sent", "conversations", "visitor_wrote", "staff_answered")
    head = [_("month"), *[labels[name] for name in names]]
    rows: list[list[Cell]] = [
        [month, *[figures.months[month][name] for name in names]] for month in months
    ]
    series = [
        Series(labels[name], f"chart-series-{index}", [figures.months[m][name] for m in months])
        for index, name in enumerate(names[1:])
    ]
    chart = column_chart(
        chart_id="chart-months",
        title=_("Contacts and conversations by month"),
        desc=_(
            "Conversations started, visitors who wrote and conversations answered, month by month."
        ),
        categories=[month_short(month) for month in months],
        series=series,
    )
    return Section("months", _("Contacts and conversations by month"), chart, head, rows)


def month_short(month: str) -> str:
    """ "2026-07" → "July 2026" / "juil. 2026": never a day-like "26/07"."""
    year, number = month.split("-")
    return date_format(date(int(year), int(number), 1), "N Y")


def counter_section(
    *, key: str, title: str, desc: str, head: str, counts: list[tuple[str, int]], masked: bool
) -> Section:
    chart = bar_chart(
        chart_id=f"chart-{key}", title=title, desc=desc, bars=bars(counts, masked=masked)
    )
    rows: list[list[Cell]] = [[label, value] for label, value in counts]
    return Section(key, title, chart, [head, _("conversations")], rows)


def response_section(figures: Figures, *, masked: bool) -> Section:
    names = {
        "answered_within_15_minutes": _("within 15 minutes"),
        "answered_within_1_hour": _("within an hour"),
        "answered_within_1_day": _("within a day"),
        "answered_later": _("later"),
    }
    return counter_section(
        key="responses",
        title=_("First response times"),
        desc=_("How soon staff first answered a visitor's first message."),
        head=_("first answer"),
        counts=[(label, figures.responses[name]) for name, label in names.items()],
        masked=masked,
    )


def report_sections(figures: Figures, *, masked: bool = False) -> list[Section]:
    topics = dict(Topic.choices)
    outcomes = dict(Outcome.choices)
    ranked = figures.topics.most_common()
    return [
        funnel_section(figures, masked=masked),
        months_section(figures, masked=masked),
        campaigns_section(figures, masked=masked),
        rate_by_channel_section(figures, masked=masked),
        response_section(figures, masked=masked),
        counter_section(
            key="topics",
            title=_("Topics"),
            desc=_(
                "What conversations were about, as staff noted (a conversation may have several)."
            ),
            head=_("topic"),
            counts=[(str(topics.get(name, name)), n) for name, n in ranked],
            masked=masked,
        ),
        counter_section(
            key="outcomes",
            title=_("Outcomes and referrals"),
            desc=_("How conversations ended, as staff noted."),
            head=_("outcome"),
            counts=[(str(label), figures.outcomes[name]) for name, label in outcomes.items()],
            masked=masked,
        ),
        counter_section(
            key="languages",
            title=_("Languages"),
            desc=_("Conversations by the language the visitor chose."),
            head=_("language"),
            counts=[(language_label(code), n) for code, n in figures.languages.most_common()],
            masked=masked,
        ),
    ]
