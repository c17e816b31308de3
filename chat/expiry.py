"""Automatic expiry (DESIGN §6.5): conversations disappear on their own.

Deleting a conversation cascades to its commits, wraps, envelopes and participants; its
token hash goes with the row. Safe with several workers: each batch claims rows with
``SELECT … FOR UPDATE SKIP LOCKED`` so two workers never delete the same batch twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.models import Conversation

logger = logging.getLogger(__name__)

BATCH = 500


def expired_conversations(now: datetime) -> Q:
    idle_limit = now - timedelta(days=settings.CHAT_IDLE_EXPIRY_DAYS)
    closed_limit = now - timedelta(days=settings.CHAT_CLOSED_EXPIRY_DAYS)
    return Q(state=Conversation.State.OPEN, last_activity_at__lt=idle_limit) | Q(
        state=Conversation.State.CLOSED, closed_at__lt=closed_limit
    )


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
            Conversation.objects.filter(pk__in=ids).delete()
        deleted += len(ids)


def expiry_job() -> None:
    deleted = conversations_expire(now=timezone.now())
    if deleted:
        logger.info("expired %d conversations", deleted)
