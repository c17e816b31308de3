"""The report's SVG charts: a label fits its room — wrapped on two lines beside a bar,
shortened with "…" past that, and then its whole text in a <title> (a tooltip, read by
screen readers); never cut by the edge of the chart."""

from __future__ import annotations

import re

from ops.report.charts import BAR_LABEL_CHARS, Bar, bar_chart, label_lines


def test_a_label_that_fits_stays_on_one_line():
    assert label_lines("orientation faite", chars=24, lines=2) == (["orientation faite"], False)


def test_a_label_too_long_for_one_line_goes_on_two():
    assert label_lines("plus de 10 messages échangés", chars=24, lines=2) == (
        ["plus de 10 messages", "échangés"],
        False,
    )


def test_a_label_too_long_for_two_lines_is_shortened_and_says_so():
    text = "Maraude numérique du samedi soir sur les sites d’annonces, équipe du Nord"
    lines, shortened = label_lines(text, chars=24, lines=2)
    assert shortened
    assert len(lines) == 2 and all(len(line) <= 24 for line in lines)
    assert lines[-1].endswith("…")


def test_a_word_longer_than_the_room_is_shortened_too():
    lines, shortened = label_lines("Sexemodel-Vivastreet-Wannonce-Tinder", chars=10)
    assert shortened and lines == ["Sexemodel…"]


def test_a_bar_chart_label_fits_and_a_shortened_one_carries_its_whole_text():
    long = "Réseaux sociaux : Facebook, Instagram, Snapchat et WhatsApp, équipe de nuit"
    svg = bar_chart(
        chart_id="chart-test",
        title="Test",
        desc="Test",
        bars=[Bar("plus de 10 messages échangés", 275, "275"), Bar(long, 3, "3")],
    )
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert "plus de 10 messages" in spans and "échangés" in spans
    assert all(len(span) <= BAR_LABEL_CHARS for span in spans)
    assert f"<title>{long}</title>" in svg
    assert svg.count("<title>") == 1  # the shortened label only: it alone has a tooltip
