"""Dashboard news, coalesced per process (chat/news.py, issue 18)."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from chat.events import STAFF_GROUP
from chat.news import NEWS_GROUP, NewsHub


def queue_changed(conversation_id: str, order: int) -> tuple[str, dict]:
    data = {"conversation_id": conversation_id, "state": "waiting", "visitor_last_order": order}
    return STAFF_GROUP, {"type": "staff.event", "event": "queue.changed", "data": data}


@pytest.fixture
def other_process():
    """A channel of another process's hub, listening to NEWS_GROUP."""

    async def listen() -> str:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(NEWS_GROUP, channel)
        return channel

    return listen


async def test_a_process_s_first_news_reaches_the_other_processes(other_process):
    """A worker no staff socket had started yet (its hub idle) gathers a visitor's news
    and publishes it at the next tick: the first item is not lost to the start."""
    channel = await other_process()
    hub = NewsHub()
    try:
        others = hub.add([queue_changed("c1", 2), queue_changed("c1", 3)])
        assert others == []
        batch = await asyncio.wait_for(get_channel_layer().receive(channel), 5)
    finally:
        for task in hub.tasks:
            task.cancel()
    assert batch["type"] == "news.batch" and batch["origin"] == hub.origin
    [(key, text)] = batch["items"]  # coalesced: the newest snapshot of the conversation
    assert key == "queue.changed:c1" and '"visitor_last_order":3' in text


async def test_events_that_are_not_snapshots_are_handed_back_to_be_sent_directly():
    hub = NewsHub()
    route = ("visitor.c1", {"type": "conversation.route", "state": "waiting"})
    assert hub.add([route]) == [route]
    assert hub.tasks == []  # nothing to gather: no timer started
