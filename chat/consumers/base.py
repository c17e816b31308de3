"""What both endpoints share: limits, parsing, errors, items and fan-out handling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from typing import Any

import msgspec
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from chat import layer_sweep, metrics, selectors
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
    receipt_event,
    typing_event,
)
from chat.fanout import Fanout, from_this_process
from chat.news import news_hub
from chat.parties import Party
from chat.protocol import frames as f
from chat.protocol.close_codes import CloseCode
from chat.protocol.errors import ErrorCode, ProtocolError, protocol_error_from
from chat.protocol.parse import FrameParser, frame_encode
from chat.ratelimit import RefusalWindow, TokenBucket
from chat.server import SEND_QUEUE_EXTENSION
from chat.services.commits import commit_submit
from chat.services.conversations import receipt_record
from chat.services.envelopes import envelope_submit
from chat.sockets import local_sockets

logger = logging.getLogger(__name__)

AUTH_TIMEOUT_SECONDS = 30
# When to try again after too many sockets of one token (CHAT_SOCKETS_PER_TOKEN).
TOKEN_RETRY_MS = 5000
# Frames waiting for their socket's frame task (and their bytes, CHAT_RECEIVE_QUEUE_BYTES);
# beyond this a client is told to slow down (the token bucket alone would let a burst pile
# up behind a slow database).
FRAMES_QUEUED_LIMIT = 64
# How often a backlog page looks whether the client took the previous one.
DRAIN_POLL_SECONDS = 0.05
# `typing` (docs/protocol.md §6.5): relayed at most this often per socket, the rest
# dropped; a client sends one every few seconds while someone types.
TYPING_PER_SECOND = 0.5
TYPING_BURST = 2
# The smallest padding bucket (256) sealed: a typing event carries no content.
TYPING_CT_BYTES = 272
# The close code a consumer's own cleanup is run with when Channels never delivered
# `websocket.disconnect` (the instance was cancelled, or a handler raised).
CLOSE_ABNORMAL = 1006
# How long the cleanup of an ended consumer may take (leaving groups, presence): it runs
# shielded, so a second cancellation does not cut it short, but never forever.
CLEANUP_TIMEOUT_SECONDS = 10
GROUP_CHANGE_TIMEOUT_SECONDS = 3
# Cleanups still running after their consumer's task ended (kept so they are not
# collected half-way).
cleanups: set[asyncio.Task] = set()


class ProtocolConsumer(AsyncWebsocketConsumer):
    """Subclasses set ``parser_factory`` and ``handlers`` (frame type → method name)."""

    parser_factory: Any
    handlers: dict[type, str]
    endpoint: str  # "visitor" or "staff": the label of its metrics (chat/metrics.py)
    auth_frames: tuple[type, ...]
    # Frames allowed before authenticating too (the visitor's return_code.open).
    anytime_frames: tuple[type, ...] = ()

    refusal_code = CloseCode.REFUSED

    async def __call__(self, scope, receive, send) -> None:
        """Channels' consumer loop, with its cleanup in a ``finally``: Channels calls
        ``disconnect`` only for a `websocket.disconnect` message, so a consumer whose
        handler raised (a send on a socket already gone) or whose instance Daphne
        cancelled (a worker shutting down, a client gone during a database hang) left its
        groups subscribed in Redis and its staff member "present". Here it runs however
        the consumer ends, once."""
        self.cleaned = False
        # What disconnect() reads, should the instance end before connect() set it.
        self.party = None
        self.auth_timer = None
        self.closing = False
        self.backlog_upto = {}
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self.cleaned:
                cleanup = asyncio.ensure_future(self.cleanup_after_end())
                cleanups.add(cleanup)
                cleanup.add_done_callback(cleanups.discard)
                with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(cleanup), CLEANUP_TIMEOUT_SECONDS)

    async def cleanup_after_end(self) -> None:
        try:
            await self.disconnect(CLOSE_ABNORMAL)
        except Exception as exc:  # noqa: BLE001 — logged; the presence lease and the
            # sweep (ops/routing/presence.py) end what could not be ended here
            logger.warning("consumer cleanup failed: %s", type(exc).__name__)

    def admitted(self) -> bool:
        """Whether the handshake may go on (the staff endpoint needs a session)."""
        return True

    async def connect(self) -> None:
        self.party: Party | None = None
        self.backlog_upto: dict[str, int] = {}
        # conversation → live items waiting for its backlog page
        self.held: dict[str, HeldItems] = {}
        self.auth_timer: asyncio.TimerHandle | None = None
        # Set once this socket is being closed by the server: nothing more is handled.
        self.closing = False
        if not self.admitted():
            # Accept only to say why, with a close code, and send nothing else.
            metrics.HANDSHAKES_REFUSED.labels(self.endpoint).inc()
            await self.accept()
            await self.close(self.refusal_code)
            return
        self.parser: FrameParser = self.parser_factory(settings.CHAT_MAX_FRAME_BYTES)
        self.bucket = TokenBucket(
            rate=settings.CHAT_RATE_PER_SECOND, burst=settings.CHAT_RATE_BURST
        )
        self.refusals = RefusalWindow(
            window=settings.CHAT_FLOOD_WINDOW_SECONDS,
            minimum=settings.CHAT_FLOOD_REFUSED_MIN,
            percent=settings.CHAT_FLOOD_REFUSED_PERCENT,
        )
        self.typing_bucket = TokenBucket(rate=TYPING_PER_SECOND, burst=TYPING_BURST)
        self.frames: asyncio.Queue[tuple[f.ClientFrame, int]] = asyncio.Queue()
        self.frames_bytes = 0
        self.frame_task: asyncio.Task | None = None
        self.party_checked_at = float("-inf")
        # Bytes waiting to be sent to this socket (chat/server.py; not under test clients).
        self.send_queue = self.scope.get("extensions", {}).get(SEND_QUEUE_EXTENSION)
        # Live items go out on their own task, after the ack (chat/fanout.py).
        self.fanout = Fanout()
        self.auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_SECONDS, lambda: self.later(self.close_for(CloseCode.AUTH_TIMEOUT))
        )
        layer_sweep.sweep_start(self.channel_layer)  # what Redis did not unsubscribe
        # Counted from here, as disconnect() uncounts every socket that got this far.
        metrics.WEBSOCKETS.labels(self.endpoint).inc()
        await self.accept()
        await self.greet()

    async def greet(self) -> None:
        await self.send_frame(hello_frame())

    async def disconnect(self, code: int) -> None:
        """Leave everything this socket holds. Safe to run again after it was cut short
        (``__call__`` runs it when Channels did not, or did not finish): each step
        forgets what it undid first."""
        if self.auth_timer is None or self.cleaned:
            self.cleaned = True  # refused at the handshake: nothing of its own to leave
            return
        if not getattr(self, "uncounted", False):
            self.uncounted = True
            metrics.WEBSOCKETS.labels(self.endpoint).dec()
        self.closing = True
        self.auth_timer.cancel()
        if self.frame_task is not None:
            self.frame_task.cancel()
        local_sockets.forget(self)
        for conversation_id in list(self.backlog_upto):
            await self.unfollow(conversation_id)
        self.cleaned = True

    async def send_frame(self, frame: f.ServerFrame) -> None:
        await self.send(text_data=frame_encode(frame))

    def later(self, coroutine) -> None:
        """Run ``coroutine`` from a timer, keeping its task until it ends."""
        task = asyncio.ensure_future(coroutine)
        self.timer_tasks = getattr(self, "timer_tasks", set())
        self.timer_tasks.add(task)
        task.add_done_callback(self.timer_tasks.discard)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Channels' close, with the code a plain int: Autobahn (under Daphne) refuses
        any other type, a CloseCode included, and the socket then ends 1011."""
        if code is not None and code is not True:
            code = int(code)
        await super().close(code, reason)

    async def close_for(self, code: int) -> None:
        """Close this socket with ``code``, once; frames still queued are dropped."""
        if self.closing:
            return
        self.closing = True
        await self.close(code)

    async def group_join(self, group: str) -> None:
        """Join a channel layer group, and this process's own table of it
        (chat/sockets.py), which notices reach without Redis."""
        local_sockets.join(group, self)
        await group_change(self.channel_layer.group_add, group, self.channel_name)

    async def group_leave(self, group: str) -> None:
        local_sockets.leave(group, self)
        await group_change(self.channel_layer.group_discard, group, self.channel_name)

    def token_take(self, token: str, ref: str | None) -> None:
        """Count this socket as one of ``token``'s (a conversation or a device), or
        refuse: CHAT_SOCKETS_PER_TOKEN are open already in this process."""
        if not local_sockets.token_take(token, self, limit=settings.CHAT_SOCKETS_PER_TOKEN):
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                "too many open sockets for this conversation or device",
                ref=ref,
                retry_after_ms=TOKEN_RETRY_MS,
            )

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without its ``close_old_connections`` hop before every
        message: that hop goes through the one thread-sensitive thread and was a third of
        the event loop's time under load (bench/ profile), once per frame and per live
        item delivered. The ORM runs only in chat/db.py's threads, which close old
        connections around each call themselves."""
        if from_this_process(message):
            return  # delivered to this process's sockets already (chat/fanout.py)
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
        if self.auth_timer is None or self.closing:
            return  # refused at the handshake, or being closed
        size = len(text_data or bytes_data or "")
        try:
            frame = self.parser.parse(text_data, bytes_data)
            # Parsed first (it is cheap) so the refusal carries the frame's ref and the
            # client knows which request to send again; the bucket guards the database.
            if (
                not self.bucket.take()
                or self.frames.qsize() >= FRAMES_QUEUED_LIMIT
                or self.frames_bytes + size > settings.CHAT_RECEIVE_QUEUE_BYTES
            ):
                raise ProtocolError(
                    ErrorCode.RATE_LIMITED, "too many frames; slow down", ref=frame.ref
                )
        except ProtocolError as exc:
            await self.refuse(exc)
            return
        self.frames_bytes += size
        self.frames.put_nowait((frame, size))
        # Counted as accepted now, not once handled: refusals are counted at once, and
        # a burst of them must not outrun the frames still waiting in the queue.
        self.refusals.record(refused=False)
        if self.frame_task is None:
            self.frame_task = asyncio.create_task(self.frames_handle())

    async def frames_handle(self) -> None:
        while not self.closing:
            frame, size = await self.frames.get()
            self.frames_bytes -= size
            if not self.closing:
                await self.frame_handle(frame)

    async def frame_handle(self, frame: f.ClientFrame) -> None:
        try:
            await self.dispatch_frame(frame)
        except ProtocolError as exc:
            await self.refuse(exc, queued=True)
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
                ProtocolError(ErrorCode.INTERNAL, "server error; nothing stored", ref=frame.ref),
                queued=True,
            )

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
        if self.party is not None and not await self.party_current():
            return  # no longer allowed: the socket is being closed
        try:
            await getattr(self, name)(frame)
        except ChatError as exc:
            raise protocol_error_from(exc, frame.ref) from None

    async def refuse(self, exc: ProtocolError, *, queued: bool = False) -> None:
        """Answer a refused frame; ``queued``: its handler refused it, after it was
        counted as accepted."""
        if self.closing:
            return
        self.refusals.record(refused=True, counted=queued)
        metrics.REFUSALS.labels(exc.code.value).inc()
        retry = exc.retry_after_ms
        if retry is None and exc.code == ErrorCode.RATE_LIMITED:
            retry = self.bucket.retry_after_ms()
        await self.send_frame(
            f.Error(ref=exc.ref, code=exc.code.value, message=exc.message, retry_after_ms=retry)
        )
        if self.refusals.flooding():
            await self.close_for(CloseCode.FLOOD)

    def authenticated(self, party: Party) -> None:
        self.party = party
        self.auth_timer.cancel()
        self.party_checked_at = asyncio.get_running_loop().time()

    async def party_current(self) -> bool:
        """Whether the party may still use this socket, asked of the database when the
        last answer is older than CHAT_PARTY_RECHECK_SECONDS: a revocation, a sign-out
        or a block whose fan-out was lost (Redis down) stops the next frame."""
        now = asyncio.get_running_loop().time()
        if now - self.party_checked_at < settings.CHAT_PARTY_RECHECK_SECONDS:
            return True
        if not await self.party_recheck():
            return False
        self.party_checked_at = now
        return True

    async def party_recheck(self) -> bool:
        """Subclasses: ask the database, and close the socket (False) if it is over."""
        return True

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
            await self.group_join(conversation_group(conversation_id))

    async def unfollow(self, conversation_id: str) -> None:
        if self.backlog_upto.pop(conversation_id, None) is not None:
            await self.group_leave(conversation_group(conversation_id))

    async def send_backlog(self, conversation_id: str, after: int, ref: str | None) -> None:
        """One page of what follows ``after`` in PostgreSQL, then ``sync.done`` (with
        ``more`` when the client is to ask for the next page).

        A page is at most CHAT_SYNC_PAGE_BYTES of stored ciphertext, and is read only once
        the client took the previous one (one page in flight per socket): a client that
        asks again and again without reading holds a page at most, and is closed (4413)
        after CHAT_SEND_STALL_SECONDS. The socket is already in the group: live items of
        the conversation are held meanwhile (frames run on their own task, beside the
        channel layer's messages), then the ones the page did not send go out, in the
        order they came — unless more than a page of them came, or the page was not the
        last: then the client gets them with its next `sync`."""
        if not await self.send_queue_drained():
            return
        held = self.held[conversation_id] = HeldItems()
        more = True
        try:
            page = await db_call(selectors.backlog_next)(
                party=self.party,
                conversation_id=conversation_id,
                after=after,
                max_bytes=settings.CHAT_SYNC_PAGE_BYTES,
            )
            last = after
            for item in page.items:
                await self.send(text_data=backlog_frame(conversation_id, item))
                last = item.order
            if conversation_id in self.backlog_upto:
                self.backlog_upto[conversation_id] = max(self.backlog_upto[conversation_id], last)
            more = page.more or held.overflow
            await self.send_frame(
                f.SyncDone(ref=ref, conversation_id=conversation_id, last_order=last, more=more)
            )
        finally:
            await self.held_release(conversation_id, held, drop=more)

    async def send_queue_drained(self) -> bool:
        """Wait until less than a page waits for this socket's client; False (and the
        socket is closed, 4413) when it takes longer than CHAT_SEND_STALL_SECONDS."""
        if self.send_queue is None:
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.CHAT_SEND_STALL_SECONDS
        while self.send_queue() > settings.CHAT_SYNC_PAGE_BYTES:
            if self.closing:
                return False
            if loop.time() > deadline:
                await self.close_for(CloseCode.SLOW_CONSUMER)
                return False
            await asyncio.sleep(DRAIN_POLL_SECONDS)
        return not self.closing

    async def held_release(self, conversation_id: str, held: HeldItems, *, drop: bool) -> None:
        """Send what was held during a backlog page (items arriving meanwhile join the
        end), or drop it when the client syncs again anyway."""
        while held.items and not drop:
            deliver, event = held.items.pop(0)
            await deliver(event)
        if self.held.get(conversation_id) is held:
            del self.held[conversation_id]

    # -- frames both endpoints accept ------------------------------------------------

    async def on_commit_submit(self, frame: f.CommitSubmit) -> None:
        started = time.monotonic()
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
        metrics.ack_count("commit", duplicate=accepted.duplicate, started=started)
        if not accepted.duplicate:
            event = "opened" if accepted.commit.epoch == 0 else "commit"
            self.fanout.publish(
                [
                    commit_event(frame.conversation_id, accepted),
                    activity_event(frame.conversation_id, accepted.order, event),
                ]
            )

    async def on_envelope_send(self, frame: f.EnvelopeSend) -> None:
        started = time.monotonic()
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
        metrics.ack_count("envelope", duplicate=accepted.duplicate, started=started)
        if accepted.duplicate:
            return
        self.fanout.publish([envelope_event(envelope, accepted, origin=self.channel_name)])
        news = list(accepted.events)  # the routing hook's, if any (chat/hooks.py)
        if self.party.is_visitor:
            news.append(activity_event(envelope.conversation_id, accepted.order, "message"))
        await self.news_publish(news)

    async def news_publish(self, news: list[Event]) -> None:
        """Dashboard news of this socket's messages: snapshots go to this process's news
        hub (chat/news.py: one frame per staff socket per interval); anything else now."""
        others = news_hub.add(news)
        if others:
            self.fanout.publish(others)

    async def on_receipt(self, frame: f.ReceiptSend) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await db_call(receipt_record)(
            party=self.party,
            conversation_id=frame.conversation_id,
            kind=frame.kind,
            order=frame.order,
            now=timezone.now(),
        )
        self.fanout.publish(
            [receipt_event(frame.conversation_id, frame.kind, frame.order, self.party.kind)]
        )

    async def on_typing(self, frame: f.TypingSend) -> None:
        """Relay "someone is typing" to the conversation's other sockets, never stored.
        Only as this socket's party, only an event in the smallest bucket (no content can
        ride along), and at most TYPING_PER_SECOND: the others are dropped unanswered (a
        typing event is worth nothing late, and its sender waits for no answer)."""
        envelope = frame.envelope
        self.conversation_check(envelope.conversation_id, frame.ref)
        if (
            envelope.sender != self.party.id
            or envelope.content_type != "event"
            or len(envelope.ct) != TYPING_CT_BYTES
        ):
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "a typing event of this party, content-free", ref=frame.ref
            )
        if self.typing_bucket.take():
            self.fanout.publish([typing_event(envelope, origin=self.channel_name)])

    async def on_sync(self, frame: f.Sync) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await self.send_backlog(frame.conversation_id, frame.after, frame.ref)

    async def on_certs_get(self, frame: f.CertsGet) -> None:
        devices = await db_call(selectors.certs_for)(
            party=self.party, device_ids=frame.device_ids, conversation_ids=list(self.backlog_upto)
        )
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
        held = self.held.get(event["conversation_id"])
        if held is None:
            return False
        held.add(deliver, event)
        return True

    async def chat_item(self, event: dict) -> None:
        if not self.hold(event, self.item_send):
            await self.item_send(event)

    async def item_send(self, event: dict) -> None:
        if event.get("origin") == self.channel_name or not self.item_is_new(event):
            return
        if self.epoch_visible(event["conversation_id"], event["epoch"]):
            await self.send(text_data=event["text"])

    async def chat_typing(self, event: dict) -> None:
        """Live only: dropped while the conversation's backlog is being sent."""
        conversation_id = event["conversation_id"]
        if event["origin"] == self.channel_name or conversation_id not in self.backlog_upto:
            return
        if conversation_id in self.held:
            return
        if self.epoch_visible(conversation_id, event["epoch"]):
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


class HeldItems:
    """Live items of one conversation held while a backlog page is sent; past a page's
    worth of bytes they are dropped (the client gets them with its next `sync`)."""

    def __init__(self) -> None:
        self.items: list[tuple] = []
        self.bytes = 0
        self.overflow = False

    def add(self, deliver, event: dict) -> None:
        if self.overflow:
            return
        self.bytes += event_size(event)
        if self.bytes > settings.CHAT_SYNC_PAGE_BYTES:
            self.items.clear()
            self.overflow = True
            return
        self.items.append((deliver, event))


def event_size(event: dict) -> int:
    """About how many bytes a live item holds (its frame, or its commit and wraps)."""
    if "text" in event:
        return len(event["text"])
    return len(event.get("commit", b"")) + sum(len(wrap) for wrap in event.get("wraps", ()))


def hello_frame(nonce: bytes | None = None) -> f.Hello:
    return f.Hello(
        protocol=f.PROTOCOL_VERSION,
        suites=[SUITE_ID],
        max_frame=settings.CHAT_MAX_FRAME_BYTES,
        nonce=nonce,
    )


def epoch_or_none(current_epoch: int) -> int | None:
    """A conversation's current epoch on the wire: null before its epoch-0 commit (the
    database keeps -1 there, which is outside the protocol's integers, §2.2)."""
    return current_epoch if current_epoch >= 0 else None


async def group_change(method, group: str, channel_name: str) -> None:
    """Join or leave a group; a channel layer outage is logged, never fatal, and never
    waited for longer than GROUP_CHANGE_TIMEOUT_SECONDS (a socket's cleanup goes on; what
    Redis did not take, chat/layer_sweep.py unsubscribes later)."""
    try:
        await asyncio.wait_for(method(group, channel_name), GROUP_CHANGE_TIMEOUT_SECONDS)
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
