"""Dashboard news, coalesced per process: one ``news`` frame per staff socket per
interval, whatever the number of visitors writing.

Every visitor message makes two snapshots for the dashboards: `conversation.activity`
(the conversation's last order) and the routing hook's `queue.changed` (the route's row).
Publishing them per message, or per visitor socket per second, to every staff socket made
a fixed cost that grew with visitors × staff sockets (bench/: ≈ 0.2 core at rest). Here:

- a sender hands its news to this process's ``NewsHub`` (no Redis per message); within an
  interval only the newest snapshot of each kind per conversation is kept;
- once per interval, a timer publishes what this process gathered as **one** channel
  layer message to ``NEWS_GROUP``, which one channel per process listens to (not every
  socket), tagged with this process's id so it does not read its own back;
- the same timer sends **one** ``news`` frame, holding this process's snapshots and those
  the other processes published, to each staff socket of this process (chat/sockets.py's
  local table of ``STAFF_GROUP``).

Best effort, like every fan-out (chat/events.py): a lost batch (Redis down, a process
killed between two ticks) leaves a dashboard a snapshot behind until the next message of
that conversation or its next reload of the dashboard's state (ops/README.md); nothing
stored depends on it. Snapshots only: a news item must never be an event that matters
once (those are published directly).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid

from channels.layers import get_channel_layer

from chat.events import STAFF_GROUP, Event
from chat.protocol.frames import StaffEvent
from chat.protocol.parse import frame_encode
from chat.sockets import local_sockets

logger = logging.getLogger(__name__)

NEWS_GROUP = "staff.news"
NEWS_INTERVAL_SECONDS = 1.0
RECEIVE_RETRY_SECONDS = 1.0


def news_key(group: str, message: dict) -> str | None:
    """What a snapshot replaces within an interval, or None: not news (sent directly)."""
    if group != STAFF_GROUP:
        return None
    if message["type"] == "chat.activity" and "conversation_id" in message:
        return f"activity:{message['conversation_id']}:{message.get('event', '')}"
    if message["type"] == "staff.event":
        conversation_id = (message.get("data") or {}).get("conversation_id")
        if conversation_id and message.get("event") == "queue.changed":
            return f"queue.changed:{conversation_id}"
    return None


def item_text(message: dict) -> str:
    if message["type"] == "chat.activity":
        return message["text"]
    return frame_encode(StaffEvent(event=message["event"], data=message["data"]))


class NewsHub:
    def __init__(self) -> None:
        self.origin = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"
        self.outgoing: dict[str, str] = {}  # key → item text, to publish to the others
        self.incoming: dict[str, str] = {}  # key → item text, to send to local staff
        self.tasks: list[asyncio.Task] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop and all(not task.done() for task in self.tasks):
            return
        for task in self.tasks:
            if not task.get_loop().is_closed():
                task.cancel()
        self.loop = loop
        self.outgoing, self.incoming = {}, {}
        self.tasks = [loop.create_task(self.ticks()), loop.create_task(self.listen())]

    def add(self, events: list[Event]) -> list[Event]:
        """Take the news among ``events``; return the others (to publish directly)."""
        others = []
        for group, message in events:
            key = news_key(group, message)
            if key is None:
                others.append((group, message))
                continue
            # Before the first item: starting afresh empties what was gathered (a
            # process's first news was lost so when no staff socket had started it).
            self.started()
            text = item_text(message)
            self.outgoing[key] = text
            self.incoming[key] = text
        return others

    async def ticks(self) -> None:
        while True:
            await asyncio.sleep(NEWS_INTERVAL_SECONDS)
            try:
                await self.tick()
            except Exception as exc:  # noqa: BLE001 — the next tick tries again
                logger.warning("dashboard news tick failed (%s)", type(exc).__name__)

    async def tick(self) -> None:
        outgoing, self.outgoing = self.outgoing, {}
        incoming, self.incoming = self.incoming, {}
        if outgoing:
            try:
                await get_channel_layer().group_send(
                    NEWS_GROUP,
                    {"type": "news.batch", "origin": self.origin, "items": list(outgoing.items())},
                )
            except Exception as exc:  # noqa: BLE001 — best effort: the dashboards reload
                logger.warning("dashboard news publish failed (%s)", type(exc).__name__)
        if not incoming:
            return
        text = '{"type":"news","items":[' + ",".join(incoming.values()) + "]}"
        for consumer in local_sockets.members(STAFF_GROUP):
            if getattr(consumer, "closing", False):
                continue
            try:
                await consumer.send(text_data=text)
            except Exception as exc:  # noqa: BLE001 — one socket's end stops no other
                logger.debug("news to a socket failed (%s)", type(exc).__name__)

    async def listen(self) -> None:
        """The other processes' batches, through one channel of this process."""
        while True:
            try:
                layer = get_channel_layer()
                channel = await layer.new_channel()
                await layer.group_add(NEWS_GROUP, channel)
                while True:
                    message = await layer.receive(channel)
                    if message.get("type") != "news.batch" or message.get("origin") == self.origin:
                        continue
                    for key, text in message["items"]:
                        self.incoming[key] = text
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — Redis away: listen again later
                logger.warning("dashboard news listener failed (%s)", type(exc).__name__)
                await asyncio.sleep(RECEIVE_RETRY_SECONDS)


news_hub = NewsHub()
