"""What the visitor and staff clients share: ordered processing, acks, reconnection.

A single processor task applies items strictly in the server's order per conversation
(docs/protocol.md §7): out-of-order items wait in a buffer, a gap that lasts asks for a
``sync``, items already applied are ignored, and envelopes not yet acknowledged are sent
again after a reconnection (idempotent by their stream and seq).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass, field

from chat.client.connection import Connection, ConnectionLost, ServerRefused
from chat.client.state import ConversationState, Message
from chat.crypto.errors import CryptoError
from chat.crypto.messages import Envelope
from chat.protocol import frames as f

logger = logging.getLogger(__name__)

GAP_WAIT_SECONDS = 0.5
# Reconnecting, and sending again after `internal`: full jitter between the first delay
# and a ceiling that doubles each time, up to the last (docs/protocol.md §7).
BACKOFF_FIRST_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 3.0
PING_SECONDS = 10.0
EPOCH_POLL_SECONDS = 0.05
TYPING_CONTENT = json.dumps({"kind": "typing"}).encode()


@dataclass
class Followed:
    state: ConversationState
    last_order: int = 0
    pending: dict[int, object] = field(default_factory=dict)
    own_orders: set[int] = field(default_factory=set)
    gap_task: asyncio.Task | None = None
    page_task: asyncio.Task | None = None  # asking for a backlog's next page


class Session:
    """Subclasses implement ``authenticate`` (open/resume or device.auth + subscribe)."""

    endpoint = ""

    def __init__(self, urls: list[str], *, auto_reconnect: bool = True) -> None:
        self.urls = list(urls)
        self.auto_reconnect = auto_reconnect
        self.conversations: dict[str, Followed] = {}
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.history: list[Message] = []
        self.failures: list[str] = []
        self.receipts: list[f.Receipt] = []
        self.activity: list[f.ConversationActivity] = []
        # The last `helpline.status` (visitor endpoint) and every `staff.event` (staff
        # endpoint), as received; the reference client only keeps them for its callers.
        self.helpline_status: f.HelplineStatus | None = None
        self.staff_events: list[f.StaffEvent] = []
        # Conversations deleted (by their visitor, or expired) while followed.
        self.deleted: list[f.ConversationDeleted] = []
        # `typing` frames that opened (docs/protocol.md §6.5): (conversation, sender), and
        # the visitor's `conversation.route` frames, as received.
        self.typing: list[tuple[str, str]] = []
        self.routes: list[f.ConversationRoute] = []
        self.connection: Connection | None = None
        self.connected = asyncio.Event()
        self.reconnections = 0
        self.internal_retries = 0  # sends refused with `internal` and sent again
        self._url_index = 0
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        # An interpreter's session sees only the items of its own epochs.
        self.sees_part = False

    # -- connection life ------------------------------------------------------------

    def cookie(self) -> str | None:
        return None

    async def start(self) -> None:
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._process()),
            asyncio.create_task(self._heartbeat()),
        ]

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.connection is not None:
            await self.connection.close()

    async def _connect(self) -> None:
        url = self.urls[self._url_index % len(self.urls)]
        connection = Connection(url, self.endpoint, cookie=self.cookie())
        await connection.open()
        self.connection = connection
        try:
            await self.authenticate()
        except BaseException:
            await connection.close()
            raise
        self.connected.set()

    async def authenticate(self) -> None:
        raise NotImplementedError

    async def reconnect(self) -> None:
        """Reconnect (trying each server URL in turn, with jittered backoff) and catch up.

        Forever, whatever fails: a refused TCP connection, a handshake answered with an
        HTTP error (websockets' ``InvalidStatus``: a worker whose database is away answers
        500) or not answered properly (``InvalidMessage``), a timeout, a socket closed
        before ``hello``, a refused ``open``/``resume``/``device.auth``. Only stopping the
        session ends it."""
        self.connected.clear()
        backoff = Backoff()
        while not self._stopping:
            self._url_index += 1
            try:
                await self._connect()
                self.reconnections += 1
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — every failure is retried
                logger.debug("reconnect failed: %s: %s", type(exc).__name__, exc)
                await backoff.wait()

    async def drop(self) -> None:
        """Close the socket as a network failure would (tests use it)."""
        if self.connection is not None and self.connection.websocket is not None:
            self.connection.websocket.transport.abort()

    # -- sending --------------------------------------------------------------------

    async def send_content(
        self, conversation_id: str, content: bytes, content_type: str = "text"
    ) -> int:
        """Encrypt and send; return the order once the server has stored it. Across a
        reconnection the same envelope is sent again until acknowledged. One refused
        with ``epoch_closed`` (an interpreter left; the epoch without them is not made
        yet, docs/protocol.md §5.4) is held until a newer epoch is applied, then sealed
        again in it and sent: never lost."""
        state = self.conversations[conversation_id].state
        while True:
            envelope = state.seal(content, content_type)
            try:
                return await self._send_envelope(envelope)
            except ServerRefused as exc:
                if exc.code != "epoch_closed":
                    raise
            await self.epoch_after(state, envelope.epoch)

    async def epoch_after(self, state: ConversationState, epoch: int) -> None:
        """Wait (as long as it takes) until ``state`` holds an epoch after ``epoch``."""
        while state.current_epoch <= epoch:
            await asyncio.sleep(EPOCH_POLL_SECONDS)

    async def send_text(self, conversation_id: str, text: str) -> int:
        return await self.send_content(conversation_id, text.encode("utf-8"))

    async def send_typing(self, conversation_id: str) -> None:
        """ "Someone is writing" (docs/protocol.md §6.5): sealed like any event, sent once,
        never stored, no answer."""
        state = self.conversations[conversation_id].state
        envelope = state.seal(TYPING_CONTENT, "event")
        await self.connected.wait()
        await self.connection.send(f.TypingSend(envelope=envelope))

    async def _send_envelope(self, envelope: Envelope) -> int:
        internal_backoff = Backoff()
        while True:
            await self.connected.wait()
            connection = self.connection
            try:
                ack = await connection.request(f.EnvelopeSend(envelope=envelope))
            except (ConnectionLost, TimeoutError):
                if not self.auto_reconnect:
                    raise
                # A socket that stays open but stops answering is closed, so the
                # processor reconnects instead of waiting for it forever.
                await connection.close()
                await self.replaced(connection)
                continue
            except ServerRefused as exc:
                if exc.code == "rate_limited":
                    # Slowed down: the same envelope (same seq) goes again when allowed.
                    await asyncio.sleep((exc.error.retry_after_ms or 100) / 1000)
                    continue
                if exc.code == "internal" and self.auto_reconnect:
                    # The server failed and stored nothing (its database is away): the
                    # same envelope again, on this socket or the next, until stored.
                    self.internal_retries += 1
                    await internal_backoff.wait()
                    continue
                raise
            await connection.items.put(("own", envelope.conversation_id, ack.order))
            return ack.order

    async def replaced(self, connection: Connection) -> None:
        """Wait until the session runs on a new, authenticated connection."""
        while self.connection is connection or not self.connected.is_set():
            await asyncio.sleep(0.05)

    # -- receiving ------------------------------------------------------------------

    async def _process(self) -> None:
        """Items in order, and reconnecting when the socket ends. Nothing an item does
        ends this task: a session whose processor died would never reconnect again."""
        while True:
            item = await self.connection.items.get()
            if item is None:
                if self._stopping or not self.auto_reconnect:
                    return
                await self.reconnect()
                continue
            try:
                await self._handle(item)
            except ServerRefused as exc:
                self.failures.append(f"refused: {exc}")
            except (ConnectionLost, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — kept for the caller, never fatal
                self.failures.append(f"item failed: {type(exc).__name__}: {exc}")

    async def _handle(self, item) -> None:
        if isinstance(item, tuple):
            _, conversation_id, order = item
            followed = self.conversations[conversation_id]
            followed.own_orders.add(order)
            await self._advance(followed)
        elif isinstance(item, f.CommitDelivered | f.EnvelopeDelivered):
            followed = self.conversations.get(item.conversation_id)
            if followed is None or item.order <= followed.last_order:
                return
            followed.pending[item.order] = item
            await self._advance(followed)
        elif isinstance(item, f.ConversationState):
            followed = self.conversations.get(item.conversation_id)
            if followed is not None:
                followed.state.visitor_sig_pk = item.visitor_sig_pk
                followed.state.visitor_kem_pk = item.visitor_kem_pk
        elif isinstance(item, f.Receipt):
            self.receipts.append(item)
        elif isinstance(item, f.ConversationActivity):
            self.activity.append(item)
        elif isinstance(item, f.HelplineStatus):
            self.helpline_status = item
        elif isinstance(item, f.StaffEvent):
            self.staff_events.append(item)
        elif isinstance(item, f.ConversationDeleted):
            self.conversation_gone(item)
        elif isinstance(item, f.ConversationRoute):
            self.routes.append(item)
        elif isinstance(item, f.Typing):
            self.typing_open(item)
        elif isinstance(item, f.SyncDone):
            followed = self.conversations.get(item.conversation_id)
            if followed is not None and self.sees_part:
                await self.backlog_done(followed, item.last_order)
            if followed is not None and item.more:
                # A backlog comes a page at a time: the items before this frame are
                # applied, so ask for the next page from where they ended.
                followed.page_task = asyncio.create_task(self.sync(item.conversation_id))
        elif isinstance(item, f.Error):
            self.failures.append(f"error: {item.code}: {item.message}")

    def typing_open(self, typing: f.Typing) -> None:
        """Kept only if it opens (the sender's key, this epoch) and says "typing". The
        sender's certificate is not fetched for it: a staff client shows its profile first,
        which brings it."""
        followed = self.conversations.get(typing.conversation_id)
        if followed is None:
            return
        try:
            message = followed.state.envelope_open(typing.envelope, 0)
            event = json.loads(message.content)
        except (CryptoError, ValueError):
            return
        if isinstance(event, dict) and event.get("kind") == "typing":
            self.typing.append((typing.conversation_id, typing.envelope.sender))

    def conversation_gone(self, deleted: f.ConversationDeleted) -> None:
        """The server deleted a followed conversation: forget it (and its keys)."""
        self.deleted.append(deleted)
        self.conversations.pop(deleted.conversation_id, None)

    async def _advance(self, followed: Followed) -> None:
        while True:
            following = followed.last_order + 1
            if following in followed.own_orders:
                followed.own_orders.discard(following)
            elif following in followed.pending:
                await self._apply(followed, followed.pending.pop(following))
            else:
                break
            followed.last_order = following
        followed.own_orders = {o for o in followed.own_orders if o > followed.last_order}
        # An item can be both buffered and known as our own (a sync resends it); once
        # passed, it must not keep the gap timer asking for syncs.
        followed.pending = {o: i for o, i in followed.pending.items() if o > followed.last_order}
        if followed.pending and (followed.gap_task is None or followed.gap_task.done()):
            followed.gap_task = asyncio.create_task(self._fill_gap(followed))

    async def backlog_done(self, followed: Followed, last_order: int) -> None:
        """The end of a backlog, for a session that sees only part of a conversation (an
        interpreter): the orders between the items sent are items of epochs it
        is not in, not gaps. Apply what came, in order, up to the backlog's last order."""
        for order in sorted(o for o in followed.pending if o <= last_order):
            followed.last_order = max(followed.last_order, order - 1)
            await self._advance(followed)
        followed.last_order = max(followed.last_order, last_order)
        await self._advance(followed)

    async def _fill_gap(self, followed: Followed) -> None:
        await asyncio.sleep(GAP_WAIT_SECONDS)
        if followed.pending:
            await self.sync(followed.state.conversation_id)

    async def sync(self, conversation_id: str) -> None:
        followed = self.conversations[conversation_id]
        with contextlib.suppress(ConnectionLost, ServerRefused, TimeoutError):
            await self.connection.request(
                f.Sync(conversation_id=conversation_id, after=followed.last_order)
            )

    async def _apply(self, followed: Followed, item) -> None:
        state = followed.state
        try:
            if isinstance(item, f.CommitDelivered):
                ids = [item.commit.author] + [
                    m.id for m in item.commit.members if m.kind == "device"
                ]
                await self.certs_ensure(state, ids)
                state.commit_accept(item.commit, item.signature, item.wrap)
                return
            await self.certs_ensure(state, [item.envelope.sender])
            message = state.envelope_open(item.envelope, item.order)
        except CryptoError as exc:
            self.failures.append(f"order {item.order}: {exc}")
            return
        self.history.append(message)
        if message.sender != state.me:
            await self.messages.put(message)

    async def certs_ensure(self, state: ConversationState, party_ids: list[str]) -> None:
        missing = state.unknown_devices(party_ids)
        if not missing:
            return
        answer = await self.connection.request(f.CertsGet(device_ids=missing))
        for cert in answer.certs:
            state.cert_add(cert)

    async def _heartbeat(self) -> None:
        """Ask now and then how far each conversation went; catch up if behind (this is
        how a live item lost with a Redis outage is recovered)."""
        while True:
            await asyncio.sleep(PING_SECONDS)
            if not self.connected.is_set():
                continue
            with contextlib.suppress(ConnectionLost, ServerRefused, TimeoutError):
                pong = await self.connection.request(f.Ping())
                for conversation_id, last in pong.last_orders.items():
                    followed = self.conversations.get(conversation_id)
                    if followed and last > followed.last_order:
                        await self.sync(conversation_id)

    async def receive(self, timeout: float = 10) -> Message:
        return await asyncio.wait_for(self.messages.get(), timeout)


class Backoff:
    """Jittered exponential backoff: each wait is uniform between the first delay and a
    ceiling that doubles up to BACKOFF_MAX_SECONDS (many clients cut off at once do not
    come back at once)."""

    def __init__(
        self, first: float = BACKOFF_FIRST_SECONDS, ceiling: float = BACKOFF_MAX_SECONDS
    ) -> None:
        self.first = first
        self.ceiling = ceiling
        self.delay = first

    async def wait(self) -> None:
        await asyncio.sleep(random.uniform(self.first, self.delay))  # noqa: S311
        self.delay = min(self.delay * 2, self.ceiling)
