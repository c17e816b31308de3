"""How a socket's frames and the live items to it flow (chat/consumers/base.py): frames
handled in order off Channels' dispatch loop, dashboard news coalesced."""

from __future__ import annotations

import asyncio

import pytest

from chat.consumers import base
from chat.consumers.staff import StaffConsumer
from chat.protocol import frames as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_a_live_message_reaches_a_socket_whose_own_frame_is_still_being_handled(
    sockets, helpline, staff, monkeypatch
):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    gate = asyncio.Event()
    on_ping = StaffConsumer.on_ping

    async def slow_ping(self, frame):  # noqa: ANN001, ANN202 — a frame waiting on a slow database
        await gate.wait()
        await on_ping(self, frame)

    monkeypatch.setattr(StaffConsumer, "on_ping", slow_ping)
    await staff_socket.send(f.Ping(ref="slow"))
    await socket.request(f.EnvelopeSend(envelope=visitor.seal("Vous êtes là ?")))

    delivered = await staff_socket.receive_until(f.EnvelopeDelivered)
    assert delivered.conversation_id == visitor.conversation_id
    gate.set()
    assert isinstance(await staff_socket.answer("slow", timeout=5), f.Pong)


async def test_a_socket_s_frames_are_answered_in_the_order_sent(sockets, helpline):
    socket, visitor = await sockets.visitor_opened()
    envelopes = [visitor.seal(f"message {number}") for number in range(6)]
    for number, envelope in enumerate(envelopes):
        await socket.send(f.EnvelopeSend(ref=f"m{number}", envelope=envelope))
    acks = [await socket.answer(f"m{number}") for number in range(6)]
    assert [ack.order for ack in acks] == sorted(ack.order for ack in acks)
    assert len({ack.order for ack in acks}) == 6


async def test_dashboard_news_of_a_burst_of_messages_is_coalesced_newest_last(
    sockets, helpline, staff, monkeypatch
):
    monkeypatch.setattr(base, "NEWS_INTERVAL_SECONDS", 0.3)
    dashboard = await sockets.staff(staff)  # follows no conversation: news only
    socket, visitor = await sockets.visitor_opened()
    orders = []
    for number in range(8):
        ack = await socket.request(f.EnvelopeSend(envelope=visitor.seal(f"message {number}")))
        orders.append(ack.order)

    news = []
    while not news or news[-1].last_order != orders[-1]:
        frame = await dashboard.receive_until(f.ConversationActivity)
        if frame.event == "message":
            news.append(frame)
    # The first goes at once, then at most one per interval, carrying the newest order.
    assert 1 <= len(news) < len(orders)
    assert [item.last_order for item in news] == sorted(item.last_order for item in news)
    assert news[0].last_order == orders[0]
    later = [
        frame
        for frame in await dashboard.drain(0.6)
        if isinstance(frame, f.ConversationActivity) and frame.event == "message"
    ]
    assert later == []
