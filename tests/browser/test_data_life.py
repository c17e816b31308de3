"""The visitor's data life in a real Chromium (issue 7): quick exit leaves nothing behind
and staff see that the visitor left in a hurry; "delete now" removes the conversation for
the staff too; the page says how long a conversation lasts.

What the browser keeps is read through the browser's own APIs (IndexedDB, Web Storage,
Cache Storage, cookies, the session history). The staff side is the demo nurse at her
dashboard in her own browser, signed in with her second factor, her browser certified as
the demo's admin would.

Screenshots: tests/browser/screenshots/data-life-quick-exit.png (the nurse's conversation
after the visitor's quick exit) and data-life-deleted.png (after the visitor deleted it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import Watched
from tests.browser.shift_setup import browser_certify
from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures, used by name
    TIMEOUT_MS,
    chat_open,
    more_open,
    phone,
    screenshot,
    type_and_send,
    widget_helpline,
)
from tests.staff_sign_in import browser_sign_in

pytestmark = pytest.mark.browser

EVERYTHING_THE_BROWSER_KEEPS = """async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    local: localStorage.length,
    session: sessionStorage.length,
    caches: (await caches.keys()).length,
    cookies: document.cookie,
})"""
NOTHING = {"databases": [], "local": 0, "session": 0, "caches": 0, "cookies": ""}


@pytest.fixture
def nurse(widget_helpline, browser) -> Iterator[Any]:  # noqa: F811
    """The demo nurse's dashboard, connected, in her own browser."""
    watched = Watched(browser)
    page, demo = watched.page, widget_helpline.demo
    page.goto(widget_helpline.url + "/staff/")
    browser_sign_in(page, demo["username"], demo["password"], demo["totp_secret"])
    page.wait_for_selector("#gate-pending", state="visible")
    browser_certify(widget_helpline.env, demo["username"])
    page.click("#check-again")
    page.wait_for_selector("#connection-status[data-status='open']")
    yield page
    watched.close()


def nurse_answers(nurse: Any, visitor: Any, text: str, answer: str) -> str:
    """The nurse opens the waiting conversation, reads `text` and answers (which claims
    it); the visitor reads the answer. The conversation's id."""
    entry = nurse.locator("#queue-list .queue-entry").first
    conversation_id = entry.get_attribute("data-conversation-id")
    entry.locator(".conversation-item").click()
    nurse.locator("#messages li.message", has_text=text).wait_for()
    nurse.fill("#composer-text", answer)
    nurse.press("#composer-text", "Enter")
    visitor.locator("li.from-staff", has_text=answer).wait_for(timeout=TIMEOUT_MS)
    return conversation_id


def test_the_page_says_how_long_a_conversation_lasts(widget_helpline, phone):  # noqa: F811
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    policy = page.locator("#expiry-policy")
    policy.wait_for(timeout=TIMEOUT_MS)
    assert "30 jours sans message" in policy.inner_text()
    page.locator("#language").select_option("bg")
    page.wait_for_function(
        "() => document.getElementById('expiry-policy').textContent.includes('30 дни')",
        timeout=TIMEOUT_MS,
    )


def test_quick_exit_leaves_nothing_behind_and_staff_see_the_visitor_left_in_a_hurry(
    widget_helpline,  # noqa: F811
    phone,  # noqa: F811
    nurse,
):
    page = phone.new_page()
    partner = f"{widget_helpline.partner_url}/index.html"
    page.goto(partner)  # where the visitor came from
    chat_open(page, widget_helpline.chat_url)
    more_open(page)
    page.locator("#remember").check()
    text = "Quelqu’un arrive, je dois partir"
    type_and_send(page, text)
    nurse_answers(nurse, page, text, "Je suis là. Vous êtes en sécurité ?")
    page.wait_for_function(
        "async () => (await indexedDB.databases()).some((d) => d.name === 'widget-state')",
        timeout=TIMEOUT_MS,
    )
    exits: list[Any] = []
    page.on(
        "response",
        lambda response: exits.append(response) if response.url.endswith("/bye") else None,
    )

    entries = page.evaluate("history.length")
    page.locator("#quick-exit").click()
    page.wait_for_url(f"{widget_helpline.url}/healthz", timeout=TIMEOUT_MS)

    # The nurse is told, end-to-end encrypted like any message, in the open conversation.
    notice = nurse.locator("#messages li.message-quick-exit")
    notice.wait_for()
    assert notice.inner_text().startswith("La personne est partie en urgence")
    assert nurse.locator("#messages li.message", has_text=text).count() == 1
    screenshot(nurse, "data-life-quick-exit.png")
    # The server told the browser to drop everything of its origin...
    assert exits and exits[0].all_headers()["clear-site-data"] == ('"cache", "cookies", "storage"')
    # ... and the browser kept nothing: no key, no state, no storage.
    assert page.evaluate(EVERYTHING_THE_BROWSER_KEEPS) == NOTHING
    # Nothing in the history reveals the chat: Back is the page before it, Forward
    # the neutral exit page; the chat's own entry was replaced, not added.
    assert page.evaluate("history.length") == entries
    page.go_back()
    assert page.url == partner
    page.go_forward()
    assert page.url == f"{widget_helpline.url}/healthz"


def test_delete_now_removes_the_conversation_for_the_staff_too(
    widget_helpline,  # noqa: F811
    phone,  # noqa: F811
    nurse,
):
    page = phone.new_page()
    chat_open(page, widget_helpline.chat_url)
    more_open(page)
    assert page.locator("#delete-area").is_hidden()  # nothing to delete yet
    page.locator("#remember").check()
    text = "Je veux que tout disparaisse"
    type_and_send(page, text)
    conversation_id = nurse_answers(nurse, page, text, "D’accord, je vous écoute.")
    listed = f'li[data-conversation-id="{conversation_id}"]'
    nurse.locator(f"#conversation-list {listed}").wait_for()

    page.locator("#delete-now").click()
    assert (
        page.locator("#delete-question")
        .inner_text()
        .startswith("Supprimer cette conversation pour tout le monde")
    )
    page.locator("#delete-yes").click()
    page.locator('li.notice[data-i18n="deleted"]').wait_for(timeout=TIMEOUT_MS)

    # Gone from the page and from the phone...
    assert page.locator("li.from-me").count() == 0
    assert page.locator("#delete-area").is_hidden()
    assert page.evaluate(EVERYTHING_THE_BROWSER_KEEPS)["databases"] == []
    # ... and from the nurse's lists; her open view is emptied and says why.
    nurse.locator(f"#conversation-list {listed}").wait_for(state="detached")
    assert nurse.locator(f"#queue-list {listed}").count() == 0
    reason = nurse.locator("#messages li.message-deleted")
    reason.wait_for()
    assert reason.inner_text() == (
        "La personne a supprimé cette conversation. Il n’en reste rien sur le serveur."
    )
    assert nurse.locator("#messages li.message").count() == 0
    # Nothing left to act on: no close button, no route line, no notes or outcome form.
    assert nurse.locator("#conversation-close").is_hidden()
    assert nurse.locator("#conversation-route").inner_text() == ""
    assert nurse.locator("#tab-notes").is_hidden() and nurse.locator("#notes").is_hidden()
    assert nurse.locator("#tab-outcome").is_hidden() and nurse.locator("#outcome").is_hidden()
    screenshot(nurse, "data-life-deleted.png")

    # Writing again starts a new conversation, waiting in the nurse's queue.
    again = "Une nouvelle question"
    type_and_send(page, again)
    waiting = nurse.locator("#queue-list .queue-entry")
    waiting.wait_for()
    assert waiting.get_attribute("data-conversation-id") != conversation_id
