"""Signing staff in on a live helpline in tests (issue 10): the password, then a code
from the account's authenticator.

The demo account's authenticator secret is in demo.json (``demo_seed``). The accounts the
tests create get one through ``authenticators_set`` — on the test server's own database,
through ``manage.py shell``, like ``passwords_set`` — with a secret derived from the
username, so every helper can compute it. Test-only: nothing in the application knows it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from base64 import b32decode, b32encode
from pathlib import Path
from typing import Any

from chat.client.totp import totp_fresh

BASE_DIR = Path(__file__).resolve().parents[1]

AUTHENTICATORS = """
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
for username, key in {keys!r}.items():
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, key=key)
"""


def totp_secret_for(username: str) -> str:
    """The base32 authenticator secret of an account the tests made."""
    digest = hashlib.sha256(b"helpline tests, not a real secret: " + username.encode()).digest()
    return b32encode(digest[:20]).decode()


def authenticators_set(env: dict[str, str], usernames: list[str]) -> None:
    """Give these accounts an authenticator with ``totp_secret_for`` their username."""
    keys = {name: b32decode(totp_secret_for(name)).hex() for name in usernames}
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            AUTHENTICATORS.format(keys=keys),
        ],
        cwd=BASE_DIR,
        env=env,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def browser_sign_in(
    page: Any, username: str, password: str, totp_secret: str | None = None
) -> None:
    """On the sign-in page: the password, then the code (the caller waits for where the
    sign-in leads)."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/staff/2fa/"))
    page.fill("#id_code", totp_fresh(totp_secret or totp_secret_for(username)))
    page.press("#id_code", "Enter")
