"""Every HTTP route, found by walking the URL configuration, from the wrong side (issue
10): anonymous, and signed in with the password alone (no second factor), each one is
refused — unless it is on the explicit list of public routes. Every answer carries the
security headers. A new route that answers either of them fails here until it is
protected or consciously listed as public. (Websocket routes: tests/chat/
test_staff_socket_wrong_side.py.)"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ops.devices import services

pytestmark = pytest.mark.django_db

# Reachable by anybody, on purpose: the visitor's pages, health, the sign-in itself.
PUBLIC = {
    "healthz",
    "livez",  # liveness: this process answers (chat/health.py)
    "ops:login",
    "ops:logout",  # POST only; signs out whoever asks
    "ops:language",  # the sign-in page's language switch
    "widget:chat",
    "widget:embed",
    "widget:bye",
    "widget:opened",  # POST only, empty; 204 whatever the code (issue 8)
    # The self-help pages beside the chat, their offline copy, worker and manifest.
    "widget:pages-home",
    "widget:pages-section",
    "widget:pages-kit",
    "widget:pages-manifest",
    "widget:service-worker",
    "widget:pages-embed-home",
    "widget:pages-embed-section",
    "staff_auth:security-txt",
    # The sign-in of native apps: GET says who is signed in (nobody, here) with a CSRF
    # token; POST is the sign-in itself (tests/ops/test_session_api.py).
    "staff_auth:api-session",
    # Issue 24: a visitor's push opt-in (POST only; the conversation's token authorises)
    # and the staff dashboard's service worker (no secret, fetched for updates).
    "ops:push-visitor-subscribe",
    "ops:push-visitor-unsubscribe",
    "ops:staff-service-worker",
}
# The only route any partner site may frame.
FRAMEABLE = {"widget:embed", "widget:pages-embed-home", "widget:pages-embed-section"}
SAMPLES = {"int": "1", "uuid": str(uuid.UUID(int=7)), "slug": "x", "str": "x", "path": "x"}
# The admin's routes are regular expressions: a sample of them, the rest is the same site.
ADMIN_SAMPLES = ["/admin/", "/admin/auth/user/", "/admin/ops/staffprofile/", "/admin/login/"]
PASSWORD = "correct horse battery staple"


def sample_path(route: str) -> str:
    path = route
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        converter = path[start + 1 : end].split(":")[0] if ":" in path[start:end] else "str"
        path = path[:start] + SAMPLES[converter] + path[end + 1 :]
    return "/" + path


def routes() -> list[tuple[str, str]]:
    """(name, sample path) of every route but the admin's."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) == "admin/":
                    continue
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                assert isinstance(pattern, URLPattern)
                name = namespace + (pattern.name or f"<unnamed {pattern.pattern}>")
                found.append((name, sample_path(prefix + str(pattern.pattern))))

    walk(get_resolver().url_patterns, "", "")
    return found


def password_only_client() -> Client:
    """A coordinator who typed the right password but not the second factor — as if a
    session had been made without it: Django's own login, not the staff sign-in."""
    user = services.staff_member_create(username="mallory", password=PASSWORD, is_coordinator=True)
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    # A login that skips the second factor.
    client._login(user, "django.contrib.auth.backends.ModelBackend")  # noqa: SLF001
    return client


def assert_refused(response, where: str) -> None:
    assert response.status_code in (302, 401, 403, 404, 405), (where, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith(("/staff/login/", "/admin/login/")), where


def assert_headers(response, name: str) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'", name
    assert directives["script-src"] == "'self'", name
    assert directives["base-uri"] == "'none'", name
    assert "unsafe-inline" not in directives["script-src"], name
    assert "http" not in directives["script-src"], name  # no third-party host
    if name not in FRAMEABLE:
        assert directives["frame-ancestors"] == "'none'", name
        assert response["X-Frame-Options"] == "DENY", name
    assert response["X-Content-Type-Options"] == "nosniff", name
    assert response["Referrer-Policy"] in ("no-referrer", "same-origin"), name
    assert "camera=()" in response["Permissions-Policy"], name


def test_the_route_list_is_what_this_test_knows_about():
    names = {name for name, _ in routes()}
    assert names >= PUBLIC, PUBLIC - names
    assert len(names) >= 45  # the walk found the staff routes, not an empty list


def test_every_route_not_listed_as_public_refuses_an_anonymous_visitor():
    client = Client()
    for name, path in routes():
        if name in PUBLIC:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert_refused(response, f"{method.upper()} {path} ({name})")
            assert_headers(response, name)


def test_every_route_not_listed_as_public_refuses_a_password_without_second_factor():
    client = password_only_client()
    for name, path in routes():
        if name in PUBLIC or name == "ops:logout":
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert_refused(response, f"{method.upper()} {path} ({name})")


def test_the_admin_refuses_both_and_sends_them_to_the_staff_sign_in():
    for client in (Client(), password_only_client()):
        for path in ADMIN_SAMPLES:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith(("/staff/login/", "/admin/login/")), path
            assert_headers(response, "admin")


def test_the_same_coordinator_with_both_factors_gets_in(client):
    """The control: what the tests above refuse is refused for the missing factor."""
    user = services.staff_member_create(username="alice", password=PASSWORD, is_coordinator=True)
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)  # tests/conftest.py: a session through both factors
    for path in ("/staff/", "/staff/setup/", "/staff/audit/", "/staff/security/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_headers(response, path)
    assert client.get("/staff/api/setup").status_code == 200


def test_every_public_route_answers_with_the_security_headers(client):
    for name, path in routes():
        if name in PUBLIC:
            assert_headers(client.get(path), name)
