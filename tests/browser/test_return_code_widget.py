"""The return code in a real Chromium (issue 7): a visitor writes, the staff answer, the
visitor gets a code; a second browser (new storage, another phone) types it and gets the
whole conversation back and goes on writing, and the staff read it. A typo is caught in
the browser before anything is sent; a code that opens nothing says so; the code itself
never leaves the browser; turned off, it opens nothing.

The staff side is the Python reference client with the demo's device, as in
test_visitor_widget.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chat.crypto import return_code as rc
from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures, used by name
    PHONE,
    TIMEOUT_MS,
    Traffic,
    chat_open,
    conversation_follow,
    focus_by_tab,
    more_open,
    own_mark,
    phone,
    screenshot,
    staff_answer,
    staff_connect,
    type_and_send,
    widget_helpline,
)

pytestmark = pytest.mark.browser

CODE_SHOWN = re.compile(r"^\d{4}( \d{4}){9}$")
# The last message's box lies within the message list's visible box.
LATEST_IN_VIEW = """() => {
  const box = document.getElementById("chat").getBoundingClientRect();
  const last = document.querySelector("#messages > li:last-child").getBoundingClientRect();
  return last.top >= box.top && last.bottom <= box.bottom + 1;
}"""
IN_VIEW_OF_PANEL = """(id) => {
  const box = document.getElementById("code-panel").getBoundingClientRect();
  const it = document.getElementById(id).getBoundingClientRect();
  return it.top >= box.top && it.bottom <= box.bottom + 1;
}"""


def code_enter(page: Any, code: str) -> None:
    """Open "I have a code" with the keyboard, type the code, send it with Enter."""
    form = page.locator("#code-form")
    if form.is_hidden():
        more_open(page)
        have = page.locator("#code-have")
        have.wait_for(timeout=TIMEOUT_MS)  # shown once the catalogue has named it
        have.focus()
        page.keyboard.press("Enter")
        form.wait_for(timeout=TIMEOUT_MS)
    assert page.evaluate("document.activeElement.id") == "code-input"
    page.locator("#code-input").fill("")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def code_problem(page: Any, text: str) -> None:
    page.locator("#code-problem", has_text=text).wait_for(timeout=TIMEOUT_MS)


def test_a_code_reopens_the_whole_conversation_in_another_browser(
    widget_helpline,  # noqa: F811
    phone,  # noqa: F811
    background,
    browser,
):
    first = phone.new_page()
    traffic = Traffic()
    traffic.watch(first)
    chat_open(first, widget_helpline.chat_url)
    assert first.locator("#code-get").is_hidden()  # no conversation yet: nothing to return to
    question = "Bonjour, je voudrais parler de la PrEP"
    type_and_send(first, question)
    own_mark(first, question, "sent")

    staff = staff_connect(widget_helpline, background)
    try:
        conversation_id = background.run(conversation_follow(staff))
        assert background.run(staff.receive(timeout=20)).text == question
        answer = "Bonjour, bien sûr. Vous pouvez revenir quand vous voulez."
        background.run(staff_answer(staff, conversation_id, answer))
        first.locator("li.from-staff", has_text=answer).wait_for(timeout=TIMEOUT_MS)

        # "Get a code": shown, focused, announced, with its advice and a copy button.
        more_open(first)
        assert first.locator("#code-have").is_hidden()
        first.locator("#code-get").click()
        first.locator("#code-panel").wait_for(timeout=TIMEOUT_MS)
        shown = first.locator("#code-value").inner_text()
        assert CODE_SHOWN.match(shown), shown
        code = shown.replace(" ", "")
        assert rc.code_normalise(code) == code
        assert first.evaluate("document.activeElement.id") == "code-title"
        first.locator("#announcer", has_text="Votre code est prêt.").wait_for(timeout=TIMEOUT_MS)
        assert "capture d’écran" in first.locator("#code-advice").inner_text()
        assert first.locator("#code-copy").is_visible()
        assert first.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        # The panel scrolls on its own: the messages keep a good part of the phone, the
        # latest in view, and the panel's last button is reached with Tab.
        assert first.locator("#chat").bounding_box()["height"] >= PHONE["height"] / 4
        first.wait_for_function(LATEST_IN_VIEW, timeout=TIMEOUT_MS)
        screenshot(first, "return-code-360x740.png")
        focus_by_tab(first, "code-done", limit=6)
        first.wait_for_function(IN_VIEW_OF_PANEL, arg="code-done", timeout=TIMEOUT_MS)

        # Another phone: new storage, only the code.
        other = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="fr-FR")
        try:
            second = other.new_page()
            second_traffic = Traffic()
            second_traffic.watch(second)
            chat_open(second, widget_helpline.chat_url)

            typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
            code_enter(second, typo)
            code_problem(second, "Ce code contient une erreur")
            screenshot(second, "return-code-typo-360x740.png")
            assert not any("return_code.open" in frame for frame in second_traffic.sent)

            code_enter(second, rc.code_display(rc.code_generate()))
            code_problem(second, "Aucune conversation ne s’ouvre avec ce code")

            code_enter(second, shown)
            second.locator("li.from-me", has_text=question).wait_for(timeout=TIMEOUT_MS)
            second.locator("li.from-staff", has_text=answer).wait_for(timeout=TIMEOUT_MS)
            assert second.locator("#code-form").is_hidden()
            assert second.locator("#code-get").is_visible()
            storage = second.evaluate("async () => (await indexedDB.databases()).length")
            assert storage == 0  # nothing kept on the phone unless asked

            more = "Merci, je vous écris depuis un autre téléphone."
            type_and_send(second, more)
            own_mark(second, more, "sent")
            received = background.run(staff.receive(timeout=20))
            assert (received.text, received.conversation_id) == (more, conversation_id)
            first.locator("li.from-me", has_text=more).wait_for(timeout=TIMEOUT_MS)

            # Turned off on the first phone: the code opens nothing any more.
            first.locator("#code-revoke").click()
            first.locator("#announcer", has_text="Ce code ne fonctionne plus.").wait_for(
                timeout=TIMEOUT_MS
            )
            assert first.locator("#code-panel").is_hidden()
            assert first.locator("#code-value").inner_text() == ""
            third = other.browser.new_context(viewport=PHONE, locale="fr-FR")
            try:
                late = third.new_page()
                chat_open(late, widget_helpline.chat_url)
                code_enter(late, shown)
                code_problem(late, "Aucune conversation ne s’ouvre avec ce code")
            finally:
                third.close()
        finally:
            other.close()
    finally:
        background.run(staff.stop())

    # The code never left a browser: neither its digits nor its groups are in any frame.
    for frames in (traffic, second_traffic):
        frames.clear_text_absent(code, shown, question, answer, more)
    assert any('"return_code.set"' in frame for frame in traffic.sent)
    assert traffic.errors == second_traffic.errors == []
