"""Live items reach the sockets of the sender's own process directly (chat/fanout.py,
issue 18), once each; the channel layer only carries them to other processes, and this
process drops its own copy when the layer brings it back."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from chat import fanout
from chat.protocol import frames as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def conversation_of_two(sockets, staff):
    socket, visitor = await sockets.visitor_opened()
    staff_socket = await sockets.staff(staff)
    await staff_socket.request(
        f.ConversationSubscribe(conversation_id=visitor.conversation_id, after=0)
    )
    await staff_socket.receive_until(f.SyncDone)
    await staff_socket.drain()
    return socket, visitor, staff_socket


async def test_a_message_reaches_a_socket_of_the_same_process_with_the_layer_down(
    sockets, helpline, staff, monkeypatch
):
    socket, visitor, staff_socket = await conversation_of_two(sockets, staff)
    layer = get_channel_layer()

    async def layer_down(group, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_send", layer_down)
    ack = await socket.request(f.EnvelopeSend(envelope=visitor.seal("bonjour")))
    item = await staff_socket.receive_until(f.EnvelopeDelivered)
    assert item.order == ack.order


async def test_a_socket_of_the_same_process_gets_each_item_once(
    sockets, helpline, staff, monkeypatch
):
    socket, visitor, staff_socket = await conversation_of_two(sockets, staff)
    published = []
    layer = get_channel_layer()
    group_send = layer.group_send

    async def recorded(group, message):
        published.append(message)
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recorded)
    orders = []
    for number in range(3):
        ack = await socket.request(f.EnvelopeSend(envelope=visitor.seal(f"m{number}")))
        orders.append(ack.order)
    received = [
        frame.order
        for frame in await staff_socket.drain(0.5)
        if isinstance(frame, f.EnvelopeDelivered)
    ]
    assert received == orders  # once each, though the layer brought each back
    items = [m for m in published if m["type"] == "chat.item"]
    assert len(items) == 3  # still published once each, for other processes
    assert all(m[fanout.TAG_FIELD] == fanout.PROCESS_TAG for m in items)
