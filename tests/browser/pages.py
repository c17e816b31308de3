"""Driving the staff pages in Chromium: shared by the browser tests that set a helpline
up through its pages (no database shortcuts)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from chat.crypto import suite1
from chat.crypto.encoding import b64decode
from tests.staff_sign_in import authenticators_set, browser_sign_in

BASE_DIR = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery staple"
PASSPHRASE = "lilas brouillard quai ardoise"
TIMEOUT_MS = 20_000


def manage(env: dict[str, str], *arguments: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


def staff_accounts_add(env: dict[str, str], nurse_label: str) -> None:
    """claire, the coordinator, and nadia, a nurse; both with PASSWORD and an
    authenticator (tests/staff_sign_in.py)."""
    manage(
        env,
        *("staff_add", "claire", "--label", "Coordinatrice", "--coordinator", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    manage(
        env,
        *("staff_add", "nadia", "--label", nurse_label, "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    authenticators_set(env, ["claire", "nadia"])


def fresh_helpline(
    serve: Any, embedded_env: dict[str, str], tmp_path: Path, nurse_label: str
) -> Any:
    """`manage.py serve` on a fresh SQLite database: migrated, claire and nadia
    (staff_accounts_add), no keys."""
    env = {
        **embedded_env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.sqlite3'}",
        "SECRET_KEY": "browser-tests-only-" + "x" * 40,
    }
    manage(env, "migrate", "--no-input")
    staff_accounts_add(env, nurse_label)
    return serve(env)


class Watched:
    """A browser context with one page; records console errors, every websocket frame
    the page sends and every HTTP request body it sends."""

    def __init__(self, browser: Any, **options: Any) -> None:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "fr-FR")
        self.context = browser.new_context(**options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.frames_sent: list[str] = []
        self.bodies_sent: list[bytes] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        self.page.on("websocket", self._socket)
        self.context.on("request", self._request)

    def _socket(self, socket: Any) -> None:
        socket.on("framesent", lambda payload: self.frames_sent.append(str(payload)))

    def _request(self, request: Any) -> None:
        body = request.post_data_buffer
        if body:
            self.bodies_sent.append(body)

    def sent_contains(self, text: str) -> bool:
        """Whether ``text`` left this browser in clear, in a frame or a request body."""
        encoded = text.encode("utf-8")
        return any(text in frame for frame in self.frames_sent) or any(
            encoded in body for body in self.bodies_sent
        )

    def login(self, url: str, username: str) -> None:
        self.page.goto(url + "/staff/")
        self.page.wait_for_url(re.compile(r"/staff/login/"))
        browser_sign_in(self.page, username, PASSWORD)
        self.page.wait_for_url(re.compile(r"/staff/$"))

    def close(self) -> None:
        self.context.close()


def fingerprint_of(page: Any, selector: str) -> str:
    page.wait_for_function(
        "selector => document.querySelector(selector).textContent.trim().length > 0",
        arg=selector,
    )
    return page.text_content(selector).strip()


def device_row(page: Any, table: str, fingerprint: str) -> Any:
    return page.locator(
        f"#{table} tr", has=page.locator("td.fingerprint-cell", has_text=fingerprint)
    )


def device_fingerprint(device: dict) -> str:
    """key_id(kem_pk ‖ sig_pk) in groups of 4, as the pages show it."""
    both = b64decode(device["kem_pk"]) + b64decode(device["sig_pk"])
    return suite1.fingerprint_display(suite1.key_id(both))


def pending_device(watched: Watched) -> str:
    """Wait until the staff page shows its 'must be certified' gate; its fingerprint."""
    watched.page.wait_for_selector("#gate-pending", state="visible")
    return fingerprint_of(watched.page, "#device-fingerprint")


def admin_key_create(page: Any, backup_path: Path) -> bytes:
    """On /staff/setup/: make the admin key, save its backup; return the fingerprint."""
    page.wait_for_selector("#admin-create-form", state="visible")
    page.fill("#admin-passphrase", PASSPHRASE)
    page.fill("#admin-passphrase-confirm", PASSPHRASE)
    with page.expect_download() as download_info:
        page.click("#admin-create")
    download_info.value.save_as(backup_path)
    page.click("#admin-install")
    page.wait_for_selector("#admin-unlocked", state="visible")
    return bytes.fromhex(fingerprint_of(page, "#admin-fingerprint").replace(" ", ""))


def device_certify(page: Any, fingerprint: str) -> None:
    """On /staff/setup/: certify the pending device with this fingerprint."""
    row = device_row(page, "pending-devices", fingerprint)
    row.wait_for()
    row.get_by_role("button", name=re.compile("Certifier")).click()
    device_row(page, "certified-devices", fingerprint).wait_for()


def team_key_create(page: Any) -> None:
    page.click("#team-create")
    page.wait_for_function(
        "() => document.querySelector('#team-state').textContent.includes('version 1')"
    )
