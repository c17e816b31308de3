"""ASGI middleware that keeps visitors' network addresses out of the application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Headers through which a reverse proxy passes the client's address on.
FORWARDED_ADDRESS_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-real-ip"})


class ClientAddressScrubber:
    """Remove the client address from every HTTP and websocket scope.

    Visitors are pseudonymous by construction (DESIGN §2): no IP address is stored or
    logged. Rather than trust every line of Django, Channels, the admin and our own code
    never to read `scope["client"]` (Django copies it into `REMOTE_ADDR`), the address is
    taken away before any of them runs: `scope["client"]` becomes None, which the ASGI
    spec allows, and the headers a proxy uses to forward the address are dropped too.

    Invariant: nothing behind this middleware can learn a visitor's address from the
    scope. Rate limits are therefore per connection or per token, never per address.
    The scope is copied, never changed in place, so the server keeps its own view.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = dict(scope)
            scope["client"] = None
            scope["headers"] = [
                (name, value)
                for name, value in scope.get("headers", [])
                if name.lower() not in FORWARDED_ADDRESS_HEADERS
            ]
        await self.app(scope, receive, send)
