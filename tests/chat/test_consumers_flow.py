"""How a socket's frames and the live items to it flow (chat/consumers/base.py): frames
handled in order off Channels' dispatch loop, dashboard news coalesced, and what comes back
to the socket that sent it."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from chat import news
from chat.consumers.staff import StaffConsumer
from chat.crypto import suite1
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


async def dashboard_news(dashboard, seconds: float) -> list[f.News]:
    """The raw `news` frames a staff socket receives within ``seconds``."""
    frames = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        if await dashboard.communicator.receive_nothing(min(left, 0.1)):
            continue
        frame = msgspec.json.decode(
            await dashboard.communicator.receive_from(), type=f.SERVER_FRAMES
        )
        if isinstance(frame, f.News):
            frames.append(frame)
    return frames


async def test_dashboard_news_of_many_visitors_is_one_frame_per_interval_newest_kept(
    sockets, helpline, staff, monkeypatch
):
    """Issue 18: news of any number of visitors' messages reaches a staff socket as one
    `news` frame per interval (chat/news.py), holding the newest activity of each
    conversation; never a frame per message or per visitor socket."""
    monkeypatch.setattr(news, "NEWS_INTERVAL_SECONDS", 0.5)
    dashboard = await sockets.staff(staff)  # follows no conversation: news only
    await dashboard.drain()
    visitors = [await sockets.visitor_opened() for _ in range(3)]
    await dashboard.drain(1.2)  # the openings' news
    last = {}
    for number in range(4):
        for socket, visitor in visitors:
            ack = await socket.request(f.EnvelopeSend(envelope=visitor.seal(f"message {number}")))
            last[visitor.conversation_id] = ack.order

    frames = await dashboard_news(dashboard, 1.6)
    # 12 messages of 3 visitors, sent within about one interval: one or two frames.
    assert 1 <= len(frames) <= 3
    newest = {}
    for frame in frames:
        for item in frame.items:
            if isinstance(item, f.ConversationActivity) and item.event == "message":
                assert (
                    sum(
                        1
                        for other in frame.items
                        if isinstance(other, f.ConversationActivity)
                        and other.conversation_id == item.conversation_id
                        and other.event == "message"
                    )
                    == 1
                )  # one snapshot per conversation and interval
                newest[item.conversation_id] = item.last_order
    assert newest == last
    assert await dashboard_news(dashboard, 1.2) == []  # nothing new: no frame


# -- what comes back to the socket that sent it (docs/protocol.md §8.6) -------------------


async def test_a_commit_comes_back_to_its_author_but_an_envelope_does_not(sockets, helpline, staff):
    socket, visitor = await sockets.visitor_opened()
    # The visitor's epoch-0 commit, after its ack, with the visitor's own wrap.
    echoed = await socket.receive_until(f.CommitDelivered)
    assert (echoed.order, echoed.wrap.key_id) == (1, suite1.key_id(visitor.kem_public))
    other_tab = await sockets.visitor()
    await other_tab.request(f.ConversationResume(token=visitor.token, after=1))
    await other_tab.receive_until(f.SyncDone)

    ack = await socket.request(f.EnvelopeSend(envelope=visitor.seal("bonjour")))
    # Another socket of the same visitor gets it; the socket that sent it only the ack.
    assert (await other_tab.receive_until(f.EnvelopeDelivered)).order == ack.order
    assert not [frame for frame in await socket.drain() if isinstance(frame, f.EnvelopeDelivered)]

    staff_socket, reader = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    signed = reader.epoch_create(
        reason="rekey",
        team=helpline.announcement,
        visitor_kem_pk=visitor.kem_public,
        interpreters=[],
    )
    ack = await staff_socket.request(
        f.CommitSubmit(
            conversation_id=visitor.conversation_id,
            commit=signed.commit,
            signature=signed.signature,
            wraps=signed.wraps,
        )
    )
    echoed = await staff_socket.receive_until(f.CommitDelivered)
    assert (echoed.order, echoed.commit.author) == (ack.order, staff.device_id)


async def test_a_receipt_reaches_every_socket_of_the_conversation_its_sender_included(
    sockets, helpline, staff
):
    socket, visitor = await sockets.visitor_opened()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    await socket.send(
        f.ReceiptSend(conversation_id=visitor.conversation_id, kind="delivered", order=1)
    )
    for receiver in (socket, staff_socket):
        receipt = await receiver.receive_until(f.Receipt)
        assert (receipt.kind, receipt.order, receipt.by) == ("delivered", 1, "visitor")
