"""Automatic expiry (DESIGN §6.5): conversations disappear on their own.

Idle conversations go CHAT_IDLE_EXPIRY_DAYS after their last activity; closed ones
CHAT_CLOSED_EXPIRY_DAYS after they were closed: blocked (state closed), or closed by
staff (``closed_at`` set, the state still open so the visitor may write again) with no
message since — a message after closing puts it back under the idle limit. Deleting goes through
chat/services/deletion.py: the anonymous counts first, then the conversation with
everything it holds (commits, wraps, envelopes, participants, token hash, the staff
side's route, notes and outcome), then the audit count; the sockets that follow it are
told after commit.

Safe with several workers and idempotent: each batch claims its rows with
``SELECT … FOR UPDATE SKIP LOCKED`` inside the transaction that counts and deletes them,
so two workers never count or delete the same conversation, and a second run finds
nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from chat.events import events_publish_on_commit
from chat.models import Commit, Conversation, Envelope, Participant, Wrap
from chat.services.deletion import Reason, conversations_delete_locked

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass(frozen=True)
class ExpiryPolicy:
    idle_days: int
    closed_days: int


def expiry_policy() -> ExpiryPolicy:
    """What staff and visitors are told: "this conversation disappears after …"."""
    return ExpiryPolicy(
        idle_days=settings.CHAT_IDLE_EXPIRY_DAYS, closed_days=settings.CHAT_CLOSED_EXPIRY_DAYS
    )


def expired_conversations(now: datetime) -> Q:
    """Strictly past the limit: a conversation idle for exactly the limit stays."""
    idle_limit = now - timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS)
    closed_limit = now - timedelta(days=settings.CHAT_CLOSED_EXPIRY_DAYS)
    return Q(state=Conversation.State.OPEN, last_activity_at__lt=idle_limit) | (
        Q(closed_at__lt=closed_limit) & closed_conversations()
    )


def closed_conversations() -> Q:
    """Blocked, or closed by staff with no message since."""
    return Q(state=Conversation.State.CLOSED) | Q(last_activity_at__lte=F("closed_at"))


def conversations_expire(*, now: datetime, batch: int = BATCH) -> int:
    """Delete every expired conversation; return how many."""
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(expired_conversations(now))
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return deleted
            events = conversations_delete_locked(ids=ids, reason=Reason.EXPIRY, now=now)
            events_publish_on_commit(events)
        deleted += len(ids)


def expiry_preview(*, now: datetime) -> dict[str, int]:
    """What `conversations_expire(now=now)` would delete, row counts by table; deletes
    nothing and counts nothing (`manage.py chat_expire --dry-run`)."""
    expired = Conversation.objects.filter(expired_conversations(now))
    closed = expired.filter(closed_conversations()).count()
    total = expired.count()
    return {
        "conversations": total,
        "idle": total - closed,
        "closed": closed,
        "commits": Commit.objects.filter(conversation__in=expired).count(),
        "wraps": Wrap.objects.filter(commit__conversation__in=expired).count(),
        "envelopes": Envelope.objects.filter(conversation__in=expired).count(),
        "participants": Participant.objects.filter(conversation__in=expired).count(),
    }


def empty_conversations() -> Q:
    """Conversations whose visitor has not written (no envelope of theirs)."""
    return ~Exists(Envelope.objects.filter(conversation=OuterRef("pk"), sender="visitor"))


def empty_conversations_delete(*, now: datetime, batch: int = BATCH) -> int:
    """A conversation opened CHAT_EMPTY_CONVERSATION_MINUTES ago whose visitor
    never wrote is deleted. It never reached the queue, the counts or staff (the route is
    made by the first message, ops/routing/services.py), so it is not counted either: an open
    flood leaves nothing behind. Its sockets are told (`expiry`): the widget starts a
    fresh one without a word."""
    limit = now - timedelta(minutes=settings.CHAT_EMPTY_CONVERSATION_MINUTES)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(empty_conversations(), created_at__lt=limit)
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return deleted
            events = conversations_delete_locked(
                ids=ids, reason=Reason.EXPIRY, now=now, counted=False
            )
            events_publish_on_commit(events)
        deleted += len(ids)


def expiry_job() -> None:
    now = timezone.now()
    deleted = conversations_expire(now=now)
    if deleted:
        logger.info("expired %d conversations", deleted)
    empty = empty_conversations_delete(now=now)
    if empty:
        logger.info("deleted %d conversations whose visitor never wrote", empty)
