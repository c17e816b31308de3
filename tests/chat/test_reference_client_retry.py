"""The reference client comes back through any handshake failure and sends again what
the server refused with `internal` (issue 16): it never gives up while it runs.

The transport is stood in for: what is tested is the session's loop (chat/client/
session.py), the live stack does the rest (tests/integration/test_outages.py)."""

from __future__ import annotations

import asyncio

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import InvalidMessage, InvalidStatus
from websockets.http11 import Response

from chat.client.connection import ConnectionLost, ServerRefused
from chat.client.session import Session
from chat.protocol import frames as f

CONVERSATION = "0b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f"


class FailingHandshakes(Session):
    """Each connection attempt fails in its own way until ``failures`` runs out."""

    def __init__(self, failures: list[BaseException]) -> None:
        super().__init__(["http://a.invalid", "http://b.invalid"])
        self.failures = list(failures)
        self.attempts = 0

    async def _connect(self) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.connected.set()


def handshake_failures() -> list[BaseException]:
    return [
        # The worker's database is away: the staff handshake is answered 500.
        InvalidStatus(Response(500, "Internal Server Error", Headers(), b"")),
        # A proxy or a dying worker answering something that is not HTTP.
        InvalidMessage("did not receive a valid HTTP response"),
        ConnectionRefusedError("nobody listens"),
        TimeoutError(),
        ConnectionLost("closed before hello"),
        ServerRefused(f.Error(code="internal", message="server error; nothing stored")),
    ]


async def test_reconnect_goes_on_through_every_kind_of_handshake_failure():
    session = FailingHandshakes(handshake_failures())
    await asyncio.wait_for(session.reconnect(), 30)
    assert session.connected.is_set()
    assert session.attempts == len(handshake_failures()) + 1
    assert session.reconnections == 1


class FakeConnection:
    """Answers `envelope.send` with `internal` ``refusals`` times, then acknowledges."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.sent = 0
        self.items: asyncio.Queue = asyncio.Queue()

    async def request(self, frame, *, timeout: float = 30):  # noqa: ANN001, ANN201
        self.sent += 1
        if self.sent <= self.refusals:
            raise ServerRefused(f.Error(code="internal", message="server error; nothing stored"))
        return f.Ack(ref="r1", conversation_id=CONVERSATION, order=7, duplicate=False)


class Envelope:
    conversation_id = CONVERSATION


async def test_an_envelope_refused_with_internal_is_sent_again_on_the_same_socket():
    session = Session(["http://unused.invalid"])
    connection = FakeConnection(refusals=4)
    session.connection = connection
    session.connected.set()
    order = await asyncio.wait_for(session._send_envelope(Envelope()), 30)
    assert order == 7
    assert connection.sent == 5  # the same envelope, until stored
    assert session.internal_retries == 4


@pytest.mark.parametrize("code", ["forbidden", "conversation_closed"])
async def test_a_final_refusal_still_reaches_the_caller(code):
    session = Session(["http://unused.invalid"])

    class Refusing(FakeConnection):
        async def request(self, frame, *, timeout: float = 30):  # noqa: ANN001, ANN201
            raise ServerRefused(f.Error(code=code, message="no"))

    session.connection = Refusing(0)
    session.connected.set()
    with pytest.raises(ServerRefused):
        await asyncio.wait_for(session._send_envelope(Envelope()), 10)
