"""Staff login over HTTP, for the reference client: Django's login form, CSRF included."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

LOGIN_PATH = "/staff/login/"


class LoginFailed(Exception):
    pass


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    """Do not follow the redirect after login: the 302 itself says it worked."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def staff_login(base_url: str, username: str, password: str) -> str:
    """Log in and return the ``Cookie`` header value carrying the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _KeepRedirect())
    url = base_url.rstrip("/") + LOGIN_PATH
    with opener.open(url, timeout=10) as response:  # noqa: S310 — our own server
        page = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise LoginFailed("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": match.group(1), "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(url, data=form, headers={"Referer": url})  # noqa: S310
    try:
        with opener.open(request, timeout=10):  # noqa: S310 — 200: the form again
            pass
    except urllib.error.HTTPError as exc:
        if exc.code != 302:
            raise LoginFailed(f"login answered {exc.code}") from exc
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise LoginFailed("wrong username or password")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
