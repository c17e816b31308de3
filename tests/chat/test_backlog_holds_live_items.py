"""A live item that arrives while a subscribe's backlog is still being read goes out
once, after the backlog (chat/consumers/base.py ``send_backlog``): frames run on their
own task beside the channel layer's messages, so the consumer holds them itself."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.conf import settings

from chat import selectors
from chat.consumers import base
from chat.protocol import frames as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # On SQLite the ORM has one thread (CHAT_DB_THREADS): the visitor's envelope would
    # wait behind the held backlog read, and the race cannot happen.
    pytest.mark.skipif(settings.CHAT_DB_THREADS < 2, reason="needs the PostgreSQL pool"),
]


@pytest.fixture
def slow_backlog(monkeypatch):
    """The staff socket's first backlog read waits until the test lets it go."""
    go = threading.Event()
    read = selectors.backlog_page
    calls = []

    def waiting(**kwargs):
        calls.append(kwargs["after"])
        if len(calls) == 1:
            go.wait(10)
        return read(**kwargs)

    monkeypatch.setattr(base.selectors, "backlog_page", waiting)
    return go


async def test_an_item_sent_during_the_backlog_reaches_staff_once_after_it(
    sockets, helpline, staff, slow_backlog
):
    socket, visitor = await sockets.visitor_opened()
    staff_socket = await sockets.staff(staff)
    state = await staff_socket.request(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=1)
    )
    assert isinstance(state, f.ConversationState)
    sent = await socket.request(f.EnvelopeSend(envelope=visitor.seal("pendant")))
    await asyncio.sleep(0.3)  # the live item reaches the staff consumer meanwhile
    slow_backlog.set()
    frames = await staff_socket.drain(timeout=1.0)
    delivered = [frame.order for frame in frames if isinstance(frame, f.EnvelopeDelivered)]
    assert delivered == [sent.order]
    assert any(isinstance(frame, f.SyncDone) for frame in frames)
