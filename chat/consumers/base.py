"""What both endpoints share: limits, parsing, errors, items and fan-out handling."""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import msgspec
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from chat import selectors
from chat.crypto.commits import Commit, Wrap
from chat.crypto.suite1 import SUITE_ID
from chat.db import db_call
from chat.errors import ChatError
from chat.events import (
    Event,
    activity_event,
    commit_event,
    conversation_group,
    envelope_event,
    events_publish,
    receipt_event,
)
from chat.parties import Party
from chat.protocol import frames as f
from chat.protocol.errors import ErrorCode, ProtocolError, protocol_error_from
from chat.protocol.parse import FrameParser, frame_encode
from chat.ratelimit import TokenBucket
from chat.services.commits import commit_submit
from chat.services.conversations import receipt_record
from chat.services.envelopes import envelope_submit

logger = logging.getLogger(__name__)

AUTH_TIMEOUT_SECONDS = 30
NEWS_INTERVAL_SECONDS = 1.0
# Frames waiting for their socket's frame task; beyond this a client is told to slow
# down (the token bucket alone would let a burst pile up behind a slow database).
FRAMES_QUEUED_LIMIT = 64
REFUSED_IN_A_ROW_LIMIT = 200
CLOSE_AUTH_TIMEOUT = 4408
CLOSE_FLOOD = 4429


class ProtocolConsumer(AsyncWebsocketConsumer):
    """Subclasses set ``parser_factory`` and ``handlers`` (frame type → method name)."""

    parser_factory: Any
    handlers: dict[type, str]
    auth_frames: tuple[type, ...]
    # Frames allowed before authenticating too (the visitor's return_code.open).
    anytime_frames: tuple[type, ...] = ()

    refusal_code = 4403

    def admitted(self) -> bool:
        """Whether the handshake may go on (the staff endpoint needs a session)."""
        return True

    async def connect(self) -> None:
        self.party: Party | None = None
        self.backlog_upto: dict[str, int] = {}
        self.held: dict[str, list] = {}  # conversation → live items waiting for its backlog
        self.auth_timer: asyncio.TimerHandle | None = None
        if not self.admitted():
            # Accept only to say why, with a close code, and send nothing else.
            await self.accept()
            await self.close(self.refusal_code)
            return
        self.parser: FrameParser = self.parser_factory(settings.CHAT_MAX_FRAME_BYTES)
        self.bucket = TokenBucket(
            rate=settings.CHAT_RATE_PER_SECOND, burst=settings.CHAT_RATE_BURST
        )
        self.refused_in_a_row = 0
        self.frames: asyncio.Queue[f.ClientFrame] = asyncio.Queue()
        self.frame_task: asyncio.Task | None = None
        self.news_pending: dict[tuple, Event] = {}
        self.news_timer: asyncio.TimerHandle | None = None
        self.news_sent_at = float("-inf")
        self.auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(self.close(CLOSE_AUTH_TIMEOUT))
        )
        await self.accept()
        await self.greet()

    async def greet(self) -> None:
        await self.send_frame(hello_frame())

    async def disconnect(self, code: int) -> None:
        if self.auth_timer is None:
            return
        self.auth_timer.cancel()
        if self.frame_task is not None:
            self.frame_task.cancel()
        if self.news_timer is not None:
            self.news_timer.cancel()
            await self.news_flush()
        for conversation_id in list(self.backlog_upto):
            await self.unfollow(conversation_id)

    async def send_frame(self, frame: f.ServerFrame) -> None:
        await self.send(text_data=frame_encode(frame))

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its ``close_old_connections`` hop before every
        message: that hop goes through the one thread-sensitive thread and was a third of
        the event loop's time under load (bench/ profile), once per frame and per live
        item delivered. The ORM runs only in chat/db.py's threads, which close old
        connections around each call themselves."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Check a frame and queue it for this socket's frame task.

        Frames are handled in order, one at a time, but not on Channels' dispatch loop:
        while a frame waits for the database, the items of other people keep flowing to
        this socket (a staff socket writing in one conversation still receives the
        others' messages at once — bench/ measured delivery waiting behind acks)."""
        if self.auth_timer is None:
            return  # refused at the handshake
        try:
            frame = self.parser.parse(text_data, bytes_data)
            # Parsed first (it is cheap) so the refusal carries the frame's ref and the
            # client knows which request to send again; the bucket guards the database.
            if not self.bucket.take() or self.frames.qsize() >= FRAMES_QUEUED_LIMIT:
                raise ProtocolError(
                    ErrorCode.RATE_LIMITED, "too many frames; slow down", ref=frame.ref
                )
        except ProtocolError as exc:
            await self.refuse(exc)
            return
        self.frames.put_nowait(frame)
        if self.frame_task is None:
            self.frame_task = asyncio.create_task(self.frames_handle())

    async def frames_handle(self) -> None:
        while True:
            frame = await self.frames.get()
            await self.frame_handle(frame)

    async def frame_handle(self, frame: f.ClientFrame) -> None:
        try:
            await self.dispatch_frame(frame)
        except ProtocolError as exc:
            await self.refuse(exc)
            return
        except Exception as exc:  # noqa: BLE001 — no frame may crash a worker
            # Type and stack only: an exception message could hold frame or row values.
            logger.error(
                "frame handler failed: %s\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            # The answer carries the frame's ref, so the client's request fails now.
            await self.refuse(
                ProtocolError(ErrorCode.INTERNAL, "server error; nothing stored", ref=frame.ref)
            )
            return
        self.refused_in_a_row = 0

    async def dispatch_frame(self, frame: f.ClientFrame) -> None:
        name = self.handlers.get(type(frame))
        if name is None:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "unknown frame type", ref=frame.ref)
        authenticating = isinstance(frame, self.auth_frames)
        if authenticating and self.party is not None:
            raise ProtocolError(
                ErrorCode.ALREADY_AUTHENTICATED, "already authenticated", ref=frame.ref
            )
        if not authenticating and self.party is None and not isinstance(frame, self.anytime_frames):
            raise ProtocolError(ErrorCode.NOT_AUTHENTICATED, "authenticate first", ref=frame.ref)
        try:
            await getattr(self, name)(frame)
        except ChatError as exc:
            raise protocol_error_from(exc, frame.ref) from None

    async def refuse(self, exc: ProtocolError) -> None:
        self.refused_in_a_row += 1
        retry = exc.retry_after_ms
        if retry is None and exc.code == ErrorCode.RATE_LIMITED:
            retry = self.bucket.retry_after_ms()
        await self.send_frame(
            f.Error(ref=exc.ref, code=exc.code.value, message=exc.message, retry_after_ms=retry)
        )
        if self.refused_in_a_row >= REFUSED_IN_A_ROW_LIMIT:
            await self.close(CLOSE_FLOOD)

    def authenticated(self, party: Party) -> None:
        self.party = party
        self.auth_timer.cancel()

    # -- conversations this socket follows -------------------------------------------

    def conversation_check(self, conversation_id: str, ref: str | None) -> None:
        """Raise unless this socket follows the conversation (subclasses refine)."""
        if conversation_id not in self.backlog_upto:
            raise ProtocolError(ErrorCode.NOT_SUBSCRIBED, "subscribe first", ref=ref)

    async def follow(self, conversation_id: str) -> None:
        """Join the conversation's group. Without Redis the socket still works: it
        misses live items, and the client's heartbeat sync fetches them."""
        if conversation_id not in self.backlog_upto:
            self.backlog_upto[conversation_id] = 0
            await group_change(
                self.channel_layer.group_add, conversation_group(conversation_id), self.channel_name
            )

    async def unfollow(self, conversation_id: str) -> None:
        if self.backlog_upto.pop(conversation_id, None) is not None:
            await group_change(
                self.channel_layer.group_discard,
                conversation_group(conversation_id),
                self.channel_name,
            )

    async def send_backlog(self, conversation_id: str, after: int, ref: str | None) -> None:
        """Everything after ``after`` from PostgreSQL, then ``sync.done``. The socket is
        already in the group: live items of the conversation are held meanwhile (frames
        run on their own task, beside the channel layer's messages), then the ones the
        backlog did not send go out, in the order they came."""
        self.held.setdefault(conversation_id, [])
        last = after
        try:
            while True:
                items = await db_call(selectors.backlog_page)(
                    party=self.party, conversation_id=conversation_id, after=last
                )
                if not items:
                    break
                for item in items:
                    await self.send(text_data=backlog_frame(conversation_id, item))
                    last = item.order
            if conversation_id in self.backlog_upto:
                self.backlog_upto[conversation_id] = max(self.backlog_upto[conversation_id], last)
            await self.send_frame(
                f.SyncDone(ref=ref, conversation_id=conversation_id, last_order=last)
            )
        finally:
            await self.held_release(conversation_id)

    async def held_release(self, conversation_id: str) -> None:
        """Send what was held during a backlog; items arriving meanwhile join the end."""
        waiting = self.held.get(conversation_id, [])
        while waiting:
            deliver, event = waiting.pop(0)
            await deliver(event)
        self.held.pop(conversation_id, None)

    # -- frames both endpoints accept ------------------------------------------------

    async def on_commit_submit(self, frame: f.CommitSubmit) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        accepted = await db_call(commit_submit)(
            party=self.party,
            conversation_id=frame.conversation_id,
            commit=frame.commit,
            signature=frame.signature,
            wraps=frame.wraps,
            now=timezone.now(),
        )
        await self.send_frame(
            f.Ack(
                ref=frame.ref,
                conversation_id=frame.conversation_id,
                order=accepted.order,
                duplicate=accepted.duplicate,
            )
        )
        if not accepted.duplicate:
            event = "opened" if accepted.commit.epoch == 0 else "commit"
            await events_publish(
                [
                    commit_event(frame.conversation_id, accepted),
                    activity_event(frame.conversation_id, accepted.order, event),
                ]
            )

    async def on_envelope_send(self, frame: f.EnvelopeSend) -> None:
        envelope = frame.envelope
        self.conversation_check(envelope.conversation_id, frame.ref)
        accepted = await db_call(envelope_submit)(
            party=self.party, envelope=envelope, now=timezone.now()
        )
        await self.send_frame(
            f.Ack(
                ref=frame.ref,
                conversation_id=envelope.conversation_id,
                order=accepted.order,
                duplicate=accepted.duplicate,
            )
        )
        if accepted.duplicate:
            return
        await events_publish([envelope_event(envelope, accepted, origin=self.channel_name)])
        news = list(accepted.events)  # the routing hook's, if any (chat/hooks.py)
        if self.party.is_visitor:
            news.append(activity_event(envelope.conversation_id, accepted.order, "message"))
        await self.news_publish(news)

    async def news_publish(self, news: list[Event]) -> None:
        """Dashboard news of this socket's messages, at most once a second.

        Every staff socket receives them, so publishing one per message multiplied each
        visitor message by the number of staff sockets (bench/: most of a worker's
        event-loop time). They are snapshots (the last order, the route's state), so
        within a second only the newest of each kind matters; the first goes at once.
        """
        for group, message in news:
            self.news_pending[(group, message["type"], message.get("event"))] = (group, message)
        if not self.news_pending or self.news_timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = self.news_sent_at + NEWS_INTERVAL_SECONDS - loop.time()
        if delay <= 0:
            await self.news_flush()
        else:
            self.news_timer = loop.call_later(
                delay, lambda: asyncio.ensure_future(self.news_flush())
            )

    async def news_flush(self) -> None:
        self.news_timer = None
        pending, self.news_pending = list(self.news_pending.values()), {}
        self.news_sent_at = asyncio.get_running_loop().time()
        await events_publish(pending)

    async def on_receipt(self, frame: f.ReceiptSend) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await db_call(receipt_record)(
            party=self.party,
            conversation_id=frame.conversation_id,
            kind=frame.kind,
            order=frame.order,
            now=timezone.now(),
        )
        await events_publish(
            [receipt_event(frame.conversation_id, frame.kind, frame.order, self.party.kind)]
        )

    async def on_sync(self, frame: f.Sync) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await self.send_backlog(frame.conversation_id, frame.after, frame.ref)

    async def on_certs_get(self, frame: f.CertsGet) -> None:
        devices = await db_call(selectors.certs_for)(party=self.party, device_ids=frame.device_ids)
        await self.send_frame(f.Certs(ref=frame.ref, certs=[d.certificate() for d in devices]))

    async def on_ping(self, frame: f.Ping) -> None:
        orders = await db_call(selectors.last_orders)(list(self.backlog_upto))
        await self.send_frame(f.Pong(ref=frame.ref, last_orders=orders))

    # -- live items from the channel layer -------------------------------------------

    def item_is_new(self, event: dict) -> bool:
        """Skip live items the last backlog already sent. Orders are taken under a row
        lock and committed in order, so an item at or below the backlog's last order
        was visible to it; anything else is forwarded, even out of order."""
        conversation_id = event["conversation_id"]
        if conversation_id not in self.backlog_upto:
            return False
        return event["order"] > self.backlog_upto[conversation_id]

    def epoch_visible(self, conversation_id: str, epoch: int) -> bool:
        return True

    def hold(self, event: dict, deliver) -> bool:
        """Keep a live item back while its conversation's backlog is being sent."""
        waiting = self.held.get(event["conversation_id"])
        if waiting is None:
            return False
        waiting.append((deliver, event))
        return True

    async def chat_item(self, event: dict) -> None:
        if not self.hold(event, self.item_send):
            await self.item_send(event)

    async def item_send(self, event: dict) -> None:
        if event.get("origin") == self.channel_name or not self.item_is_new(event):
            return
        if self.epoch_visible(event["conversation_id"], event["epoch"]):
            await self.send(text_data=event["text"])

    async def chat_commit(self, event: dict) -> None:
        if not self.hold(event, self.commit_send):
            await self.commit_send(event)

    async def commit_send(self, event: dict) -> None:
        if not self.item_is_new(event):
            return
        commit = msgspec.json.decode(event["commit"], type=Commit)
        wraps = [msgspec.json.decode(raw, type=Wrap) for raw in event["wraps"]]
        wrap = wrap_for_party(self.party, commit, wraps)
        if not self.commit_visible(commit, wrap):
            return
        frame = f.CommitDelivered(
            conversation_id=event["conversation_id"],
            order=event["order"],
            commit=commit,
            signature=event["signature"],
            wrap=wrap,
        )
        await self.send_frame(frame)

    def commit_visible(self, commit: Commit, wrap: Wrap | None) -> bool:
        return True

    async def chat_receipt(self, event: dict) -> None:
        await self.send(text_data=event["text"])


def hello_frame(nonce: bytes | None = None) -> f.Hello:
    return f.Hello(
        protocol=f.PROTOCOL_VERSION,
        suites=[SUITE_ID],
        max_frame=settings.CHAT_MAX_FRAME_BYTES,
        nonce=nonce,
    )


async def group_change(method, group: str, channel_name: str) -> None:
    """Join or leave a group; a channel layer outage is logged, never fatal."""
    try:
        await method(group, channel_name)
    except Exception as exc:  # noqa: BLE001 — the channel layer is best effort
        logger.warning("channel layer unavailable (%s); clients sync", type(exc).__name__)


def wrap_for_party(party: Party, commit: Commit, wraps: list[Wrap]) -> Wrap | None:
    for member, wrap in zip(commit.members, wraps, strict=True):
        if party.receives(member.kind, member.id):
            return wrap
    return None


def backlog_frame(conversation_id: str, item) -> str:
    if isinstance(item, selectors.BacklogCommit):
        frame = f.CommitDelivered(
            conversation_id=conversation_id,
            order=item.order,
            commit=item.commit,
            signature=item.signature,
            wrap=item.wrap,
        )
    else:
        frame = f.EnvelopeDelivered(
            conversation_id=conversation_id,
            order=item.order,
            received_at=item.received_at,
            envelope=item.envelope,
        )
    return frame_encode(frame)
