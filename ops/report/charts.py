"""Server-rendered SVG charts: no script, no third-party host, no inline style (the CSP
forbids it; colours come from classes in report.css). Each chart has a <title> and a
<desc> for screen readers, and the page puts the same figures in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 190
BAR_AREA = 330
VALUE_WIDTH = 70
COLUMN_AREA_HEIGHT = 180
COLUMN_GROUP_WIDTH = 74
LEGEND_ITEM_WIDTH = 190
# What a label's room holds at the charts' 12 px, counted in characters (the server has
# no font metrics: about 7 px a character, wide letters included).
BAR_LABEL_CHARS = 24  # LABEL_WIDTH, on two lines
LEGEND_CHARS = 24
CATEGORY_CHARS = 10  # COLUMN_GROUP_WIDTH
LINE_HEIGHT = 13


@dataclass
class Bar:
    label: str
    value: float
    text: str  # what is written at the end of the bar ("23 %", "41")


def label_lines(text: str, *, chars: int, lines: int = 1) -> tuple[list[str], bool]:
    """``text`` broken at spaces into at most ``lines`` lines of at most ``chars``
    characters, and whether it had to be shortened (the last line then ends with "…").
    A shortened label carries the whole text in a <title> (label_svg); the table beside
    every chart has it too."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= chars:
            out[-1] += " " + word
        else:
            out.append(word)
    if not out:
        return [""], False
    shortened = len(out) > lines or any(len(line) > chars for line in out)
    if len(out) > lines:
        out = out[: lines - 1] + [" ".join(out[lines - 1 :])]
    out = [line if len(line) <= chars else line[: chars - 1].rstrip() + "…" for line in out]
    return out, shortened


def label_svg(
    text: str, *, x: float, y: float, chars: int, lines: int = 1, anchor: str = "start"
) -> SafeString:
    """A chart label at (x, y) — the baseline of its one line, or the middle of its two —
    that fits its room: wrapped, then shortened with its whole text in a <title>."""
    shown, shortened = label_lines(text, chars=chars, lines=lines)
    first = y - (len(shown) - 1) * LINE_HEIGHT / 2 if len(shown) > 1 else y
    spans = [
        format_html(
            '<tspan x="{}" y="{}">{}</tspan>', x, round(first + index * LINE_HEIGHT, 1), line
        )
        for index, line in enumerate(shown)
    ]
    title = format_html("<title>{}</title>", text) if shortened else ""
    return format_html(
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}{}</text>',
        x,
        y,
        anchor,
        title,
        mark_safe("".join(spans)),  # noqa: S308 — every span was escaped above
    )


def svg_open(*, chart_id: str, title: str, desc: str, width: int, height: int) -> SafeString:
    return format_html(
        '<svg class="chart" id="{}" role="img" aria-labelledby="{}-title {}-desc" '
        'viewBox="0 0 {} {}" width="{}" height="{}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        chart_id, chart_id, chart_id, width, height, width, height, chart_id, title, chart_id, desc,
    )  # fmt: skip


def bar_chart(*, chart_id: str, title: str, desc: str, bars: list[Bar]) -> SafeString:
    """Horizontal bars, longest = the largest value; an empty list draws a note."""
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    height = max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    top = max((bar.value for bar in bars), default=0) or 1
    parts = [svg_open(chart_id=chart_id, title=title, desc=desc, width=width, height=height)]
    for index, bar in enumerate(bars):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = round(BAR_AREA * bar.value / top, 1)
        label = label_svg(
            bar.label,
            x=LABEL_WIDTH - 8,
            y=y + BAR_HEIGHT * 0.7,
            chars=BAR_LABEL_CHARS,
            lines=2,
            anchor="end",
        )
        parts.append(
            format_html(
                "{}"
                '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" rx="3"></rect>'
                '<text class="chart-value" x="{}" y="{}">{}</text>',
                label,
                LABEL_WIDTH,
                y,
                max(length, 1),
                BAR_HEIGHT,
                LABEL_WIDTH + max(length, 1) + 6,
                y + BAR_HEIGHT * 0.7,
                bar.text,
            )  # fmt: skip
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 — a constant
    return mark_safe("".join(parts))  # noqa: S308 — every part was escaped above


@dataclass
class Series:
    name: str
    css_class: str
    values: list[int]


def column_chart(
    *, chart_id: str, title: str, desc: str, categories: list[str], series: list[Series]
) -> SafeString:
    """Grouped columns (one group per category, e.g. a month), with a legend."""
    left, bottom, legend = 40, 40, 28
    width = max(
        left + max(1, len(categories)) * COLUMN_GROUP_WIDTH + 10,
        left + len(series) * LEGEND_ITEM_WIDTH,
    )
    height = legend + COLUMN_AREA_HEIGHT + bottom
    top = max((value for one in series for value in one.values), default=0) or 1
    column = (COLUMN_GROUP_WIDTH - 10) / max(1, len(series))
    base = legend + COLUMN_AREA_HEIGHT
    parts = [svg_open(chart_id=chart_id, title=title, desc=desc, width=width, height=height)]
    for index, one in enumerate(series):
        x = left + index * LEGEND_ITEM_WIDTH
        parts.append(
            format_html(
                '<rect class="{}" x="{}" y="6" width="12" height="12"></rect>{}',
                one.css_class,
                x,
                label_svg(one.name, x=x + 16, y=16, chars=LEGEND_CHARS),
            )  # fmt: skip
        )
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
            left,
            base,
            width - 5,
            base,
            left - 4,
            legend + 10,
            top,
        )  # fmt: skip
    )
    for slot, category in enumerate(categories):
        x0 = left + slot * COLUMN_GROUP_WIDTH + 5
        for index, one in enumerate(series):
            h = round(COLUMN_AREA_HEIGHT * one.values[slot] / top, 1)
            parts.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>',
                    one.css_class,
                    round(x0 + index * column, 1),
                    base - h,
                    round(column - 1, 1),
                    h,
                )  # fmt: skip
            )
        parts.append(
            label_svg(
                category,
                x=x0 + (COLUMN_GROUP_WIDTH - 10) / 2,
                y=base + 16,
                chars=CATEGORY_CHARS,
                anchor="middle",
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 — a constant
    return mark_safe("".join(parts))  # noqa: S308 — every part was escaped above
