"""The websocket endpoints take only their own exact origin (config/origin.py): the
scheme, host and port the socket was reached at, whatever ALLOWED_HOSTS allows."""

from __future__ import annotations

import pytest

from config.origin import origin_allowed


def scope(host: str, origin: str | None, *, forwarded_proto: str | None = None) -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if forwarded_proto is not None:
        headers.append((b"x-forwarded-proto", forwarded_proto.encode()))
    return {"type": "websocket", "scheme": "ws", "headers": headers}


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("127.0.0.1", "http://127.0.0.1"),
        ("127.0.0.1", "http://127.0.0.1:80"),
        ("LOCALHOST:8000", "http://localhost:8000"),
    ],
)
def test_its_own_origin_is_taken(settings, host, origin):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert origin_allowed(scope(host, origin))


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:1",  # another port of the same host
        "https://127.0.0.1:8000",  # another scheme
        "http://localhost:8000",  # another allowed host
        "http://127.0.0.1:8000/path",
        "null",
        "",
        None,
    ],
)
def test_any_other_origin_is_refused(settings, origin):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    assert not origin_allowed(scope("127.0.0.1:8000", origin))


def test_a_host_outside_allowed_hosts_is_refused_even_with_its_own_origin(settings):
    settings.ALLOWED_HOSTS = ["helpline.example"]
    assert not origin_allowed(scope("evil.example", "http://evil.example"))


def test_behind_the_tls_proxy_the_origin_is_https(settings):
    settings.ALLOWED_HOSTS = ["helpline.example"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind = scope("helpline.example", "https://helpline.example", forwarded_proto="https")
    assert origin_allowed(behind)
    plain = scope("helpline.example", "http://helpline.example", forwarded_proto="https")
    assert not origin_allowed(plain)


def test_the_proxy_header_counts_only_when_trusted(settings):
    settings.ALLOWED_HOSTS = ["helpline.example"]
    settings.SECURE_PROXY_SSL_HEADER = None
    claimed = scope("helpline.example", "https://helpline.example", forwarded_proto="https")
    assert not origin_allowed(claimed)
