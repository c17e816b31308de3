"""The visitor's data life in a real Chromium (issue 7): quick exit leaves nothing behind
and staff see that the visitor left in a hurry; "delete now" removes the conversation for
the staff too; the page says how long a conversation lasts.

What the browser keeps is read through the browser's own APIs (IndexedDB, Web Storage,
Cache Storage, cookies, the session history); the staff side is the Python reference
client (chat.client.StaffClient) with the demo's device, as in test_visitor_widget.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.browser.test_visitor_widget import (  # noqa: F401 — fixtures, used by name
    TIMEOUT_MS,
    chat_open,
    conversation_follow,
    own_mark,
    phone,
    staff_connect,
    type_and_send,
    widget_helpline,
)

pytestmark = pytest.mark.browser

EVERYTHING_THE_BROWSER_KEEPS = """async () => ({
    databases: (await indexedDB.databases()).map((d) => d.name),
    local: localStorage.length,
    session: sessionStorage.length,
    caches: (await caches.keys()).length,
    cookies: document.cookie,
})"""
NOTHING = {"databases": [], "local": 0, "session": 0, "caches": 0, "cookies": ""}


async def event_from_visitor(staff: Any, kind: str, timeout: float = 20) -> dict:
    """The next decrypted `event` message from the visitor of kind ``kind``."""
    deadline = time.monotonic() + timeout
    while True:
        message = await staff.receive(timeout=max(0.1, deadline - time.monotonic()))
        if message.sender == "visitor" and message.content_type == "event":
            event = json.loads(message.content)
            if event.get("kind") == kind:
                return event


async def deleted_for(staff: Any, conversation_id: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for deleted in staff.deleted:
            if deleted.conversation_id == conversation_id:
                return deleted
        await asyncio.sleep(0.1)
    raise AssertionError("staff were not told the conversation was deleted")


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
    background,
):
    staff = staff_connect(widget_helpline, background)
    try:
        page = phone.new_page()
        partner = f"{widget_helpline.partner_url}/index.html"
        page.goto(partner)  # where the visitor came from
        chat_open(page, widget_helpline.chat_url)
        page.locator("#remember").check()
        text = "Quelqu’un arrive, je dois partir"
        type_and_send(page, text)
        own_mark(page, text, "sent")
        page.wait_for_function(
            "async () => (await indexedDB.databases()).some((d) => d.name === 'widget-state')",
            timeout=TIMEOUT_MS,
        )
        conversation_id = background.run(conversation_follow(staff))
        assert background.run(staff.receive(timeout=20)).text == text
        exits: list[Any] = []
        page.on(
            "response",
            lambda response: exits.append(response) if response.url.endswith("/bye") else None,
        )

        entries = page.evaluate("history.length")
        page.locator("#quick-exit").click()
        page.wait_for_url(f"{widget_helpline.url}/healthz", timeout=TIMEOUT_MS)

        # Staff are told, end-to-end encrypted like any message.
        event = background.run(event_from_visitor(staff, "quick_exit"), timeout=30)
        assert event == {"kind": "quick_exit"}
        assert staff.conversations[conversation_id]
        # The server told the browser to drop everything of its origin...
        assert exits and exits[0].all_headers()["clear-site-data"] == (
            '"cache", "cookies", "storage"'
        )
        # ... and the browser kept nothing: no key, no state, no storage.
        assert page.evaluate(EVERYTHING_THE_BROWSER_KEEPS) == NOTHING
        # Nothing in the history reveals the chat: Back is the page before it, Forward
        # the neutral exit page; the chat's own entry was replaced, not added.
        assert page.evaluate("history.length") == entries
        page.go_back()
        assert page.url == partner
        page.go_forward()
        assert page.url == f"{widget_helpline.url}/healthz"
    finally:
        background.run(staff.stop())


def test_delete_now_removes_the_conversation_for_the_staff_too(
    widget_helpline,  # noqa: F811
    phone,  # noqa: F811
    background,
):
    staff = staff_connect(widget_helpline, background)
    try:
        page = phone.new_page()
        chat_open(page, widget_helpline.chat_url)
        assert page.locator("#delete-area").is_hidden()  # nothing to delete yet
        page.locator("#remember").check()
        text = "Je veux que tout disparaisse"
        type_and_send(page, text)
        own_mark(page, text, "sent")
        conversation_id = background.run(conversation_follow(staff))
        assert background.run(staff.receive(timeout=20)).text == text

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
        # ... staff are told, and the server has it no more.
        deleted = background.run(deleted_for(staff, conversation_id), timeout=30)
        assert deleted.reason == "visitor"
        assert conversation_id not in staff.conversations
        listed = background.run(staff.list_conversations())
        assert conversation_id not in [c.conversation_id for c in listed]

        # Writing again starts a new conversation.
        again = "Une nouvelle question"
        type_and_send(page, again)
        own_mark(page, again, "sent")
        listed = background.run(staff.list_conversations())
        assert len([c for c in listed if c.conversation_id != conversation_id]) >= 1
    finally:
        background.run(staff.stop())
