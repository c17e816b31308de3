"""Setting up a shift on a live helpline for the dashboard's browser tests: staff accounts
and their browsers' certificates (as demo_certify does for the demo account, with the
demo's admin key), Python reference clients as colleagues, the test clock, and the staff
API called from Python with a signed-in session.

Setup that no page offers (passwords, certifying with the demo's key files) goes through
``manage.py shell`` on the server's own database; everything else goes through the API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from chat.client import DeviceKeys, StaffClient
from chat.client.http import staff_login
from tests.staff_sign_in import authenticators_set, browser_sign_in, totp_secret_for

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


def shell(env: dict[str, str], code: str) -> str:
    """Run Python in `manage.py shell` on the server's database; its stdout."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", textwrap.dedent(code)],
        cwd=BASE_DIR,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"manage.py shell failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def passwords_set(env: dict[str, str], usernames: list[str]) -> None:
    """The demo's colleagues have no password (they do not sign in): give them one, and
    an authenticator for the second factor."""
    authenticators_set(env, usernames)
    shell(
        env,
        f"""
        from django.contrib.auth import get_user_model
        for user in get_user_model().objects.filter(username__in={usernames!r}):
            user.set_password({PASSWORD!r})
            user.save()
        """,
    )


# Certify `username`'s pending browser devices with the demo's admin key and give them
# the team key from the demo's command-line device (what demo_certify does for "demo").
CERTIFY = """
from pathlib import Path
from django.conf import settings
from django.utils import timezone
from chat import keyring
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.models import Device
demo = Path(settings.CHAT_DEMO_DIR)
admin = AdminKeys.load(demo / "admin.key.json")
holder = DeviceKeys.load(demo / "staff.device.json")
now = timezone.now()
pending = Device.objects.filter(user__username={username!r}, state=Device.State.PENDING)
for device in pending:
    keyring.device_certify_with(admin=admin, device_id=str(device.pk), days=365, now=now)
    keyring.team_keys_rewrap(holder=holder, device_id=str(device.pk), now=now)
print(len(pending))
"""


def browser_certify(env: dict[str, str], username: str) -> None:
    """Certify the browser device `username` just registered (its page shows the gate)."""
    count = int(shell(env, CERTIFY.format(username=username)).split()[-1])
    assert count >= 1, f"no pending device of {username}"


# A certified command-line device for `username`, written to `path`.
DEVICE = """
from pathlib import Path
from django.conf import settings
from django.utils import timezone
from chat import keyring
from chat.crypto.keys import AdminKeys, DeviceKeys
demo = Path(settings.CHAT_DEMO_DIR)
admin = AdminKeys.load(demo / "admin.key.json")
holder = DeviceKeys.load(demo / "staff.device.json")
now = timezone.now()
keys = keyring.device_create(username={username!r}, role="staff", label_text="test", now=now)
keyring.device_certify_with(admin=admin, device_id=keys.device_id, days=365, now=now)
keyring.team_keys_rewrap(holder=holder, device_id=keys.device_id, now=now)
keys.save(Path({path!r}))
"""


def colleague_client(
    env: dict[str, str], url: str, username: str, key_dir: Path, fingerprint: bytes
) -> StaffClient:
    """A colleague's dashboard, as the Python reference client: once started, its
    socket counts as "connected" for their presence."""
    path = key_dir / f"{username}.device.json"
    shell(env, DEVICE.format(username=username, path=str(path)))
    return StaffClient.login(
        [url],
        username=username,
        password=PASSWORD,
        totp_secret=totp_secret_for(username),
        device=DeviceKeys.load(path),
        admin_fingerprint=fingerprint,
    )


class StaffApi:
    """The staff JSON API from Python, signed in as one person (session + CSRF)."""

    def __init__(
        self, url: str, username: str, password: str = PASSWORD, totp_secret: str | None = None
    ) -> None:
        self.url = url
        self.cookie = staff_login(url, username, password, totp_secret or totp_secret_for(username))
        jar = SimpleCookie()
        jar.load(self.cookie)
        self.csrf = jar["csrftoken"].value

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 — our own server
            self.url + "/staff/api" + path,
            data=data,
            method=method,
            headers={
                "Cookie": self.cookie,
                "X-CSRFToken": self.csrf,
                "Origin": self.url,
                "Referer": self.url + "/staff/",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer


class HelplineClock:
    """The helpline's test clock (ops/clock.py): seconds added to the server's `now`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set(0)

    def set(self, offset: float) -> None:
        self.path.write_text(f"{offset:.3f}\n", encoding="utf-8")

    def move_to(self, instant: float) -> None:
        """Make the helpline's clock read `instant` (Unix seconds) now."""
        self.set(instant - time.time())


def demo_workspace_open(watched: Any, helpline: Any) -> Any:
    """The demo account (a nurse who coordinates) signs in on a served demo helpline
    (``helpline.env``, ``helpline.demo``); this browser is certified as demo_certify
    does; returns the page once its dashboard is connected."""
    page = watched.page
    page.goto(helpline.url + "/staff/")
    browser_sign_in(page, "demo", helpline.demo["password"], helpline.demo["totp_secret"])
    page.wait_for_selector("#gate-pending", state="visible")
    browser_certify(helpline.env, "demo")
    page.click("#check-again")
    page.wait_for_selector("#connection-status[data-status='open']")
    return page


def conversation_show(page: Any, conversation_id: str, visitor_text: str) -> None:
    """Claim the conversation from the queue (or open it from my list, where another of
    my browsers put it) and wait for the visitor's message."""
    queued = page.locator(
        f"#queue-list .queue-entry[data-conversation-id='{conversation_id}'] .claim"
    )
    mine = page.locator(
        f"#conversation-list .conversation-item[data-conversation-id='{conversation_id}']"
    )
    queued.or_(mine).first.wait_for()
    if queued.count():
        queued.click()
    mine.click()
    page.locator(".message-visitor .bubble", has_text=visitor_text).wait_for()
