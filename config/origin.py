"""The websocket endpoints take only their own page's exact origin.

Channels' ``AllowedHostsOriginValidator`` compares the host of ``Origin`` with
ALLOWED_HOSTS and ignores the scheme and the port: a page served on another port of the
same host (``http://127.0.0.1:1``), or over plain HTTP beside the HTTPS site, could open
a staff socket with the staff member's cookie. Here the ``Origin`` must be the origin
the socket itself was reached at: the same scheme (``https`` when the TLS proxy says so,
TRUST_X_FORWARDED_PROTO, or the socket is ``wss``), host and port, and the host one of
ALLOWED_HOSTS. Anything else, or no ``Origin``, is refused at the handshake (403).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from config.privacy import ASGIApp, Receive, Scope, Send

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_normal(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port made explicit; None if malformed."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def request_secure(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") == "wss":
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    name, value = proxy_header
    header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    return headers.get(header, b"").decode("latin-1").split(",")[0].strip() == value


def origin_allowed(scope: Scope) -> bool:
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    origin = headers.get(b"origin", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if request_secure(scope, headers) else "http"
    expected = origin_normal(f"{scheme}://{host}")
    return expected is not None and origin_normal(origin) == expected


class SameOriginValidator:
    """Refuse a websocket whose ``Origin`` is not exactly its own (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            await WebsocketDenier()(scope, receive, send)
            return
        await self.app(scope, receive, send)
