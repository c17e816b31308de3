"""The staff pages in a real Chromium, on a helpline set up from nothing, through the
pages only: the coordinator makes the admin key (its backup downloaded and opened in
Python), certifies devices and makes the team key; a nurse's browser waits until it is
certified, then answers a visitor (the Python reference client) end to end encrypted.

Screenshots: tests/browser/screenshots/staff-conversation.png (1280×800, a short
exchange) and staff-setup.png (the coordinator's page, full length).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chat.client import AdminKeys, VisitorClient
from chat.crypto import suite1
from chat.protocol import frames as f
from tests.browser.pages import (
    PASSPHRASE,
    TIMEOUT_MS,
    device_fingerprint,
    device_row,
    fingerprint_of,
    fresh_helpline,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
NURSE_LABEL = "Infirmière"
TIMEOUT_S = TIMEOUT_MS / 1000

VISITOR_LINES = [
    "Bonjour, je voudrais faire un test de dépistage. C'est possible sans papiers ?",
    "Je suis à Bordeaux, je peux venir demain matin.",
]
NURSE_LINES = [
    "Bonjour, oui : le dépistage est gratuit et anonyme, sans papiers. Vous êtes où ?",
    "Parfait. Le CeGIDD vous reçoit demain de 9 h à 12 h, sans rendez-vous.\n"
    "Je peux vous envoyer l'adresse.",
]


# -- a helpline with accounts and no keys ------------------------------------------------------


@pytest.fixture
def helpline(serve, embedded_env, tmp_path) -> Any:
    """`manage.py serve` on a fresh SQLite database: migrated, two accounts, no keys."""
    return fresh_helpline(serve, embedded_env, tmp_path, NURSE_LABEL)


# -- the whole path ------------------------------------------------------------------------------


def test_a_helpline_is_set_up_and_answers_from_the_pages(helpline, watched, background, tmp_path):
    url = helpline.url

    # The coordinator signs in: this browser becomes a pending device.
    coordinator = watched(accept_downloads=True)
    coordinator.login(url, "claire")
    page = coordinator.page
    page.wait_for_selector("#gate-pending", state="visible")
    coordinator_device = fingerprint_of(page, "#device-fingerprint")
    assert re.fullmatch(r"([0-9a-f]{4} ){7}[0-9a-f]{4}", coordinator_device)

    # Setup: the admin key is made in the browser, its backup downloaded.
    page.click("a[href='/staff/setup/']")
    page.wait_for_selector("#admin-create-form", state="visible")
    page.fill("#admin-passphrase", PASSPHRASE)
    assert page.get_attribute("#admin-passphrase-strength", "data-strength") == "strong"
    page.fill("#admin-passphrase-confirm", PASSPHRASE)
    with page.expect_download() as download_info:
        page.click("#admin-create")
    download = download_info.value
    assert download.suggested_filename == "helpline-admin-key.json"
    backup_path = tmp_path / "helpline-admin-key.json"
    download.save_as(backup_path)
    backup = json.loads(backup_path.read_text())
    assert backup["kind"] == "helpline-admin-key-backup"
    assert backup["kdf"] == {**backup["kdf"], "name": "PBKDF2-SHA256", "iterations": 600000}
    admin = AdminKeys.load_backup(backup_path, PASSPHRASE)
    with pytest.raises(ValueError):
        AdminKeys.load_backup(backup_path, PASSPHRASE + "!")

    page.click("#admin-install")
    page.wait_for_selector("#admin-unlocked", state="visible")
    fingerprint_text = fingerprint_of(page, "#admin-fingerprint")
    admin_fingerprint = bytes.fromhex(fingerprint_text.replace(" ", ""))
    # The key the server now pins is the one in the backup file.
    assert admin_fingerprint == suite1.admin_fingerprint(admin.public)

    # The coordinator certifies her own device, then makes the team key.
    row = device_row(page, "pending-devices", coordinator_device)
    row.get_by_role("button", name=re.compile("Certifier")).click()
    device_row(page, "certified-devices", coordinator_device).wait_for()
    page.click("#team-create")
    page.wait_for_function(
        "() => document.querySelector('#team-state').textContent.includes('version 1')"
    )

    # The nurse signs in elsewhere: her device waits, and she sees nothing else.
    nurse = watched()
    nurse.login(url, "nadia")
    nurse_page = nurse.page
    nurse_page.wait_for_selector("#gate-pending", state="visible")
    nurse_device = fingerprint_of(nurse_page, "#device-fingerprint")
    assert nurse_page.is_hidden("#workspace")
    assert nurse_page.is_hidden("#conversation-list")
    visible_text = nurse_page.inner_text("main")
    assert "doit être certifié par la coordination" in visible_text
    assert "Conversations\n" not in visible_text

    # The fingerprint covers both public keys the certificate binds.
    setup = page.evaluate("() => fetch('/staff/api/setup').then((r) => r.json())")
    assert nurse_device in {device_fingerprint(device) for device in setup["devices"]}

    # The coordinator sees her device (same fingerprint), certifies it: the team key
    # goes to it from the coordinator's own device at once.
    page.click("#setup-refresh")
    row = device_row(page, "pending-devices", nurse_device)
    row.wait_for()
    assert "nadia" in row.inner_text()
    row.get_by_role("button", name=re.compile("Certifier")).click()
    certified = device_row(page, "certified-devices", nurse_device)
    certified.wait_for()
    page.wait_for_function(
        """fingerprint => [...document.querySelectorAll('#certified-devices tr')].some(
             row => row.textContent.includes(fingerprint) && row.textContent.includes('v1')
               && !row.textContent.includes('(n’a pas'))""",
        arg=nurse_device,
    )

    # "Check again": the nurse's page opens the conversation list.
    nurse_page.click("#check-again")
    nurse_page.wait_for_selector("#workspace", state="visible")
    nurse_page.wait_for_selector("#connection-status[data-status='open']")
    assert nurse_page.is_visible("#conversation-list-empty")

    # A visitor (the Python reference client) pins the fingerprint from the setup page.
    visitor = VisitorClient([url], admin_fingerprint=admin_fingerprint, language="fr")
    background.run(visitor.start())
    try:
        background.run(visitor.say(VISITOR_LINES[0]))
        item = nurse_page.locator(".conversation-item").first
        item.wait_for()
        nurse_page.wait_for_function(
            "() => document.querySelector('.conversation-item').dataset.waiting === 'waiting'"
        )
        assert item.locator(".unread [aria-hidden]").inner_text() == "1"
        item.click()
        nurse_page.locator(".message-visitor .bubble", has_text=VISITOR_LINES[0]).wait_for()
        assert nurse_page.inner_text(".message-visitor .who") == "Visiteur·euse"

        # The nurse answers with the keyboard (Enter sends).
        nurse_page.fill("#composer-text", NURSE_LINES[0])
        nurse_page.press("#composer-text", "Enter")
        answer = receive_text(background, visitor, NURSE_LINES[0])
        nurse_device_id = answer.sender
        profile = profile_of(visitor, nurse_device_id)
        # The label as written, and the role it names, for visitors of other languages.
        assert profile == {"kind": "profile", "label": NURSE_LABEL, "role": "nurse"}

        # A short exchange for the screenshot; the visitor acknowledges reading.
        background.run(visitor.say(VISITOR_LINES[1]))
        nurse_page.locator(".message-visitor .bubble", has_text=VISITOR_LINES[1]).wait_for()
        nurse_page.fill("#composer-text", NURSE_LINES[1].split("\n")[0])
        nurse_page.press("#composer-text", "Shift+Enter")
        nurse_page.type("#composer-text", NURSE_LINES[1].split("\n")[1])
        nurse_page.press("#composer-text", "Enter")
        last = receive_text(background, visitor, NURSE_LINES[1])
        background.run(visitor_read(visitor, last.order))
        nurse_page.wait_for_function(
            "() => [...document.querySelectorAll('.message-own .info')].at(-1)"
            ".textContent.includes('Lu')"
        )
        nurse_page.wait_for_function(
            "() => document.querySelector('.conversation-item').dataset.waiting === 'answered'"
        )
    finally:
        background.run(visitor.stop())

    # Nothing the nurse typed left her browser in clear.
    assert nurse.frames_sent
    for line in NURSE_LINES:
        for part in line.split("\n"):
            assert not any(part in frame for frame in nurse.frames_sent)

    # A later visit: the admin key is loaded again from its backup (a wrong passphrase
    # is refused), or from the command line's plain key file.
    page.reload()
    page.wait_for_selector("#admin-locked", state="visible")
    page.set_input_files("#admin-load-file", str(backup_path))
    page.fill("#admin-load-passphrase", "not the passphrase")
    page.click("#admin-load")
    page.wait_for_selector("#setup-status.notice-error")
    assert page.is_visible("#admin-locked")
    page.fill("#admin-load-passphrase", PASSPHRASE)
    page.click("#admin-load")
    page.wait_for_selector("#admin-unlocked", state="visible")
    plain_path = tmp_path / "admin.key.json"
    admin.save(plain_path)
    page.reload()
    page.set_input_files("#admin-load-file", str(plain_path))
    page.click("#admin-load")
    page.wait_for_selector("#admin-unlocked", state="visible")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    nurse_page.locator("#composer-text").blur()
    nurse_page.screenshot(path=str(SCREENSHOTS / "staff-conversation.png"))
    page.click("#setup-refresh")
    page.wait_for_function(
        "() => document.querySelector('#setup').getAttribute('aria-busy') === 'false'"
    )
    page.screenshot(path=str(SCREENSHOTS / "staff-setup.png"), full_page=True)

    assert coordinator.errors == []
    assert nurse.errors == []


def receive_text(background: Any, visitor: VisitorClient, text: str) -> Any:
    async def wait() -> Any:
        while True:
            message = await visitor.messages.get()
            if message.content_type == "text" and message.text == text:
                return message

    return background.run(wait(), timeout=TIMEOUT_S)


def profile_of(visitor: VisitorClient, sender: str) -> dict:
    events = [
        json.loads(message.content)
        for message in visitor.history
        if message.sender == sender and message.content_type == "event"
    ]
    return events[-1] if events else {}


async def visitor_read(visitor: VisitorClient, order: int) -> None:
    # Receipts are not answered (docs/protocol.md §8.2).
    await visitor.connection.send(
        f.ReceiptSend(conversation_id=visitor.conversation_id, kind="read", order=order)
    )
