"""Campaigns and the activity report in a real Chromium (issue 8): the coordinator
creates a campaign and downloads its QR code, which decodes back to the chat link; a
link preview's fetch of that link counts nothing, a visitor opens it on a phone (one
open, counted by the page's script) and writes, staff answer, the outreach worker's count
and a referral are recorded; the report shows the funnel step by step. Screenshots of
the report over the demo's seeded year and of a sticker sheet go to
tests/browser/screenshots/.

The staff side answers with the Python reference client and the demo's device, as in
test_visitor_widget.py."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures, used by name
    TIMEOUT_MS,
    chat_open,
    conversation_follow,
    own_mark,
    phone,
    staff_answer,
    staff_connect,
    type_and_send,
    widget_helpline,
)
from tests.qr_decode import qr_decode_png
from tests.staff_sign_in import browser_sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
FUNNEL = [
    "messages sent",
    "links opened",
    "conversations started",
    "visitor wrote",
    "staff answered",
    "went on past 10 messages",
    "referral made",
]


@pytest.fixture
def coordinator(browser, widget_helpline) -> Any:  # noqa: F811
    """The demo account (a coordinator) signed in, in English, on a desktop screen."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    demo = widget_helpline.demo
    page.goto(f"{widget_helpline.url}/staff/login/")
    browser_sign_in(page, demo["username"], demo["password"], demo["totp_secret"])
    page.wait_for_url("**/staff/**", timeout=TIMEOUT_MS)
    page.goto(f"{widget_helpline.url}/staff/campaigns/")
    page.locator("button[name=language][value=en]").click()
    page.wait_for_load_state()
    yield page
    context.close()


def campaign_create(page: Any, url: str) -> str:
    page.goto(f"{url}/staff/campaigns/new")
    page.get_by_label("Name").fill("Grindr, Saturday night")
    page.get_by_label("Channel").select_option("app")
    page.get_by_label("Site or app").fill("Grindr")
    page.get_by_label("Date of the round").fill("2026-11-21")
    page.get_by_label("Team").fill("Saturday team")
    page.get_by_label("Template message").fill("Hi! Free, anonymous health chat: {link}")
    page.get_by_role("button", name="Create the campaign").click()
    page.locator("#campaign-link").wait_for(timeout=TIMEOUT_MS)
    return page.locator("#campaign-link").inner_text()


def qr_download(page: Any, tmp_path: Path) -> list[str]:
    with page.expect_download() as download:
        page.locator("#qr-png").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return qr_decode_png(path.read_bytes())


def funnel_row(page: Any, name: str) -> dict[str, str]:
    table = page.locator("#table-campaigns")
    head = [cell.strip().lower() for cell in table.locator("thead th").all_inner_texts()]
    row = table.locator("tbody tr", has=page.locator("th", has_text=name))
    return dict(zip(head, row.locator("th, td").all_inner_texts(), strict=True))


def outcome_set(page: Any, conversation_id: str) -> None:
    """The coordinator notes a referral through the outcome API, from the staff page."""
    status = page.evaluate(
        """async (id) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/staff/api/routes/${id}/outcome`, {
                method: "PUT",
                headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                body: JSON.stringify({topics: ["prep"], outcome: "referred"}),
            });
            return response.status;
        }""",
        conversation_id,
    )
    assert status == 200


def link_preview_fetch(link: str) -> int:
    """What WhatsApp, Telegram or Signal do to show a link's preview: a GET, no script."""
    request = urllib.request.Request(link, headers={"User-Agent": "WhatsApp/2.24.1 A"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_a_campaign_from_its_qr_code_to_the_report(
    widget_helpline,  # noqa: F811
    coordinator,
    phone,  # noqa: F811
    background,
    tmp_path,
):
    url = widget_helpline.url
    link = campaign_create(coordinator, url)
    assert link.startswith(f"{url}/c/")
    decoded = qr_download(coordinator, tmp_path)
    assert decoded == [link]

    # The outreach worker records how many messages the round sent.
    coordinator.goto(f"{url}/staff/campaigns/")
    section = coordinator.locator("section.campaign", has_text="Grindr, Saturday night")
    section.get_by_label("Messages this round sent").fill("12")
    section.get_by_role("button", name="Save the count").click()
    coordinator.wait_for_load_state()

    # The link, sent in a messaging app, is fetched for its preview: no script runs,
    # so no open is counted. Then a visitor scans the code and writes; staff answer.
    assert link_preview_fetch(decoded[0]) == 200
    staff = staff_connect(widget_helpline, background)
    try:
        visitor = phone.new_page()
        chat_open(visitor, decoded[0])
        question = "Hello, can I get PrEP without papers?"
        type_and_send(visitor, question)
        own_mark(visitor, question, "sent")  # the conversation exists once it is stored
        conversation_id = background.run(conversation_follow(staff))
        assert background.run(staff.receive(timeout=20)).text.startswith("Hello")
        background.run(staff_answer(staff, conversation_id, "Yes, you can. Where are you?"))
        visitor.locator("li", has_text="Yes, you can").wait_for(timeout=TIMEOUT_MS)
    finally:
        background.run(staff.stop())
    outcome_set(coordinator, conversation_id)

    coordinator.goto(f"{url}/staff/report/")
    row = funnel_row(coordinator, "Grindr, Saturday night")
    # One link opened: the browser's page, not the preview's fetch.
    assert [row[step] for step in FUNNEL] == ["12", "1", "1", "1", "1", "0", "1"]
    assert row["return rate"] == "8 %"  # 1 of 12
    assert coordinator.locator("#chart-funnel title").text_content() == "The funnel, step by step"


def test_the_report_shows_its_default_period_and_sends_it_as_it_is(widget_helpline, coordinator):  # noqa: F811
    """In French (where Django writes 01/12/2025, which a date field cannot show): the
    coordinator types nothing; the fields show the last twelve months and "Show this
    period" sends them as they are."""
    url = widget_helpline.url
    coordinator.locator("button[name=language][value=fr]").click()
    coordinator.wait_for_load_state()
    coordinator.goto(f"{url}/staff/report/")
    start, end = coordinator.locator("#id_start"), coordinator.locator("#id_end")
    shown = (start.input_value(), end.input_value())
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", value) for value in shown), shown
    period = coordinator.locator(".setup-head p.muted", has_text="Du ").inner_text()
    screenshot(coordinator, "report-period.png", full_page=False)
    coordinator.get_by_role("button", name="Afficher cette période").click()
    coordinator.wait_for_url(re.compile(rf"start={shown[0]}&end={shown[1]}"), timeout=TIMEOUT_MS)
    assert (start.input_value(), end.input_value()) == shown
    assert coordinator.locator(".setup-head p.muted", has_text="Du ").inner_text() == period
    assert coordinator.locator("[role=alert]").count() == 0


def test_screenshots_of_the_seeded_year_and_of_a_sticker_sheet(widget_helpline, coordinator):  # noqa: F811
    url = widget_helpline.url
    coordinator.goto(f"{url}/staff/report/")
    months = coordinator.locator("#table-months tbody tr")
    assert months.count() == 12
    assert coordinator.locator("svg.chart").count() == 8
    screenshot(coordinator, "report-seeded-year.png")
    screenshot(coordinator, "report-seeded-year-top.png", full_page=False)
    coordinator.locator("button[name=language][value=fr]").click()
    coordinator.get_by_role("heading", name="Rapport d’activité").wait_for(timeout=TIMEOUT_MS)
    coordinator.locator("#section-months").scroll_into_view_if_needed()
    screenshot(coordinator, "report-seeded-year-fr.png", full_page=False)
    coordinator.locator("button[name=language][value=en]").click()
    coordinator.get_by_role("heading", name="Activity report").wait_for(timeout=TIMEOUT_MS)
    coordinator.goto(f"{url}/staff/report/print")
    coordinator.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    coordinator.emulate_media(media="print")
    screenshot(coordinator, "report-print.png")
    pdf = coordinator.pdf(format="A4", prefer_css_page_size=True)
    (SCREENSHOTS / "report-print.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 page for the funders
    coordinator.emulate_media(media="screen")
    coordinator.set_viewport_size(DESKTOP)
    coordinator.goto(f"{url}/staff/campaigns/")
    screenshot(coordinator, "campaigns.png", full_page=False)
    coordinator.locator("a", has_text="Stickers to print").first.click()
    coordinator.get_by_label("Русский").check()
    coordinator.get_by_label("Română").check()
    coordinator.get_by_role("button", name="Show").click()
    coordinator.locator('.sticker p[lang="ru"]').first.wait_for(timeout=TIMEOUT_MS)
    coordinator.emulate_media(media="print")
    screenshot(coordinator, "sticker-sheet.png")
