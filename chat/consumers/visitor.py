"""The visitor endpoint, /ws/visitor (docs/protocol.md §8.2)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from chat import open_challenge
from chat.consumers.base import ProtocolConsumer, epoch_or_none
from chat.db import db_call
from chat.events import VISITORS_GROUP, events_publish, visitor_group
from chat.hooks import hook
from chat.parties import visitor_party
from chat.protocol import frames as f
from chat.protocol.close_codes import CloseCode
from chat.protocol.errors import ErrorCode, ProtocolError
from chat.protocol.parse import visitor_parser
from chat.ratelimit import (
    TokenBucket,
    conversation_frame_admit,
    visitor_message_admit,
)
from chat.return_code_limits import return_code_admit
from chat.selectors import conversation_standing
from chat.services.conversations import conversation_open, conversation_resume, token_hash
from chat.services.deletion import Reason, conversation_delete
from chat.services.return_codes import return_code_find, return_code_revoke, return_code_set

logger = logging.getLogger(__name__)

CONVERSATION_WRITES = (
    f.EnvelopeSend,
    f.CommitSubmit,
    f.ReceiptSend,
    f.ConversationDelete,
    f.ReturnCodeSet,
    f.ReturnCodeRevoke,
)


class VisitorConsumer(ProtocolConsumer):
    """A visitor's socket: bound to one conversation by open or resume (token in a frame,
    never in the URL); sees only that conversation."""

    parser_factory = staticmethod(visitor_parser)
    endpoint = "visitor"
    auth_frames = (f.ConversationOpen, f.ConversationResume)
    anytime_frames = (f.ReturnCodeOpen,)
    handlers = {
        f.ConversationOpen: "on_open",
        f.ConversationResume: "on_resume",
        f.ConversationDelete: "on_delete",
        f.ReturnCodeSet: "on_return_code_set",
        f.ReturnCodeRevoke: "on_return_code_revoke",
        f.ReturnCodeOpen: "on_return_code_open",
        f.CommitSubmit: "on_commit_submit",
        f.EnvelopeSend: "on_envelope_send",
        f.ReceiptSend: "on_receipt",
        f.Sync: "on_sync",
        f.CertsGet: "on_certs_get",
        f.Ping: "on_ping",
        f.TypingSend: "on_typing",
    }

    # -- helpline status (ops/README.md: CHAT_STATUS_PROVIDER) -------------------------

    async def greet(self) -> None:
        # This socket's own allowance of return codes to try, against guessing (§10.4).
        self.return_code_bucket = TokenBucket(
            rate=settings.CHAT_RETURN_CODE_TRIES_PER_MINUTE / 60,
            burst=settings.CHAT_RETURN_CODE_TRIES_BURST,
        )
        await super().greet()
        # What a new conversation costs, solved while the visitor types.
        await self.send_frame(await open_challenge.challenge_issue(timezone.now()))
        # Joined before the status is read, so a change meanwhile is not missed.
        await self.group_join(VISITORS_GROUP)
        await self.status_send()

    async def disconnect(self, code: int) -> None:
        if self.auth_timer is not None:
            await self.group_leave(VISITORS_GROUP)
        await super().disconnect(code)

    async def status_send(self) -> None:
        """`helpline.status` right after `hello`: open or not, someone here or not, the
        next opening. Without a provider (no staff side) nothing is sent."""
        provider = hook("CHAT_STATUS_PROVIDER")
        if provider is None:
            return
        try:
            status = await db_call(provider)(now=timezone.now())
        except Exception as exc:  # noqa: BLE001 — the chat works without it
            logger.error("status provider failed: %s", type(exc).__name__)
            return
        await self.send_frame(status_frame(status))

    async def helpline_status(self, event: dict) -> None:
        """A status change, sent to VISITORS_GROUP by the staff side."""
        await self.send_frame(status_frame(event))

    # -- where the conversation stands (ops/README.md: CHAT_ROUTE_STATUS_PROVIDER) -------

    async def follow(self, conversation_id: str) -> None:
        """The conversation's group, and its visitor's own (`conversation.route`)."""
        if conversation_id not in self.backlog_upto:
            await self.group_join(visitor_group(conversation_id))
        await super().follow(conversation_id)

    async def unfollow(self, conversation_id: str) -> None:
        if conversation_id in self.backlog_upto:
            await self.group_leave(visitor_group(conversation_id))
        await super().unfollow(conversation_id)

    async def route_send(self, conversation_id: str) -> None:
        """`conversation.route` for a resumed conversation (changes come as events)."""
        provider = hook("CHAT_ROUTE_STATUS_PROVIDER")
        if provider is None:
            return
        try:
            status = await db_call(provider)(conversation_id=conversation_id)
        except Exception as exc:  # noqa: BLE001 — the chat works without it
            logger.error("route status provider failed: %s", type(exc).__name__)
            return
        if status is not None:
            await self.send_frame(route_frame(conversation_id, status))

    async def conversation_route(self, event: dict) -> None:
        """The routing moved this conversation, or the queue before it
        (ops/routing/visitor_route.py)."""
        await self.send_frame(route_frame(event["conversation_id"], event))

    async def conversation_blocked(self, event: dict) -> None:
        """Staff blocked this conversation (ops/routing/abuse.py): its token no longer opens
        it. Say so, then close for good (4403: clients do not reconnect)."""
        if self.closing:
            return
        await self.send_frame(
            f.Error(
                code=ErrorCode.CONVERSATION_CLOSED.value,
                message="the helpline ended this conversation",
            )
        )
        await self.close_for(CloseCode.REFUSED)

    async def dispatch_frame(self, frame: f.ClientFrame) -> None:
        """The limits sockets share (chat/ratelimit.py), so opening more sockets does not buy
        more: new conversations per minute, and frames written per conversation."""
        retry = None
        if isinstance(frame, f.ConversationOpen) and self.party is None:
            await self.open_pow_take(frame)
        elif isinstance(frame, CONVERSATION_WRITES) and self.party is not None:
            retry = conversation_frame_admit(self.party.conversation_id)
            if retry is None and isinstance(frame, f.EnvelopeSend):
                retry = visitor_message_admit(self.party.conversation_id)
        elif isinstance(frame, f.ReturnCodeOpen):
            retry = await self.return_code_try_admit()
        if retry is not None:
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                "too many frames; slow down",
                ref=frame.ref,
                retry_after_ms=retry,
            )
        await super().dispatch_frame(frame)

    async def open_pow_take(self, frame: f.ConversationOpen) -> None:
        """An open pays with a solved challenge, used once; refused, the
        client gets a fresh challenge, then `pow_required`."""
        try:
            await open_challenge.solution_take(frame.pow, ref=frame.ref)
        except ProtocolError:
            await self.send_frame(await open_challenge.challenge_issue(timezone.now()))
            raise

    async def on_delete(self, frame: f.ConversationDelete) -> None:
        """The visitor's "delete now": they delete their own conversation for
        everyone. Only the conversation this socket opened or resumed."""
        self.conversation_check(frame.conversation_id, frame.ref)
        events = await db_call(conversation_delete)(
            conversation_id=frame.conversation_id, now=timezone.now()
        )
        await self.send_frame(
            f.ConversationDeleted(
                ref=frame.ref, conversation_id=frame.conversation_id, reason=Reason.VISITOR
            )
        )
        self.conversation_gone = True
        await events_publish(events)  # staff, and this visitor's other tabs
        await self.close_for(CloseCode.CONVERSATION_GONE)

    # -- return codes (docs/protocol.md §10) -------------------------------------------

    async def return_code_try_admit(self) -> int | None:
        """This socket's bucket first, then one unit of every process's lookup budget,
        taken before the lookup (chat/return_code_limits.py)."""
        if not self.return_code_bucket.take():
            return self.return_code_bucket.retry_after_ms()
        return await return_code_admit()

    async def on_return_code_set(self, frame: f.ReturnCodeSet) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await db_call(return_code_set)(
            conversation_id=frame.conversation_id,
            lookup=frame.lookup,
            sealed=frame.sealed,
            now=timezone.now(),
        )
        await self.send_frame(
            f.ReturnCodeSaved(ref=frame.ref, conversation_id=frame.conversation_id)
        )

    async def on_return_code_revoke(self, frame: f.ReturnCodeRevoke) -> None:
        self.conversation_check(frame.conversation_id, frame.ref)
        await db_call(return_code_revoke)(conversation_id=frame.conversation_id)
        await self.send_frame(
            f.ReturnCodeRevoked(ref=frame.ref, conversation_id=frame.conversation_id)
        )

    async def on_return_code_open(self, frame: f.ReturnCodeOpen) -> None:
        """The sealed state for a code's lookup; a code that does not (or no longer)
        exists is refused `unauthorized` on the one path."""
        sealed = await db_call(return_code_find)(lookup=frame.lookup)
        await self.send_frame(f.ReturnCodeFound(ref=frame.ref, sealed=sealed))

    async def conversation_deleted(self, event: dict) -> None:
        """The conversation was deleted (another tab of the visitor) or expired:
        say so, then close for good."""
        if getattr(self, "conversation_gone", False):
            return  # this socket deleted it and said so already
        self.conversation_gone = True
        await self.send_frame(
            f.ConversationDeleted(conversation_id=event["conversation_id"], reason=event["reason"])
        )
        await self.close_for(CloseCode.CONVERSATION_GONE)

    def conversation_check(self, conversation_id: str, ref: str | None) -> None:
        if self.party is None or conversation_id != self.party.conversation_id:
            raise ProtocolError(ErrorCode.FORBIDDEN, "not your conversation", ref=ref)

    async def visitor_bound(self, conversation_id: str, token: bytes, ref: str | None) -> None:
        """The token opened ``conversation_id``: this socket is its visitor's, one of at
        most CHAT_SOCKETS_PER_TOKEN, and re-checks the token on its frames."""
        self.token_take(f"conversation:{conversation_id}", ref)
        self.token_hash = token_hash(token)
        self.authenticated(visitor_party(conversation_id))
        await self.follow(conversation_id)

    async def party_recheck(self) -> bool:
        """The token still opens the conversation, asked of the database: a block or a
        deletion whose fan-out was lost (Redis down) closes the socket at its next frame."""
        standing = await db_call(conversation_standing)(
            conversation_id=self.party.conversation_id, token_hash=self.token_hash
        )
        if standing == "open":
            return True
        if standing == "blocked":
            await self.conversation_blocked({})
        else:
            await self.close_for(CloseCode.CONVERSATION_GONE)
        return False

    async def on_open(self, frame: f.ConversationOpen) -> None:
        opened = await db_call(conversation_open)(
            suite=frame.suite,
            language=frame.language,
            campaign=frame.campaign,
            visitor_kem_pk=frame.visitor_kem_pk,
            visitor_sig_pk=frame.visitor_sig_pk,
            now=timezone.now(),
        )
        conversation_id = str(opened.conversation.pk)
        await self.visitor_bound(conversation_id, opened.token, frame.ref)
        await self.send_frame(
            f.ConversationOpened(
                ref=frame.ref,
                conversation_id=conversation_id,
                token=opened.token,
                admin_pk=bytes(opened.admin_key.public_key),
                team_key=opened.team_key.announcement(),
                expires_after_days=settings.CHAT_IDLE_EXPIRY_DAYS,
            )
        )
        await events_publish(opened.events)  # routing: the conversation joined the queue

    async def on_resume(self, frame: f.ConversationResume) -> None:
        conversation, admin_key, team_key = await db_call(conversation_resume)(
            token=frame.token, now=timezone.now()
        )
        conversation_id = str(conversation.pk)
        await self.visitor_bound(conversation_id, frame.token, frame.ref)
        await self.send_frame(
            f.ConversationResumed(
                ref=frame.ref,
                conversation_id=conversation_id,
                state=conversation.state,
                current_epoch=epoch_or_none(conversation.current_epoch),
                last_order=conversation.last_order,
                admin_pk=bytes(admin_key.public_key),
                team_key=team_key.announcement(),
                expires_after_days=settings.CHAT_IDLE_EXPIRY_DAYS,
            )
        )
        await self.send_backlog(conversation_id, frame.after, frame.ref)
        await self.route_send(conversation_id)


def route_frame(conversation_id: str, status: dict) -> f.ConversationRoute:
    return f.ConversationRoute(
        conversation_id=conversation_id, state=status["state"], ahead=status["ahead"]
    )


def status_frame(status: dict) -> f.HelplineStatus:
    return f.HelplineStatus(
        open=bool(status["open"]),
        someone_here=bool(status["someone_here"]),
        next_opening=status["next_opening"],
    )
