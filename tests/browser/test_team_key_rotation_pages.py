"""Team key rotation in a real Chromium (issue 7): the coordinator rotates on the setup
page; the nurse's browser, which published its wrap key when it started, gets version 2,
moves the live conversation to it with a signed epoch when it opens it, and the visitor
(the Python reference client) and the nurse keep talking."""

from __future__ import annotations

from typing import Any

import pytest

from chat.client import VisitorClient
from tests.browser.conftest import SCREENSHOTS
from tests.browser.pages import (
    PASSPHRASE,
    TIMEOUT_MS,
    admin_key_create,
    device_certify,
    device_row,
    fresh_helpline,
    pending_device,
    team_key_create,
)

pytestmark = pytest.mark.browser

TIMEOUT_S = TIMEOUT_MS / 1000


@pytest.fixture
def helpline(serve, embedded_env, tmp_path) -> Any:
    return fresh_helpline(serve, embedded_env, tmp_path, "Infirmière")


def setup_json(page: Any) -> dict:
    return page.evaluate("() => fetch('/staff/api/setup').then((r) => r.json())")


def receive_text(background: Any, visitor: VisitorClient, text: str) -> Any:
    async def wait() -> Any:
        while True:
            message = await visitor.messages.get()
            if message.content_type == "text" and message.text == text:
                return message

    return background.run(wait(), timeout=TIMEOUT_S)


def test_the_coordinator_rotates_and_a_live_conversation_keeps_working(
    helpline, watched, background, tmp_path
):
    url = helpline.url
    coordinator = watched(accept_downloads=True)
    coordinator.login(url, "claire")
    coordinator_device = pending_device(coordinator)
    page = coordinator.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("a[href='/staff/setup/']")
    admin_fingerprint = admin_key_create(page, tmp_path / "helpline-admin-key.json")
    device_certify(page, coordinator_device)
    team_key_create(page)

    nurse = watched()
    nurse.login(url, "nadia")
    nurse_device = pending_device(nurse)
    page.click("#setup-refresh")
    device_certify(page, nurse_device)
    nurse.page.click("#check-again")
    nurse.page.wait_for_selector("#connection-status[data-status='open']")

    visitor = VisitorClient([url], admin_fingerprint=admin_fingerprint, language="fr")
    background.run(visitor.start())
    try:
        background.run(visitor.say("bonjour, avant"))
        nurse.page.locator(".conversation-item").first.click()
        nurse.page.locator(".message-visitor .bubble", has_text="bonjour, avant").wait_for()

        # The nurse's browser published a wrap key when it started: the rotation wraps
        # version 2 to it.
        page.click("#setup-refresh")
        page.wait_for_function(
            "() => document.querySelector('#setup').getAttribute('aria-busy') === 'false'"
        )
        page.click("#team-rotate")
        page.wait_for_function(
            "() => document.querySelector('#team-state').textContent.includes('version 2')"
        )
        nurse_entry = next(d for d in setup_json(page)["devices"] if d["username"] == "nadia")
        assert nurse_entry["team_key_versions"] == [1, 2]
        assert setup_json(page)["team_key_usage"] == {"1": 1}
        page.click("#setup-refresh")
        page.locator("#team-usage", has_text="v1 (1)").wait_for()

        # The nurse's next start: version 2, and the conversation moves to it.
        nurse.page.reload()
        nurse.page.wait_for_selector("#connection-status[data-status='open']")
        page.wait_for_function(
            """() => fetch('/staff/api/setup').then((r) => r.json())
                 .then((data) => JSON.stringify(data.team_key_usage) === '{"2":1}')""",
            polling=500,
            timeout=TIMEOUT_MS,
        )

        background.run(visitor.say("et après"))
        nurse.page.locator(".conversation-item").first.click()
        nurse.page.locator(".message-visitor .bubble", has_text="et après").wait_for()
        nurse.page.fill("#composer-text", "toujours là")
        nurse.page.press("#composer-text", "Enter")
        answer = receive_text(background, visitor, "toujours là")
        assert answer.epoch == 1
    finally:
        background.run(visitor.stop())

    assert not any("toujours là" in frame for frame in nurse.frames_sent)
    assert coordinator.errors == []
    assert nurse.errors == []


def test_a_device_without_a_wrap_key_is_named_with_what_happens_next(helpline, watched, tmp_path):
    """A nurse's browser certified after its last start has published no wrap key: a
    rotation cannot reach it. The page says so, by name, with the next step, and never
    reports a success it did not have; once her page has started again, "Give the team
    key" gives it, and says to whom."""
    url = helpline.url
    backup = tmp_path / "helpline-admin-key.json"
    coordinator = watched(accept_downloads=True)
    coordinator.login(url, "claire")
    claire_device = pending_device(coordinator)
    page = coordinator.page
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("a[href='/staff/setup/']")
    admin_key_create(page, backup)
    device_certify(page, claire_device)
    team_key_create(page)
    # Claire's own page starts once (it publishes her wrap key), then she comes back
    # and loads the admin key again.
    page.goto(url + "/staff/")
    page.wait_for_selector("#workspace", state="visible")
    page.goto(url + "/staff/setup/")
    page.set_input_files("#admin-load-file", str(backup))
    page.fill("#admin-load-passphrase", PASSPHRASE)
    page.click("#admin-load")
    page.wait_for_selector("#admin-unlocked", state="visible")

    # Nadia's browser is certified (it gets version 1 at once) but does not start again.
    nurse = watched()
    nurse.login(url, "nadia")
    nurse_device = pending_device(nurse)
    page.click("#setup-refresh")
    device_certify(page, nurse_device)
    status = page.locator("#setup-status")
    assert "Version 1 donnée à 1 appareil : nadia" in status.inner_text()

    page.click("#team-rotate")
    page.wait_for_function(
        "() => document.querySelector('#team-state').textContent.includes('version 2')"
    )
    said = status.inner_text()
    assert "Clé d’équipe version 2 créée. Version 2 donnée à 1 appareil : claire" in said
    assert "1 appareil n’a pas encore publié de clé de réception : nadia" in said
    assert "ouvre la page Conversations" in said  # what happens next
    assert "notice-warn" in status.get_attribute("class")
    assert "nadia" in page.locator("#team-waiting").inner_text()
    row = device_row(page, "certified-devices", nurse_device)
    assert "n’a pas la v2 : pas encore de clé de réception publiée" in row.inner_text()
    assert page.locator("#team-give").is_hidden()  # nobody can be given it yet
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "team-key-no-wrap-key.png"), full_page=True)

    # Nadia's page starts again: it publishes a wrap key; Claire gives her version 2.
    nurse.page.click("#check-again")
    nurse.page.wait_for_selector("#connection-status[data-status='open']")
    page.click("#setup-refresh")
    give = page.locator("#team-give")
    give.wait_for()
    assert give.inner_text() == "Donner la clé d’équipe aux appareils qui ne l’ont pas (1)"
    give.click()
    given = page.locator(
        "#setup-status.notice-ok", has_text="Version 2 donnée à 1 appareil : nadia"
    )
    given.wait_for()
    assert page.locator("#team-waiting").is_hidden()
    nurse_entry = next(d for d in setup_json(page)["devices"] if d["username"] == "nadia")
    assert nurse_entry["team_key_versions"] == [1, 2]
    page.screenshot(path=str(SCREENSHOTS / "team-key-given.png"), full_page=True)
    assert coordinator.errors == []
    assert nurse.errors == []
