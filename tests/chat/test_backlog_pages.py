"""A backlog goes a page at a time (docs/protocol.md §7, §8.5): pages bounded by the
bytes they hold, `sync.done` says whether more follows, and the client asks again."""

from __future__ import annotations

import os

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat import selectors
from chat.models import Conversation, Envelope
from chat.parties import visitor_party
from chat.protocol import frames as f

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = 64 * 1024
MESSAGE = 16384 + 16  # a padding bucket plus the AEAD tag, as a real client's


def messages_store(conversation_id: str, count: int, size: int = MESSAGE) -> int:
    """``count`` envelopes of ``size`` ciphertext bytes after the epoch-0 commit."""
    stream = os.urandom(16)
    Envelope.objects.bulk_create(
        Envelope(
            conversation_id=conversation_id,
            order=2 + i,
            epoch=0,
            sender="visitor",
            stream=stream,
            seq=i,
            content_type="text",
            ciphertext=os.urandom(size),
            signature=os.urandom(64),
            received_at=timezone.now(),
        )
        for i in range(count)
    )
    Conversation.objects.filter(pk=conversation_id).update(last_order=count + 1)
    return count + 1


async def test_a_page_holds_what_fits_in_its_bytes_and_says_more_follows(sockets, helpline):
    _socket, visitor = await sockets.visitor_opened()
    cid = visitor.conversation_id
    last = await database_sync_to_async(messages_store)(cid, 10)
    party = visitor_party(cid)
    page = await database_sync_to_async(selectors.backlog_next)(
        party=party, conversation_id=cid, after=0, max_bytes=PAGE
    )
    # The epoch-0 commit, then three messages of 20 KiB: a fourth would pass 64 KiB.
    assert [item.order for item in page.items] == [1, 2, 3, 4]
    assert page.more
    rest = await database_sync_to_async(selectors.backlog_next)(
        party=party, conversation_id=cid, after=8, max_bytes=PAGE
    )
    assert [item.order for item in rest.items] == [9, 10, 11]
    assert not rest.more and rest.items[-1].order == last


async def test_one_message_larger_than_a_page_still_goes(sockets, helpline):
    _socket, visitor = await sockets.visitor_opened()
    cid = visitor.conversation_id
    await database_sync_to_async(messages_store)(visitor.conversation_id, 2, size=32784)
    page = await database_sync_to_async(selectors.backlog_next)(
        party=visitor_party(cid), conversation_id=cid, after=1, max_bytes=16 * 1024
    )
    assert [item.order for item in page.items] == [2]
    assert page.more


async def test_a_sync_answers_one_page_and_the_client_asks_for_the_next(
    sockets, helpline, settings
):
    settings.CHAT_SYNC_PAGE_BYTES = PAGE
    socket, visitor = await sockets.visitor_opened()
    cid = visitor.conversation_id
    last = await database_sync_to_async(messages_store)(cid, 10)
    await socket.drain()  # its own epoch-0 commit, live
    after, pages, orders = 0, [], []
    while True:
        await socket.send(f.Sync(ref=f"s{len(pages)}", conversation_id=cid, after=after))
        while not isinstance(frame := await socket.receive(), f.SyncDone):
            orders.append(frame.order)
        pages.append(frame.more)
        after = frame.last_order
        if not frame.more:
            break
    assert orders == list(range(1, last + 1))
    assert pages == [True, True, True, False]
