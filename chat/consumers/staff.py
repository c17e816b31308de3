"""The staff endpoint, /ws/staff (docs/protocol.md §8.3): a Django session plus proof
that the socket holds a certified device's signing key."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from django.utils import timezone

from chat import selectors
from chat.consumers.base import ProtocolConsumer, epoch_or_none, hello_frame
from chat.consumers.staff_session import StaffSessionGuard
from chat.crypto import suite1
from chat.crypto.commits import Commit, Wrap
from chat.db import db_call
from chat.events import STAFF_GROUP, events_publish, interpreter_user_group, staff_user_group
from chat.hooks import hook_events
from chat.models import Device
from chat.news import news_hub
from chat.parties import INTERPRETER, STAFF, Party
from chat.protocol import frames as f
from chat.protocol.close_codes import CloseCode
from chat.protocol.errors import ErrorCode, ProtocolError
from chat.protocol.parse import staff_parser
from chat.selectors import interpreter_admitted_until
from chat.services.devices import device_authenticate

logger = logging.getLogger(__name__)


# StaffSessionGuard: the session must be fully signed in and on record; a
# revoked device or an ended session closes the socket at once.
class StaffConsumer(StaffSessionGuard, ProtocolConsumer):
    parser_factory = staticmethod(staff_parser)
    endpoint = "staff"
    auth_frames = (f.DeviceAuth,)
    handlers = {
        f.DeviceAuth: "on_device_auth",
        f.ConversationList: "on_list",
        f.ConversationSubscribe: "on_subscribe",
        f.ConversationUnsubscribe: "on_unsubscribe",
        f.CommitSubmit: "on_commit_submit",
        f.EnvelopeSend: "on_envelope_send",
        f.ReceiptSend: "on_receipt",
        f.Sync: "on_sync",
        f.CertsGet: "on_certs_get",
        f.Ping: "on_ping",
        f.TypingSend: "on_typing",
    }

    refusal_code = CloseCode.NO_SESSION

    def admitted(self) -> bool:
        user = self.scope.get("user")
        return (
            user is not None
            and user.is_authenticated
            and user.is_active
            and self.session_valid  # both factors, still on record
        )

    async def connect(self) -> None:
        self.interpreter_epochs: dict[str, set[int]] = {}
        # Until when an interpreter is admitted to each conversation it follows
        # (the staff side's time limit), as read at subscribe; and as this loop's time.
        self.interpreter_ends: dict[str, datetime] = {}
        self.interpreter_deadlines: dict[str, float] = {}
        self.interpreter_timers: list[asyncio.TimerHandle] = []
        self.nonce = suite1.random_bytes(f.NONCE_LEN)
        self.session_valid = await self.session_admit()  # a cookie alone is not enough
        await super().connect()

    async def greet(self) -> None:
        await self.send_frame(hello_frame(self.nonce))

    async def disconnect(self, code: int) -> None:
        for timer in getattr(self, "interpreter_timers", ()):
            timer.cancel()
        if self.party is not None and self.party.is_staff and getattr(self, "present", False):
            # First (the database only), before anything waits on Redis; once, even when
            # this cleanup runs again after being cut short. If the database is away, the
            # presence lease ends it (ops/routing/presence.py).
            self.present = False
            await self.presence("closed")
        await self.session_guard_leave()
        if self.party is not None and self.party.is_staff:
            for group in self.staff_groups():
                await self.group_leave(group)
        elif self.party is not None:
            await self.group_leave(interpreter_user_group(self.scope["user"].pk))
        await super().disconnect(code)

    def staff_groups(self) -> list[str]:
        return [STAFF_GROUP, staff_user_group(self.scope["user"].pk)]

    async def presence(self, event: str) -> None:
        """Presence hook (ops/README.md): this person's dashboard connected, is alive, or
        closed. Only staff devices count; interpreters are not routed to."""
        try:
            events = await db_call(hook_events)(
                "CHAT_STAFF_PRESENCE_HOOK",
                user_id=self.scope["user"].pk,
                event=event,
                now=timezone.now(),
            )
        except Exception as exc:  # noqa: BLE001 — the socket works without presence
            logger.error("presence hook failed: %s", type(exc).__name__)
            return
        await events_publish(events)

    async def on_device_auth(self, frame: f.DeviceAuth) -> None:
        await self.device_watch(frame.device_id)  # before the check: no revocation missed
        try:
            device = await db_call(device_authenticate)(
                user_id=self.scope["user"].pk,
                device_id=frame.device_id,
                nonce=self.nonce,
                signature=frame.signature,
                now=timezone.now(),
            )
        except Exception:
            await self.device_unwatch()
            raise
        await self.device_bound(str(device.pk))  # revoking it ends the session
        try:
            self.token_take(f"device:{device.pk}", frame.ref)
        except ProtocolError:
            await self.device_unwatch()
            raise
        kind = STAFF if device.role == Device.Role.STAFF else INTERPRETER
        self.authenticated(Party(kind=kind, id=str(device.pk)))
        if kind == STAFF:
            # Before `device.ready`: once a client has it, it counts as present. Before
            # joining the groups: its own arrival is no news to it.
            self.present = True
            await self.presence("connected")
            for group in self.staff_groups():
                await self.group_join(group)
            news_hub.started()  # this process's dashboard news (chat/news.py)
        else:
            # An interpreter's own group, where requests for their languages
            # are offered (`interpreter.*` staff events); never the staff's news.
            await self.group_join(interpreter_user_group(self.scope["user"].pk))
        team_keys = await db_call(selectors.team_keys_for_device)(device)
        await self.send_frame(
            f.DeviceReady(
                ref=frame.ref,
                device_id=str(device.pk),
                role=device.role,
                cert=device.certificate(),
                admin_pk=await db_call(admin_public_key)(),
                team_keys=[
                    f.TeamKeyForDevice(announcement=key.announcement(), wrap=team_wrap(wrap))
                    for key, wrap in team_keys
                ]
                if kind == STAFF
                else [],
            )
        )

    async def on_ping(self, frame: f.Ping) -> None:
        if self.party.is_staff:
            await self.presence("seen")
        await super().on_ping(frame)

    async def on_list(self, frame: f.ConversationList) -> None:
        if not self.party.is_staff:
            raise ProtocolError(ErrorCode.FORBIDDEN, "staff only", ref=frame.ref)
        rows = await db_call(selectors.conversations_recent)()
        await self.send_frame(
            f.ConversationListed(ref=frame.ref, conversations=[summary(c) for c in rows])
        )

    async def on_subscribe(self, frame: f.ConversationSubscribe) -> None:
        conversation = await db_call(self.readable_conversation)(frame.conversation_id)
        if conversation is None:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "not allowed on this conversation", ref=frame.ref
            )
        self.interpreter_deadline_set(frame.conversation_id)
        await self.follow(frame.conversation_id)
        await self.send_frame(
            f.ConversationState(
                ref=frame.ref,
                conversation_id=frame.conversation_id,
                state=conversation.state,
                language=conversation.language,
                visitor_kem_pk=bytes(conversation.visitor_kem_public_key),
                visitor_sig_pk=bytes(conversation.visitor_sig_public_key),
                current_epoch=epoch_or_none(conversation.current_epoch),
                last_order=conversation.last_order,
            )
        )
        await self.send_backlog(frame.conversation_id, frame.after, frame.ref)

    def readable_conversation(self, conversation_id: str):
        if not selectors.party_may_read(self.party, conversation_id):
            return None
        if self.party.is_interpreter:
            self.interpreter_epochs[conversation_id] = selectors.interpreter_epochs(
                conversation_id=conversation_id, device_id=self.party.id
            )
            until = interpreter_admitted_until(
                conversation_id=conversation_id, device_id=self.party.id, now=timezone.now()
            )
            if until is None:
                return None
            self.interpreter_ends[conversation_id] = until
        return selectors.conversation_get(conversation_id)

    # -- an interpreter's time limit, kept by the socket itself ------------------------

    def interpreter_deadline_set(self, conversation_id: str) -> None:
        """From subscribe on, the socket enforces the interpreter's time limit on every
        delivery, write and sync, and closes itself when it comes (4411): the periodic
        job that ends assignments may be late, or not running."""
        until = self.interpreter_ends.get(conversation_id)
        if until is None:
            return
        left = (until - timezone.now()).total_seconds()
        loop = asyncio.get_running_loop()
        self.interpreter_deadlines[conversation_id] = loop.time() + left
        # A limit more than a day away (none: no staff side) is checked by the frames.
        if left < 86400:
            self.interpreter_timers.append(
                loop.call_later(max(left, 0), lambda: self.later(self.interpreter_time_check()))
            )

    def interpreter_in_time(self, conversation_id: str) -> bool:
        deadline = self.interpreter_deadlines.get(conversation_id)
        return deadline is None or asyncio.get_running_loop().time() < deadline

    async def interpreter_time_check(self) -> bool:
        """Whether every conversation this interpreter follows is within its time limit;
        if one is not, their part has ended: the socket closes (4411)."""
        if not self.interpreter_deadlines or all(
            self.interpreter_in_time(cid) for cid in self.backlog_upto
        ):
            return True
        await self.interpreter_ended({})
        return False

    def conversation_check(self, conversation_id: str, ref: str | None) -> None:
        super().conversation_check(conversation_id, ref)
        if not self.interpreter_in_time(conversation_id):
            self.later(self.interpreter_ended({}))
            raise ProtocolError(ErrorCode.FORBIDDEN, "the interpreter's time is up", ref=ref)

    async def chat_item(self, event: dict) -> None:
        if await self.interpreter_time_check():
            await super().chat_item(event)

    async def chat_commit(self, event: dict) -> None:
        if await self.interpreter_time_check():
            await super().chat_commit(event)

    async def chat_receipt(self, event: dict) -> None:
        if await self.interpreter_time_check():
            await super().chat_receipt(event)

    async def on_unsubscribe(self, frame: f.ConversationUnsubscribe) -> None:
        await self.unfollow(frame.conversation_id)
        await self.send_frame(
            f.Ack(ref=frame.ref, conversation_id=frame.conversation_id, order=0, duplicate=False)
        )

    def epoch_visible(self, conversation_id: str, epoch: int) -> bool:
        if not self.party.is_interpreter:
            return True
        return epoch in self.interpreter_epochs.get(conversation_id, set())

    def commit_visible(self, commit: Commit, wrap: Wrap | None) -> bool:
        """An interpreter sees the commits that add it; a commit without it ends its view."""
        if not self.party.is_interpreter:
            return True
        epochs = self.interpreter_epochs.setdefault(commit.conversation_id, set())
        if wrap is None:
            return False
        epochs.add(commit.epoch)
        return True

    async def chat_activity(self, event: dict) -> None:
        await self.send(text_data=event["text"])

    async def conversation_deleted(self, event: dict) -> None:
        """A conversation this socket follows was deleted by its visitor or
        expired. Relayed, and the socket stops following it."""
        await self.unfollow(event["conversation_id"])
        await self.send_frame(
            f.ConversationDeleted(conversation_id=event["conversation_id"], reason=event["reason"])
        )

    async def interpreter_ended(self, event: dict) -> None:
        """Sent to the interpreter device's group (the one revocation uses)
        when they leave, are removed or their time runs out: the socket closes at once,
        whatever it was doing, and nothing more reaches it."""
        for conversation_id in list(self.backlog_upto):
            await self.unfollow(conversation_id)  # live items already queued are dropped
        await self.close_for(CloseCode.INTERPRETER_ENDED)

    async def staff_event(self, event: dict) -> None:
        """Routing, presence and shift news (ops/README.md), relayed as they are."""
        await self.send_frame(f.StaffEvent(event=event["event"], data=event["data"]))


def team_wrap(wrap) -> f.TeamWrap | None:
    """A device's team wrap, naming the KEM key it is sealed to (protocol.md §4.4)."""
    if wrap is None:
        return None
    return f.TeamWrap(kem_pk=bytes(wrap.kem_public_key), ct=bytes(wrap.ciphertext))


def admin_public_key() -> bytes:
    admin_key = selectors.admin_key_current()
    return bytes(admin_key.public_key) if admin_key else b""


def summary(conversation) -> f.ConversationSummary:
    return f.ConversationSummary(
        conversation_id=str(conversation.pk),
        state=conversation.state,
        language=conversation.language,
        created_at=int(conversation.created_at.timestamp()),
        last_activity_at=int(conversation.last_activity_at.timestamp()),
        last_order=conversation.last_order,
        current_epoch=epoch_or_none(conversation.current_epoch),
    )
