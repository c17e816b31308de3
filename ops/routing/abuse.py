"""Abuse, outside chat's hot path: a staff member blocks a conversation.

Blocking ends the conversation for good: it is closed (chat refuses every frame on a
closed conversation), its token hash is replaced by random bytes (the visitor's token,
or a pimp holding the visitor's phone, can no longer resume it: ``unauthorized``, like
any wrong token), its route is closed, and the visitor's open socket is told and closed
(``conversation.blocked``). What was written stays until expiry (closed conversations
expire after CHAT_CLOSED_EXPIRY_DAYS), so the team can still read it.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

import audit
from audit.models import Action
from chat.crypto import suite1
from chat.events import Event, conversation_group
from chat.models import Conversation
from chat.notices import notices_record
from chat.services.return_codes import return_code_revoke
from ops.errors import NotFound, NotRoutable, NotYours
from ops.models import Route, StaffProfile
from ops.push.services import conversation_unsubscribe
from ops.rota import selectors as rota
from ops.routing import events as staff_events
from ops.routing.services import profile_of

BLOCKED_EVENT = "conversation.blocked"


def may_block(profile: StaffProfile, route: Route, user: AbstractBaseUser, at: datetime) -> bool:
    """A coordinator may block any conversation; the person it is assigned to, theirs;
    staff on a shift open now, one waiting in the queue (a flood of bogus openings)."""
    if profile.is_coordinator:
        return True
    if route.state == Route.State.ASSIGNED:
        return route.assigned_to_id == user.pk
    if route.state == Route.State.WAITING:
        return user.pk in rota.staff_on_shift(at)
    return False


@transaction.atomic
def conversation_block(
    *, conversation_id: str, user: AbstractBaseUser, at: datetime
) -> list[Event]:
    """Block a conversation; the events to publish after commit. Blocking twice is
    harmless. Locks the conversation, then its route: chat's order."""
    profile = StaffProfile.objects.filter(user=user, is_interpreter=False).first()
    if profile is None and user.is_superuser:
        profile = StaffProfile(user=user, is_coordinator=True)
    if profile is None or not user.is_active:
        raise NotRoutable("this account blocks no conversations")
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    route = Route.objects.select_for_update().filter(pk=conversation_id).first()
    if conversation is None or route is None:
        raise NotFound("no such conversation")
    if not may_block(profile, route, user, at):
        raise NotYours("only its assignee, staff on shift (waiting ones) or a coordinator")
    # A random value in place of SHA-256(token): no token hashes to it, so the
    # visitor's token (and whoever holds the phone) opens nothing any more.
    conversation.token_hash = suite1.random_bytes(32)
    conversation.state = Conversation.State.CLOSED
    conversation.closed_at = conversation.closed_at or at
    conversation.save(update_fields=["token_hash", "state", "closed_at"])
    return_code_revoke(conversation_id=conversation_id)  # nor does the return code
    conversation_unsubscribe(conversation_id=conversation_id)  # nor a push
    previous = route.assigned_to_id if route.state == Route.State.ASSIGNED else None
    route.state, route.closed_at, route.handed_over = Route.State.CLOSED, at, False
    route.assigned_to_id, route.assigned_at = None, None
    route.save(update_fields=["state", "closed_at", "handed_over", "assigned_to", "assigned_at"])
    audit.record(user, Action.CONVERSATION_BLOCKED, target=conversation_id)
    blocked = (conversation_group(conversation_id), {"type": BLOCKED_EVENT})
    # Also as a notice: the visitor's socket closes even if Redis loses the fan-out.
    notices_record([blocked])
    events: list[Event] = [blocked, staff_events.queue_changed(route)]
    if previous is not None:
        events.append(staff_events.presence_changed(profile_of(previous), at=at))
    return events
