"""What `serve` lets wait in memory for one websocket (chat/server.py): a send that
would leave more than CHAT_SEND_QUEUE_BYTES queued closes the socket (4413) instead,
and a send to a closing socket is dropped without an error."""

from __future__ import annotations

import queue

from daphne.ws_protocol import WebSocketProtocol

from chat.protocol.close_codes import CloseCode
from chat.server import HelplineServer, transport_queued

LIMIT = 1000


class Transport:
    """The part of a Twisted transport that holds unsent bytes."""

    def __init__(self, queued: int) -> None:
        self.dataBuffer = b"x" * (queued + 10)
        self.offset = 10
        self._tempDataLen = 0


class Socket(WebSocketProtocol):
    def __init__(self, *, queued: int = 0, state: int = WebSocketProtocol.STATE_OPEN) -> None:
        self.transport = Transport(queued)
        self.state = state
        self.sent: list[str] = []
        self.closed_with: int | None = None

    def handle_reply(self, message: dict) -> None:
        self.sent.append(message.get("text"))

    def serverClose(self, code=None) -> None:  # noqa: N802 — Daphne's name
        self.closed_with = code


def server(*sockets: Socket) -> HelplineServer:
    daphne = HelplineServer(application=None, endpoints=["tcp:0"], send_queue_max_bytes=LIMIT)
    daphne.connections = {socket: {} for socket in sockets}
    return daphne


def test_the_unsent_bytes_of_a_transport_are_counted_from_its_offset():
    transport = Transport(300)
    transport._tempDataLen = 50
    assert transport_queued(transport) == 350


async def test_a_send_within_the_bound_goes_out():
    socket = Socket(queued=LIMIT - 100)
    await server(socket).handle_reply(socket, {"type": "websocket.send", "text": "x" * 100})
    assert socket.sent == ["x" * 100]
    assert socket.closed_with is None


async def test_a_send_past_the_bound_closes_the_socket_instead(caplog):
    socket = Socket(queued=LIMIT - 100)
    await server(socket).handle_reply(socket, {"type": "websocket.send", "text": "x" * 101})
    assert socket.sent == []
    assert socket.closed_with == CloseCode.SLOW_CONSUMER == 4413
    assert [record.levelname for record in caplog.records] == ["INFO"]


async def test_a_send_to_a_closing_socket_is_dropped_quietly(caplog):
    socket = Socket(state=WebSocketProtocol.STATE_CLOSING)
    await server(socket).handle_reply(socket, {"type": "websocket.send", "text": "late"})
    assert socket.sent == []
    assert caplog.records == []


async def test_a_close_still_goes_through():
    socket = Socket(queued=LIMIT * 10)
    await server(socket).handle_reply(socket, {"type": "websocket.close", "code": 4403})
    assert socket.sent == [None]


def test_only_a_pong_proves_a_socket_reads_whatever_else_it_sends(monkeypatch):
    """A client that stops reading but keeps sending (its own pings, frames) must not keep
    the server's ping timeout away: Autobahn's default counts any traffic as a pong."""
    from daphne.server import Server

    monkeypatch.setattr(Server, "create_application", lambda self, protocol, scope: None)
    socket = Socket()
    socket.autoPingRestartOnAnyTraffic = True  # Autobahn's factory default, copied on connect
    server(socket).create_application(socket, {"type": "websocket"})
    assert socket.autoPingRestartOnAnyTraffic is False


def test_a_message_does_not_put_off_the_next_ping(monkeypatch):
    """Daphne pings a socket `ping_interval` after it last pinged it *or received a
    message*: a client sending all the time was never pinged. A message now leaves the
    ping schedule as it was, and is still handed on."""
    from daphne.server import Server

    monkeypatch.setattr(Server, "create_application", lambda self, protocol, scope: None)
    socket = Socket()
    # What Daphne's own onMessage uses: its queue to the application.
    socket.muted, socket.client_addr, socket.application_queue = False, None, queue.Queue()
    socket.last_ping = 100.0
    server(socket).create_application(socket, {"type": "websocket"})
    socket.onMessage(b'{"type":"ping"}', False)
    assert socket.application_queue.get_nowait() == {
        "type": "websocket.receive",
        "text": '{"type":"ping"}',
    }
    assert socket.last_ping == 100.0
