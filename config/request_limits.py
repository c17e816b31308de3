"""Request bodies past a cap are refused by Daphne before they are buffered.

Daphne (through Twisted) reads a whole request body before the application sees any of
it: into memory under 100 kB, into a temporary file above, and then once more into
memory when it hands the body to the application. One anonymous 800 MB POST took a
`serve` process from 101 to 906 MB, never given back, and 1.3 GB of disk meanwhile.
Caddy caps bodies first (deploy/Caddyfile); this is the same cap for installs without
it, and in case the proxy's is changed.

The cap is checked on the declared Content-Length as soon as the headers are in, and on
the bytes received so far for a chunked body: past it, the client gets `413` and the
connection is closed at once, so nothing more of the body is read. Nothing is logged
(a client sending too much is not the server's error); `helpline_http_bodies_refused`
counts them.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from daphne import server as daphne_server
from daphne.http_protocol import HTTPFactory, WebRequest

from chat import metrics

RESPONSE_TOO_LARGE = (
    b"HTTP/1.1 413 Content Too Large\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 24\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"Request body too large.\n"
)


class BodyBoundedRequest(WebRequest):
    """Daphne's request, refusing a body longer than ``max_body_bytes``."""

    max_body_bytes: int = 0

    def gotLength(self, length: int | None) -> None:  # noqa: N802 — Twisted's name
        self.body_received = 0
        self.body_refused = False
        if length is not None and length > self.max_body_bytes:
            # Twisted would answer `Expect: 100-continue` after this, on a closing socket.
            self.requestHeaders.removeHeader(b"Expect")
            self.content = BytesIO()
            self.body_refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 — Twisted's name
        if self.body_refused:
            return
        self.body_received += len(data)
        if self.body_received > self.max_body_bytes:
            self.body_refuse()
            return
        super().handleContentChunk(data)

    def process(self) -> Any:
        # A refused body may have arrived whole in the packet that refused it: Twisted
        # then still calls this; the application must not see a truncated request.
        if self.body_refused:
            return None
        return super().process()

    def body_refuse(self) -> None:
        self.body_refused = True
        metrics.BODIES_REFUSED.inc()
        self.channel.transport.write(RESPONSE_TOO_LARGE)
        self.channel.loseConnection()


class BodyBoundedHTTPFactory(HTTPFactory):
    def __init__(self, server: daphne_server.Server, max_body_bytes: int) -> None:
        super().__init__(server)
        self.request_class = type(
            "BodyBoundedRequest", (BodyBoundedRequest,), {"max_body_bytes": max_body_bytes}
        )

    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 — Twisted's name
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = self.request_class
        return protocol


def body_bound_install(max_body_bytes: int) -> None:
    """Make every Daphne server of this process refuse bodies over ``max_body_bytes``.

    `daphne.server.Server.run` builds its HTTP factory by name with no way to pass
    another, so the name is replaced in Daphne's module; only `manage.py serve` calls
    this, before it builds its server.
    """
    daphne_server.HTTPFactory = lambda server: BodyBoundedHTTPFactory(server, max_body_bytes)
