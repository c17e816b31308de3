"""Staff sign-in over HTTP, for the reference client: the password form, then the second
factor (a TOTP code from the account's secret), CSRF included — what a browser does."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from chat.client.totp import totp_fresh, totp_spent

LOGIN_PATH = "/staff/login/"
SECOND_FACTOR_PATH = "/staff/2fa/"
# A refused code (the step was used by another sign-in of the account): try the next.
SECOND_FACTOR_TRIES = 3


class LoginFailed(Exception):
    pass


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    """Do not follow redirects: each step's 302 says where the sign-in goes next."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def _post_form(opener, url: str, fields: dict[str, str]) -> str | None:  # noqa: ANN001
    """GET the form at ``url`` (for its CSRF token), POST ``fields``; the redirect's
    Location, or None when the form came back (a wrong value)."""
    with opener.open(url, timeout=10) as response:  # noqa: S310 — our own server
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise LoginFailed(f"no CSRF token on {url}")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), **fields}).encode()
    request = urllib.request.Request(url, data=data, headers={"Referer": url})  # noqa: S310
    try:
        with opener.open(request, timeout=10):  # noqa: S310 — 200: the form again
            return None
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise LoginFailed(f"{url} answered {exc.code}") from exc
        return exc.headers.get("Location", "")


def staff_login(base_url: str, username: str, password: str, totp_secret: str | None = None) -> str:
    """Sign in (password, then a code from ``totp_secret``, the base32 secret of the
    account's authenticator) and return the ``Cookie`` header value of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _KeepRedirect())
    base = base_url.rstrip("/")
    location = _post_form(opener, base + LOGIN_PATH, {"username": username, "password": password})
    if location is None:
        raise LoginFailed("wrong username or password")
    if urllib.parse.urlsplit(location).path != SECOND_FACTOR_PATH:
        raise LoginFailed("this account has no authenticator yet: sign in once in a browser")
    if not totp_secret:
        raise LoginFailed("the account asks for a second factor: pass its TOTP secret")
    for attempt in range(SECOND_FACTOR_TRIES):
        if attempt:
            totp_spent(totp_secret)
            time.sleep(1.1)  # django-otp's throttle after a refused code
        location = _post_form(opener, base + SECOND_FACTOR_PATH, {"code": totp_fresh(totp_secret)})
        if location is not None and urllib.parse.urlsplit(location).path == LOGIN_PATH:
            raise LoginFailed("the sign-in took too long: start again")
        if location is not None:
            cookies = {cookie.name: cookie.value for cookie in jar}
            return "; ".join(f"{name}={value}" for name, value in cookies.items())
    raise LoginFailed("the second factor was refused")
