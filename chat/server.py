"""Daphne as `manage.py serve` runs it: what one websocket may hold in this process's
memory while its client does not read.

Daphne hands every ``websocket.send`` to the socket's Twisted transport, which keeps in
memory whatever the kernel does not take yet, without limit: a client that stops
reading and keeps asking (a ``sync`` of a conversation full of large messages, twenty
times a second) grew a worker by a gigabyte in seconds, and the memory stayed. Here:

- a send that would leave more than ``CHAT_SEND_QUEUE_BYTES`` waiting for one socket is
  not queued: the socket is closed with 4413 (a slow consumer) instead; Autobahn drops
  the connection, and the buffer with it, when the close handshake does not complete
  within a second. This holds for every send: answers, backlogs and live fan-out;
- a send to a socket that is already closing is dropped quietly (Autobahn raises
  ``Disconnected`` for it, which reached the consumer as an error with a traceback: a
  client that floods then closes made the worker log ERROR lines), and so is one to a
  connection whose file descriptor uvloop has closed already (its ``RuntimeError``);
- a socket is pinged every ``ping_interval`` and answers with a pong within
  ``ping_timeout``, or is dropped, whatever else it sends. Daphne pings a socket only
  after ``ping_interval`` without an incoming message, and Autobahn by default takes
  any incoming data frame for a pong (``autoPingRestartOnAnyTraffic``): a client that
  stopped reading but kept sending the protocol's ``ping`` frames was never pinged, so
  never cut (240 s, its worker's memory growing, until the send bound above happened to
  trip). Here an incoming message leaves Daphne's ping schedule as it was;
- each websocket scope carries ``extensions["helpline.send_queue"]``, a function giving the
  bytes now waiting for that socket, so the consumer can wait for a client to take one
  page of a backlog before reading the next (chat/consumers/base.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

from chat.protocol.close_codes import CloseCode

logger = logging.getLogger(__name__)

SEND_QUEUE_EXTENSION = "helpline.send_queue"


def transport_queued(transport: object) -> int:
    """Bytes a Twisted transport holds that the kernel has not taken yet (its buffers are
    ``dataBuffer`` from ``offset`` on, and the pieces written since, ``_tempDataLen``)."""
    data = getattr(transport, "dataBuffer", b"")
    return len(data) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def send_queue(protocol: WebSocketProtocol) -> Callable[[], int]:
    return lambda: transport_queued(protocol.transport)


def pings_kept(protocol: WebSocketProtocol) -> Callable[[bytes, bool], None]:
    """The socket's ``onMessage``, but leaving ``last_ping`` (when Daphne last pinged it)
    as it was: Daphne's own sets it to now, so a client that never stops sending is never
    pinged, and never has to prove with a pong that it reads."""
    message = protocol.onMessage

    def on_message(payload: bytes, is_binary: bool) -> None:
        pinged = protocol.last_ping
        message(payload, is_binary)
        protocol.last_ping = pinged

    return on_message


class HelplineServer(Server):
    """Daphne's server with a bound on the bytes queued for each websocket."""

    def __init__(self, *args, send_queue_max_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.send_queue_max_bytes = send_queue_max_bytes

    def create_application(self, protocol, scope):
        if isinstance(protocol, WebSocketProtocol):
            scope.setdefault("extensions", {})[SEND_QUEUE_EXTENSION] = send_queue(protocol)
            # Only a pong proves the client reads (see the module).
            protocol.autoPingRestartOnAnyTraffic = False
            protocol.onMessage = pings_kept(protocol)
        return super().create_application(protocol, scope)

    async def handle_reply(self, protocol, message) -> None:
        if message.get("type") == "websocket.send" and isinstance(protocol, WebSocketProtocol):
            if protocol.state in (WebSocketProtocol.STATE_CLOSING, WebSocketProtocol.STATE_CLOSED):
                return  # closing: its client is going, and no frame follows a close
            size = len(message.get("text") or message.get("bytes") or "")
            if transport_queued(protocol.transport) + size > self.send_queue_max_bytes:
                logger.info("a socket that does not read was closed (%d)", CloseCode.SLOW_CONSUMER)
                # Autobahn takes a plain int, not an IntEnum.
                protocol.serverClose(code=int(CloseCode.SLOW_CONSUMER))
                return
        try:
            await super().handle_reply(protocol, message)
        except RuntimeError as error:
            if "handler is closed" not in str(error):
                raise
            # uvloop: the client dropped the connection and its file descriptor is gone
            # before Twisted marked the protocol closed: nothing to send it any more.
            logger.debug("a send to a connection already gone was dropped")
