"""The whole path in real browsers, on the production parts: PostgreSQL, Redis and two
Daphne workers. A coordinator sets the helpline up from nothing through the pages, a
nurse's browser is certified, a visitor on a phone opens the chat link on one worker
and the nurse answers from the other; every websocket frame and HTTP body that leaves
any of the three browsers is recorded, and no message text is in any of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.livestack import LiveStack
from chat.crypto import suite1
from tests.browser.pages import (
    Watched,
    admin_key_create,
    device_certify,
    pending_device,
    staff_accounts_add,
    team_key_create,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 360, "height": 740}
NURSE_LABEL = "Infirmière"
VISITOR_LINES = [
    "Bonjour, j'ai eu un risque hier soir, est-ce que je peux encore prendre le TPE ?",
    "Я в Париже. Можно прийти без документов? 谢谢",
]
NURSE_LINES = [
    "Bonjour, oui : le TPE se prend au plus vite, dans les 48 heures. Vous êtes où ?",
    "Oui, sans documents. Les urgences de l'hôpital le donnent, jour et nuit.",
]


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    """A helpline with two accounts and no keys at all, on PostgreSQL + Redis."""
    stack = LiveStack(tmp_path_factory.mktemp("e2e"), servers=2, seed=False)
    stack.up()
    try:
        staff_accounts_add(stack.env, NURSE_LABEL)
        yield stack
    finally:
        stack.close()


@pytest.fixture
def browsers(browser) -> Iterator[dict[str, Watched]]:
    opened = {
        "coordinator": Watched(browser, accept_downloads=True),
        "nurse": Watched(browser),
        "visitor": Watched(browser, viewport=PHONE, locale="fr-FR", is_mobile=True),
    }
    yield opened
    for watched in opened.values():
        watched.close()


def test_a_visitor_and_a_nurse_talk_on_a_helpline_set_up_through_its_pages(
    fresh_stack, browsers, tmp_path
):
    visitor_url, staff_url = fresh_stack.urls
    coordinator, nurse, visitor = browsers["coordinator"], browsers["nurse"], browsers["visitor"]

    # The coordinator's browser becomes a device, makes the admin key and the team key.
    coordinator.login(staff_url, "claire")
    coordinator_device = pending_device(coordinator)
    page = coordinator.page
    page.click("a[href='/staff/setup/']")
    fingerprint = admin_key_create(page, tmp_path / "helpline-admin-key.json")
    device_certify(page, coordinator_device)
    team_key_create(page)

    # The nurse's browser waits for its certificate, which the coordinator signs.
    nurse.login(staff_url, "nadia")
    nurse_device = pending_device(nurse)
    page.click("#setup-refresh")
    device_certify(page, nurse_device)
    nurse.page.click("#check-again")
    nurse.page.wait_for_selector("#connection-status[data-status='open']")

    # A visitor opens the chat link on the other worker and writes.
    visitor.page.goto(f"{visitor_url}/c/tournee-e2e")
    assert visitor_config_fingerprint(visitor.page) == fingerprint.hex()
    assert fingerprint == suite1.admin_fingerprint(fresh_stack_admin_public(fresh_stack))
    composer = visitor.page.locator("#text:not([disabled])")
    composer.fill(VISITOR_LINES[0])
    composer.press("Enter")

    # The nurse sees the new conversation, opens it, reads, answers.
    item = nurse.page.locator(".conversation-item").first
    item.click()
    nurse.page.locator(".message-visitor .bubble", has_text=VISITOR_LINES[0]).wait_for()
    nurse.page.fill("#composer-text", NURSE_LINES[0])
    nurse.page.press("#composer-text", "Enter")

    answer = visitor.page.locator("li.from-staff", has_text=NURSE_LINES[0])
    answer.wait_for()
    assert answer.locator(".who").inner_text() == NURSE_LABEL
    own = visitor.page.locator("li.from-me", has_text=VISITOR_LINES[0])
    own.locator('.mark[data-state="read"]').wait_for()

    # A second round, in other scripts; each sees the other writing (through both
    # workers, end-to-end encrypted, never stored).
    composer.press_sequentially(VISITOR_LINES[1][:12], delay=30)
    nurse.page.locator("#visitor-typing", has_text="La personne est en train d’écrire").wait_for()
    composer.fill(VISITOR_LINES[1])
    composer.press("Enter")
    nurse.page.locator(".message-visitor .bubble", has_text=VISITOR_LINES[1]).wait_for()
    nurse.page.locator("#visitor-typing:empty").wait_for()  # their message came
    nurse.page.locator("#composer-text").press_sequentially(NURSE_LINES[1][:12], delay=30)
    visitor.page.locator('#status[data-line="status.typing"]').wait_for()
    assert NURSE_LABEL in visitor.page.inner_text("#status")
    nurse.page.fill("#composer-text", NURSE_LINES[1])
    nurse.page.press("#composer-text", "Enter")
    visitor.page.locator("li.from-staff", has_text=NURSE_LINES[1]).wait_for()
    visitor.page.locator('#status[data-line="status.answered"]').wait_for()

    # Nothing anyone typed left any browser in clear.
    # (The recordings must hold something, or the check below would prove nothing.)
    assert nurse.sent_contains('"envelope.send"') and visitor.sent_contains('"envelope.send"')
    assert coordinator.sent_contains('"signature"')  # the certificates it posted
    for watched in browsers.values():
        for line in VISITOR_LINES + NURSE_LINES:
            for word in (line, line[:24], line[-24:]):
                assert not watched.sent_contains(word)
    # The role label travels only inside the encrypted profile event.
    assert not nurse.sent_contains(NURSE_LABEL)
    assert all(not watched.errors for watched in browsers.values())


def visitor_config_fingerprint(page: Any) -> str:
    """The admin key fingerprint the chat page pins (its JSON configuration)."""
    return page.evaluate(
        "() => JSON.parse(document.getElementById('widget-config').textContent).admin_fingerprint"
    )


def fresh_stack_admin_public(stack: LiveStack) -> bytes:
    [(public_key,)] = stack.sql("SELECT public_key FROM chat_adminkey WHERE is_active")
    return bytes(public_key)
