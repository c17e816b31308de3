"""Live items after the acknowledgement: to this process's sockets directly, then to the
channel layer for the other processes, on a task of each socket's own, in the order they
were stored, each batch's publish with a deadline.

Local first: a committed item (an envelope, a commit, a receipt, a typing event) is handed
at once to the sockets of *this* process that follow the conversation (chat/sockets.py's
local table of its group), then published once to Redis for the sockets of the other
processes. The published copy carries this process's tag (``PROCESS_TAG``): when the
channel layer brings it back to this process (its sockets are in the group on Redis too,
to hear the others), ``ProtocolConsumer.dispatch`` drops it unread, so a local socket gets
each item once, by the local path. A Redis outage no longer stops delivery between two
sockets of one process.

Off the ack's path: an ack says "stored in PostgreSQL"; what Redis does afterwards must
not delay it. With the publish awaited before the socket's next frame, a Redis that
stopped answering held every acknowledgement for its socket timeout, frame after frame
(0–2 acks/s for 17 s during a 10 s Redis hang). Here ``Fanout.publish`` only queues: a
lost live item costs nothing but latency (clients catch up by ``sync`` on their
heartbeat, docs/protocol.md §7), so a queue that grows past FANOUT_QUEUE_LIMIT batches
(Redis away for long) drops its oldest. A socket's handler that fails is logged and stops
no other socket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections import deque

from channels.consumer import get_handler_name

from chat.events import Event, events_publish
from chat.sockets import local_sockets

logger = logging.getLogger(__name__)

# Unique per process (a pid can be reused by a restarted worker).
PROCESS_TAG = f"{os.getpid()}.{uuid.uuid4().hex[:12]}"
TAG_FIELD = "process"
# One batch (one stored item's events) may take this long to publish; then it is given up.
FANOUT_TIMEOUT_SECONDS = 3.0
FANOUT_QUEUE_LIMIT = 256
# Fan-outs still draining after their socket closed (kept so they are not collected).
draining: set[asyncio.Task] = set()


def from_this_process(message: dict) -> bool:
    """A channel layer message this process published and delivered locally already."""
    return message.get(TAG_FIELD) == PROCESS_TAG


async def local_deliver(events: list[Event]) -> list[Event]:
    """Hand each event to this process's sockets in its group; the events, tagged."""
    tagged = []
    for group, message in events:
        message = {**message, TAG_FIELD: PROCESS_TAG}
        tagged.append((group, message))
        for consumer in local_sockets.members(group):
            if getattr(consumer, "closing", False):
                continue
            handler = getattr(consumer, get_handler_name(message), None)
            if handler is None:
                continue
            try:
                await handler(message)
            except Exception as exc:  # noqa: BLE001 — one socket stops no other
                logger.warning("local fan-out to a socket failed (%s)", type(exc).__name__)
    return tagged


class Fanout:
    """One socket's publisher: batches in order, one at a time."""

    def __init__(self) -> None:
        self.queue: deque[list[Event]] = deque()
        self.task: asyncio.Task | None = None
        self.dropped = 0

    def publish(self, events: list[Event]) -> None:
        if not events:
            return
        if len(self.queue) >= FANOUT_QUEUE_LIMIT:
            self.queue.popleft()
            self.dropped += 1
        self.queue.append(events)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.drain())
            draining.add(self.task)
            self.task.add_done_callback(draining.discard)

    async def drain(self) -> None:
        while self.queue:
            tagged = await local_deliver(self.queue.popleft())
            try:
                await asyncio.wait_for(events_publish(tagged), FANOUT_TIMEOUT_SECONDS)
            except TimeoutError:
                logger.warning("fan-out timed out; clients catch up by sync")
        if self.dropped:
            logger.warning("fan-out dropped %d batches; clients catch up by sync", self.dropped)
            self.dropped = 0

    async def idle(self) -> None:
        """Wait until everything queued so far went out (or was given up): tests."""
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)
