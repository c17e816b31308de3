"""Web Push writes: subscribing, unsubscribing, and queueing pushes (ops/push/).

Pushes are queued as PushOutbox rows in the caller's transaction — the one that put a
conversation in the queue or stored a message — so a rolled-back transaction sends
nothing; the job in ``sending`` sends them off the request path.

Who is told:

- **a conversation enters the queue** (new, reopened, handed back at a shift's end):
  every subscribed device of every staff member on a shift open now, or on call;
  with auto-assign, only the person it went to, if no dashboard of theirs is connected;
- **a visitor writes in a conversation assigned to someone**: that person's subscribed
  devices, if no dashboard of theirs is connected and they are on shift or on call;
- **the team writes a text message**: the visitor's subscribed phones, unless visitor
  push is off (PUSH_VISITORS).

Nobody off shift is told unless on call (``StaffProfile.on_call_until``).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from chat.models import Conversation, Device
from chat.services.conversations import token_hash
from ops.auth.models import StaffSession
from ops.devices import selectors
from ops.errors import NotFound, OpsError
from ops.models import StaffProfile
from ops.push.models import PushOutbox, StaffPushSubscription, VisitorPushSubscription
from ops.rota import selectors as rota

# One phone, one browser profile: a handful of subscriptions per conversation is plenty,
# and bounds what an anonymous client can make us store and send (DESIGN §2.7).
VISITOR_SUBSCRIPTIONS_MAX = 3
STAFF_SUBSCRIPTIONS_MAX = 10


class PushRefused(OpsError):
    """This subscription is not accepted (push off, an endpoint we do not post to...)."""


def push_enabled() -> bool:
    return bool(settings.PUSH_VAPID_PRIVATE_KEY)


def endpoint_allowed(endpoint: str) -> bool:
    """Only push services' own HTTPS endpoints: the server POSTs to this URL, so an
    arbitrary one would let anyone make it reach hosts of their choosing (SSRF).
    ``PUSH_SERVICE_HOSTS`` lists the push services' domains (a host matches a domain or
    is below it). ``PUSH_ALLOW_LOOPBACK`` (tests only) also lets plain HTTP to a loopback
    address through, for the test push service."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — raises on a malformed port
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    if settings.PUSH_ALLOW_LOOPBACK and parts.scheme == "http":
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    if parts.scheme != "https":
        return False
    return any(
        host == domain or host.endswith("." + domain) for domain in settings.PUSH_SERVICE_HOSTS
    )


def subscription_check(*, endpoint: str, p256dh: bytes, auth: bytes) -> None:
    if not push_enabled():
        raise PushRefused("push is off: no VAPID key")
    if not endpoint_allowed(endpoint):
        raise PushRefused("this endpoint is not a push service we post to")
    if len(p256dh) != 65 or p256dh[0] != 4 or len(auth) != 16:
        raise PushRefused("the subscription's keys are not a P-256 point and a 16-byte secret")


# -- staff ------------------------------------------------------------------------------------


@transaction.atomic
def staff_subscribe(
    *,
    user_id: int,
    session_key: str | None,
    device_id: str,
    endpoint: str,
    p256dh: bytes,
    auth: bytes,
    now: datetime,
) -> StaffPushSubscription:
    """This browser (its session, its certified staff device) asks to be told. The same
    endpoint again moves to this session and device (the browser signed in again)."""
    subscription_check(endpoint=endpoint, p256dh=p256dh, auth=auth)
    session = StaffSession.objects.filter(session_key=session_key or "", user_id=user_id).first()
    device = Device.objects.filter(
        pk=device_id,
        user_id=user_id,
        role=Device.Role.STAFF,
        state=Device.State.CERTIFIED,
        cert_not_after__gt=now,
    ).first()
    if session is None or device is None:
        raise PushRefused("a signed-in session and a certified staff device of yours only")
    StaffPushSubscription.objects.filter(endpoint=endpoint).delete()
    if StaffPushSubscription.objects.filter(user_id=user_id).count() >= STAFF_SUBSCRIPTIONS_MAX:
        raise PushRefused("too many devices subscribed: turn one off first")
    return StaffPushSubscription.objects.create(
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        user_id=user_id,
        device=device,
        session=session,
        created_at=now,
    )


def staff_unsubscribe(*, user_id: int, endpoint: str) -> int:
    """One click off: this browser is told no more. Returns how many went (0 or 1)."""
    deleted, _ = StaffPushSubscription.objects.filter(user_id=user_id, endpoint=endpoint).delete()
    return 1 if deleted else 0


def staff_device_unsubscribe(*, device_id: str) -> None:
    """A revoked device is told nothing more, from this transaction on."""
    StaffPushSubscription.objects.filter(device_id=device_id).delete()


def staff_subscribed(*, user_id: int, endpoint: str) -> bool:
    return StaffPushSubscription.objects.filter(user_id=user_id, endpoint=endpoint).exists()


# -- visitors ---------------------------------------------------------------------------------


@transaction.atomic
def visitor_subscribe(
    *, token: bytes, endpoint: str, p256dh: bytes, auth: bytes, now: datetime
) -> VisitorPushSubscription:
    """The visitor ticked "tell me on this phone when the team answers". ``token`` is the
    conversation's visitor token, as on the socket: a blocked conversation's no longer
    matches, a deleted one's is gone."""
    if not settings.PUSH_VISITORS:
        raise PushRefused("visitor push is off on this helpline")
    subscription_check(endpoint=endpoint, p256dh=p256dh, auth=auth)
    conversation = (
        Conversation.objects.select_for_update()
        .filter(token_hash=token_hash(token), state=Conversation.State.OPEN)
        .first()
    )
    if conversation is None:
        raise NotFound("no such conversation")
    VisitorPushSubscription.objects.filter(endpoint=endpoint).delete()
    if conversation.push_subscriptions.count() >= VISITOR_SUBSCRIPTIONS_MAX:
        raise PushRefused("too many phones subscribed to this conversation")
    return VisitorPushSubscription.objects.create(
        endpoint=endpoint, p256dh=p256dh, auth=auth, conversation=conversation, created_at=now
    )


def visitor_unsubscribe(*, token: bytes, endpoint: str | None = None) -> int:
    """The visitor unticked (``endpoint``: this phone), or left with quick exit (no
    endpoint: every phone of the conversation). Returns how many went."""
    subscriptions = VisitorPushSubscription.objects.filter(
        conversation__token_hash=token_hash(token)
    )
    if endpoint is not None:
        subscriptions = subscriptions.filter(endpoint=endpoint)
    deleted, _ = subscriptions.delete()
    return deleted


def conversation_unsubscribe(*, conversation_id: str) -> None:
    """Blocking keeps the conversation (for the team) but the visitor is told nothing
    more: their subscriptions go in the blocking transaction."""
    VisitorPushSubscription.objects.filter(conversation_id=conversation_id).delete()


# -- queueing pushes (in the caller's transaction) --------------------------------------------


def outbox_add(kind: str, *, staff: list[int] = (), visitor: list[int] = (), at: datetime) -> int:
    rows = [
        PushOutbox(kind=kind, staff_subscription_id=pk, due_at=at, created_at=at) for pk in staff
    ] + [
        PushOutbox(kind=kind, visitor_subscription_id=pk, due_at=at, created_at=at)
        for pk in visitor
    ]
    PushOutbox.objects.bulk_create(rows)
    return len(rows)


def staff_on_call(at: datetime) -> set[int]:
    return set(
        StaffProfile.objects.filter(
            is_interpreter=False, user__is_active=True, on_call_until__gt=at
        ).values_list("user_id", flat=True)
    )


def subscriptions_of(user_ids: set[int], *, at: datetime) -> list[int]:
    """Subscriptions of these people whose device is still a certified staff device."""
    if not user_ids:
        return []
    return list(
        StaffPushSubscription.objects.filter(
            user_id__in=user_ids,
            user__is_active=True,
            device__state=Device.State.CERTIFIED,
            device__cert_not_after__gt=at,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def dashboard_connected(user_id: int, at: datetime) -> bool:
    """Is a dashboard of theirs connected now (ops/routing/presence.py's count)?"""
    profile = StaffProfile.objects.filter(user_id=user_id).first()
    if profile is None or profile.last_seen_at is None:
        return False
    return profile.open_sockets > 0 and at - profile.last_seen_at < selectors.PRESENCE_SOCKET_STALE


def conversation_queued(*, at: datetime) -> int:
    """A conversation entered the queue: everyone on shift or on call is told."""
    if not push_enabled():
        return 0
    people = rota.staff_on_shift(at) | staff_on_call(at)
    return outbox_add(PushOutbox.Kind.CONVERSATION, staff=subscriptions_of(people, at=at), at=at)


def staff_member_told(*, user_id: int, kind: str, at: datetime) -> int:
    """Something for one person (a conversation given to them, a visitor's message in
    theirs): only when no dashboard of theirs is open, and only on shift or on call."""
    if not push_enabled() or dashboard_connected(user_id, at):
        return 0
    if user_id not in rota.staff_on_shift(at) and user_id not in staff_on_call(at):
        return 0
    return outbox_add(kind, staff=subscriptions_of({user_id}, at=at), at=at)


def team_wrote(*, conversation_id: str, content_type: str, now: datetime) -> list:
    """Chat's hook (CHAT_TEAM_WROTE_HOOK): staff or an interpreter stored an envelope.
    A text message tells the visitor's subscribed phones ("You have a reply")."""
    if content_type != "text" or not settings.PUSH_VISITORS or not push_enabled():
        return []
    visitor = list(
        VisitorPushSubscription.objects.filter(conversation_id=conversation_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    outbox_add(PushOutbox.Kind.REPLY, visitor=visitor, at=now)
    return []
