"""Staff sign-in over HTTP, for the reference client: the JSON sign-in of native apps
(docs/protocol.md §11.2) — the password and a TOTP code from the account's secret in one
request, CSRF token and Origin included — which gives the session a browser gets."""

from __future__ import annotations

import http.cookiejar
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from chat.client.totp import totp_fresh, totp_spent

SESSION_PATH = "/staff/api/session"
# A code refused (another sign-in of the account took its time step, or the server's
# drift correction no longer takes the step this process had left): try a fresh one.
SECOND_FACTOR_TRIES = 4
CODE_REFUSALS = ("code_used", "code_wrong", "code_throttled")


class LoginFailed(Exception):
    pass


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _call(opener, request: urllib.request.Request) -> tuple[int, dict, dict]:  # noqa: ANN001
    """(status, JSON body, headers) of a request, errors included."""
    try:
        with opener.open(request, timeout=10) as response:  # noqa: S310 — our own server
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def staff_login(base_url: str, username: str, password: str, totp_secret: str | None = None) -> str:
    """Sign in (password, then a code from ``totp_secret``, the base32 secret of the
    account's authenticator) and return the ``Cookie`` header value of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = base_url.rstrip("/") + SESSION_PATH
    headers = {"Origin": _origin(base_url), "Accept": "application/json"}
    _, session, _ = _call(opener, urllib.request.Request(url, headers=headers))  # noqa: S310
    for attempt in range(SECOND_FACTOR_TRIES):
        code = totp_fresh(totp_secret) if totp_secret else ""
        body = {"username": username, "password": password, "code": code}
        request = urllib.request.Request(  # noqa: S310 — our own server
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                **headers,
                "Content-Type": "application/json",
                "X-CSRFToken": session["csrf_token"],
            },
        )
        status, answer, answer_headers = _call(opener, request)
        if status == 200:
            return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)
        refusal = answer.get("error", "")
        if refusal not in CODE_REFUSALS or not totp_secret or attempt + 1 == SECOND_FACTOR_TRIES:
            break
        # django-otp makes the account wait after a refused code: Retry-After says how
        # long when it is the throttle; a refused code costs a second, and its step.
        if refusal == "code_throttled":
            time.sleep(int(answer_headers.get("Retry-After", "1")) + 0.1)
        else:
            totp_spent(totp_secret)
            time.sleep(1.1)
    raise LoginFailed(f"sign-in refused: {status} {refusal}")
