"""The visitor's page on a cheap phone: a slow line, a small screen, the keyboard open.

Measured (written to tests/browser/screenshots/phone-metrics.json, never asserted): when
the composer is usable and when the page says it is connected, on Slow 3G with the CPU
four times slower (tests/browser/phone.py). Asserted, because they are deterministic:
what a first visit and a second visit transfer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.phone import inside_viewport, keyboard_open, load_measure
from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures
    TIMEOUT_MS,
    chat_open,
    conversation_follow,
    more_open,
    own_mark,
    staff_answer,
    staff_connect,
    type_and_send,
    widget_helpline,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
MEASURED = {"width": 360, "height": 740}
SMALL = {"width": 360, "height": 640}
KEYBOARD = 300
FIRST_VISIT_BUDGET = 90 * 1024
SECOND_VISIT_BUDGET = 10 * 1024
ANSWER = (
    "Bonjour, oui bien sûr. Le dépistage est gratuit et anonyme, au local de "
    "l'association, mardi et jeudi de 14 h à 18 h. Vous voulez qu'on vous accompagne ?"
)


def metrics_write(name: str, values: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "phone-metrics.json"
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics[name] = values
    path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")


def phone_context(browser, viewport: dict, locale: str = "fr-FR"):
    return browser.new_context(
        viewport=viewport, device_scale_factor=2, is_mobile=True, has_touch=True, locale=locale
    )


def test_a_first_and_a_second_visit_on_slow_3g(widget_helpline, browser):  # noqa: F811
    context = phone_context(browser, MEASURED)
    try:
        first = load_measure(context, widget_helpline.chat_url)
        first["line"].page.close()
        second = load_measure(context, widget_helpline.chat_url)
    finally:
        context.close()
    metrics_write(
        "slow_3g_360x740",
        {
            "line": "400 kbit/s each way, 400 ms RTT, CPU x4",
            "first_visit": {
                "composer_usable_ms": first["composer_usable_ms"],
                "connected_ms": first["connected_ms"],
                **first["transfer"].summary(),
            },
            "second_visit": {
                "composer_usable_ms": second["composer_usable_ms"],
                "connected_ms": second["connected_ms"],
                **second["transfer"].summary(),
            },
        },
    )
    assert first["transfer"].total_bytes <= FIRST_VISIT_BUDGET
    assert second["transfer"].total_bytes <= SECOND_VISIT_BUDGET
    # Every static file under a hashed name, compressed, kept a year without asking again;
    # the page itself never kept, and compressed too.
    for request in first["transfer"].requests:
        if request["path"].startswith("/static/"):
            assert request["cache_control"] == "max-age=31536000, public, immutable", request
            if not request["path"].endswith(".svg"):
                assert request["encoding"] == "br", request
        elif request["path"].startswith("/c/") and request["status"] == 200:
            assert (request["cache_control"], request["encoding"]) == ("no-store", "gzip")
    # The second visit fetches the page, and nothing of what it cached.
    assert not [r for r in second["transfer"].requests if r["path"].startswith("/static/")]


def test_the_reply_is_seen_with_the_keyboard_open_and_the_pill_leads_to_it(
    widget_helpline,  # noqa: F811
    browser,
    background,
):
    """360×640 with a 300 px keyboard: the visitor sends, the footer changes, staff
    answer; the reply's bubble is entirely on screen. Scrolled up to read, the next reply
    does not move the page: a pill says a message came, and takes the visitor to it."""
    context = phone_context(browser, SMALL)
    try:
        page = context.new_page()
        chat_open(page, widget_helpline.chat_url)
        page.locator("#text").focus()
        keyboard_open(page, KEYBOARD)
        question = "Bonjour, je voudrais faire un dépistage, c'est possible ?"
        type_and_send(page, question)
        own_mark(page, question, "sent")

        staff = staff_connect(widget_helpline, background)
        try:
            conversation_id = background.run(conversation_follow(staff))
            background.run(staff_answer(staff, conversation_id, ANSWER))
            reply = page.locator("li.from-staff", has_text=ANSWER)
            reply.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(800)  # a smooth scroll, if any, has ended
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "phone-keyboard-reply.png"))
            assert inside_viewport(page, reply)
            assert page.locator("#new-message").is_hidden()

            # Scrolled up to read the beginning: the next reply does not pull them down.
            page.locator("#chat").evaluate("(chat) => { chat.scrollTop = 0; }")
            page.locator("#chat").dispatch_event("scroll")
            later = "Et si vous préférez, on peut aussi en parler ici d'abord."
            background.run(staff.send_text(conversation_id, later))
            second = page.locator("li.from-staff", has_text=later)
            second.wait_for(timeout=TIMEOUT_MS)
            pill = page.locator("#new-message")
            pill.wait_for(state="visible", timeout=TIMEOUT_MS)
            page.screenshot(path=str(SCREENSHOTS / "phone-keyboard-pill.png"))
            assert not inside_viewport(page, second)
            pill.click()
            page.wait_for_timeout(800)
            assert inside_viewport(page, second)
            assert pill.is_hidden()
        finally:
            background.run(staff.stop())
    finally:
        context.close()


# The phone's vibrations, recorded; and the tab going to the background and back, as the
# browser tells a page (a headless browser keeps every tab visible).
BACKGROUND = """
window.__vibrations = [];
Object.defineProperty(navigator, "vibrate", {
  value: (pattern) => { window.__vibrations.push(pattern); return true; },
});
window.__hidden = false;
Object.defineProperty(Document.prototype, "visibilityState", {
  get() { return window.__hidden ? "hidden" : "visible"; }, configurable: true,
});
Object.defineProperty(Document.prototype, "hidden", {
  get() { return window.__hidden; }, configurable: true,
});
window.__tabShown = (shown) => {
  window.__hidden = !shown;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


def test_a_reply_in_a_background_tab_counts_in_a_neutral_title_and_may_vibrate(
    widget_helpline,  # noqa: F811
    browser,
    background,
):
    context = phone_context(browser, MEASURED)
    try:
        page = context.new_page()
        page.add_init_script(BACKGROUND)
        chat_open(page, widget_helpline.chat_url)
        question = "Vous pouvez me répondre plus tard, je reviens."
        type_and_send(page, question)
        own_mark(page, question, "sent")
        more_open(page)
        page.locator("#vibrate").check()  # felt once, as a sample
        page.evaluate("() => window.__tabShown(false)")  # the visitor goes to another app

        staff = staff_connect(widget_helpline, background)
        try:
            conversation_id = background.run(conversation_follow(staff))
            secret = "Oui, le TPE est à prendre au plus vite : ce texte ne va jamais au titre."
            background.run(staff_answer(staff, conversation_id, secret))
            page.wait_for_function("() => document.title === '(1) Messages'", timeout=TIMEOUT_MS)
            background.run(staff.send_text(conversation_id, "Vous êtes toujours là ?"))
            page.wait_for_function("() => document.title === '(2) Messages'", timeout=TIMEOUT_MS)
            assert page.evaluate("window.__vibrations.length") == 3  # the sample, two replies
        finally:
            background.run(staff.stop())

        page.evaluate("() => window.__tabShown(true)")  # back to the chat: seen
        assert page.title() == "Messages"
    finally:
        context.close()
