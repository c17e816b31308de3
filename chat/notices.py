"""Security decisions that reach open sockets without Redis.

Revoking a device, ending a session (sign-out, "sign out everywhere"), an interpreter
leaving or being removed, blocking a conversation: each is told to the sockets it
concerns through a channel layer group, which closes them at once. When Redis is down
that fan-out is lost, and a socket revoked during the outage went on syncing, sending
(acknowledged) and subscribing after Redis came back. So each decision is also written
here, in the transaction that makes it (``notices_publish_on_commit``), and every `serve`
process reads the new rows every CHAT_NOTICES_POLL_SECONDS (``notices_follow``) and
hands each to its own sockets in the group (chat/sockets.py), as the channel layer
would have. Handlers are idempotent: a socket told twice closes once.

Sockets also re-check their party in the database on their frames
(chat/consumers/base.py, CHAT_PARTY_RECHECK_SECONDS); the notices cover the socket that
only listens.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from channels.consumer import get_handler_name
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat.db import db_call
from chat.events import Event, events_publish_on_commit
from chat.models import Notice
from chat.sockets import local_sockets

logger = logging.getLogger(__name__)

NOTICE_KEEP = timedelta(hours=1)
NOTICES_PAGE = 500

# The task reading notices in this process (`manage.py serve` starts it).
_follower: asyncio.Task | None = None


def notices_record(events: list[Event]) -> None:
    """Store these events as notices, in the caller's transaction: they reach the
    sockets of every process even if their fan-out is lost. The caller publishes them."""
    now = timezone.now()
    with transaction.atomic():
        Notice.objects.bulk_create(
            Notice(group=group, message=message, created_at=now) for group, message in events
        )


def notices_publish_on_commit(events: list[Event]) -> None:
    """``notices_record``, then publish them once the transaction commits."""
    if events:
        notices_record(events)
        events_publish_on_commit(events)


def notices_last() -> int:
    return Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def notices_after(last: int) -> list[tuple[int, str, dict]]:
    return list(
        Notice.objects.filter(pk__gt=last)
        .order_by("pk")
        .values_list("pk", "group", "message")[:NOTICES_PAGE]
    )


async def notice_deliver(group: str, message: dict) -> int:
    """Hand a notice to this process's sockets in ``group``; how many had a handler."""
    delivered = 0
    for consumer in local_sockets.members(group):
        handler = getattr(consumer, get_handler_name(message), None)
        if handler is None:
            continue
        try:
            await handler(message)
        except Exception as exc:  # noqa: BLE001 — one socket must not stop the others
            logger.warning("notice not applied to a socket (%s)", type(exc).__name__)
            continue
        delivered += 1
    return delivered


async def notices_follow(last: int | None) -> None:
    """Forever: the notices written after ``last`` (None: after the newest one when it
    first looks), to this process's sockets."""
    while True:
        try:
            if last is None:
                last = await db_call(notices_last)()
            else:
                for pk, group, message in await db_call(notices_after)(last):
                    last = pk
                    await notice_deliver(group, message)
        except Exception as exc:  # noqa: BLE001 — the database may be away; try again
            logger.warning("notices not read (%s); trying again", type(exc).__name__)
        await asyncio.sleep(settings.CHAT_NOTICES_POLL_SECONDS)


def notices_follow_start() -> None:
    """Start ``notices_follow`` on this thread's event loop (the one that will serve the
    sockets), before it serves any: no notice written from then on is missed."""
    global _follower
    if _follower is not None and not _follower.done():
        return
    try:
        last = notices_last()
    except Exception as exc:  # noqa: BLE001 — the follower reads it once it can
        logger.warning("notices not read at start (%s)", type(exc).__name__)
        last = None
    finally:
        connection.close()  # this thread serves no database calls (chat/db.py does)
    _follower = asyncio.ensure_future(notices_follow(last))


def notices_expire(*, now: datetime) -> int:
    deleted, _ = Notice.objects.filter(created_at__lt=now - NOTICE_KEEP).delete()
    return deleted


def notices_expire_job() -> None:
    notices_expire(now=timezone.now())
