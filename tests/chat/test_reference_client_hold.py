"""The reference client holds a message the server refuses with ``epoch_closed`` (an
interpreter left and the epoch without them is not made yet, docs/protocol.md §5.4)
and sends it again, sealed in the next epoch, once that epoch arrives: never lost.

The session's transport is replaced by a server that refuses every envelope of an
epoch before 2; the state only stands in for the epochs (the real sealing is tested
in test_reference_client_state.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from chat.client.connection import ServerRefused
from chat.client.session import Followed, Session
from chat.protocol import frames as f

CONVERSATION = "0b6e1f7a-3c52-4d8e-9f10-2a7b5c3d4e6f"


@dataclass
class Sealed:
    epoch: int
    content: bytes


@dataclass
class Epochs:
    current_epoch: int = 1
    sealed: list[Sealed] = field(default_factory=list)

    def seal(self, content: bytes, content_type: str = "text") -> Sealed:
        envelope = Sealed(self.current_epoch, content)
        self.sealed.append(envelope)
        return envelope


class ClosedBeforeTwo(Session):
    """A server that closed every epoch before 2 (``refusal`` is what it answers)."""

    def __init__(self, refusal: str = "epoch_closed") -> None:
        super().__init__(["ws://unused"])
        self.refusal = refusal
        self.tried: list[int] = []
        self.state = Epochs()
        self.conversations[CONVERSATION] = Followed(state=self.state)

    async def _send_envelope(self, envelope: Sealed) -> int:
        self.tried.append(envelope.epoch)
        if envelope.epoch < 2:
            raise ServerRefused(f.Error(code=self.refusal, message="refused"))
        return 9


async def until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


async def test_a_message_refused_as_epoch_closed_is_held_then_sent_in_the_next_epoch():
    session = ClosedBeforeTwo()
    sending = asyncio.create_task(session.send_text(CONVERSATION, "дойдох"))
    await asyncio.wait_for(until(lambda: session.tried == [1]), 5)
    await asyncio.sleep(0.2)
    assert not sending.done()  # held while no newer epoch exists
    session.state.current_epoch = 2  # a staff device made the epoch without them
    assert await asyncio.wait_for(sending, 5) == 9
    assert session.tried == [1, 2]
    assert [(e.epoch, e.content) for e in session.state.sealed] == [
        (1, "дойдох".encode()),
        (2, "дойдох".encode()),
    ]


async def test_another_refusal_is_not_held():
    session = ClosedBeforeTwo(refusal="seq_conflict")
    with pytest.raises(ServerRefused):
        await asyncio.wait_for(session.send_text(CONVERSATION, "x"), 5)
    assert session.tried == [1]
