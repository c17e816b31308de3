"""A consumer leaves what it holds however it ends (issue 16): its groups, its staff
member's presence, its per-socket state — not only when Channels delivers
`websocket.disconnect` (chat/consumers/base.py ``__call__``)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chat.consumers.staff import StaffConsumer
from chat.news import NEWS_GROUP
from chat.protocol import frames as f
from chat.sockets import local_sockets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def members() -> set[str]:
    """Every socket's channel in any group of the in-memory layer (not the process's
    one listener of dashboard news, chat/news.py, which outlives every socket)."""
    layer = get_channel_layer()
    listeners = set(layer.groups.get(NEWS_GROUP, {}))
    return {channel for group in layer.groups.values() for channel in group} - listeners


@database_sync_to_async
def open_sockets_of(person) -> int:
    from ops.models import StaffProfile

    return StaffProfile.objects.get(user=person.user).open_sockets


@database_sync_to_async
def profile_make(person) -> None:
    from ops.models import StaffProfile

    StaffProfile.objects.get_or_create(user=person.user)


async def ended(socket) -> None:
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(socket.communicator.future, 5)


async def until(condition, what: str) -> None:
    for _ in range(100):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


async def test_a_killed_staff_consumer_leaves_its_groups_and_closes_its_presence(
    sockets, helpline, staff
):
    await profile_make(staff)
    socket, visitor = await sockets.visitor_opened()
    visitor_only = members()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    assert await open_sockets_of(staff) == 1
    assert members() - visitor_only  # the conversation, staff news, its session, device

    # As Daphne does to an application instance it gives up on (a worker shutting down,
    # a handshake that outlived its timeout): the task is cancelled, and no
    # `websocket.disconnect` is ever dispatched.
    staff_socket.communicator.future.cancel()
    await ended(staff_socket)

    async def left() -> bool:
        return members() <= visitor_only

    await until(left, f"groups still joined: {members() - visitor_only}")
    assert await open_sockets_of(staff) == 0
    # Its per-socket state too: out of this process's tables of groups and tokens.
    assert not [c for c in local_sockets.held if isinstance(c, StaffConsumer)]


async def test_a_consumer_whose_handler_raised_still_leaves_its_groups(
    sockets, helpline, staff, monkeypatch
):
    await profile_make(staff)
    socket, visitor = await sockets.visitor_opened()
    visitor_only = members()
    staff_socket, _ = await sockets.staff_following(staff, helpline, visitor.conversation_id)
    assert members() - visitor_only

    async def broken(self, event):  # noqa: ANN001, ANN202 — e.g. a send on a closed protocol
        raise RuntimeError("Attempt to send on a closed protocol")

    monkeypatch.setattr(StaffConsumer, "chat_item", broken)
    await socket.request(f.EnvelopeSend(envelope=visitor.seal("Allô ?")))
    await ended(staff_socket)
    assert staff_socket.communicator.future.done()

    async def left() -> bool:
        return members() <= visitor_only

    await until(left, f"groups still joined: {members() - visitor_only}")
    assert await open_sockets_of(staff) == 0
