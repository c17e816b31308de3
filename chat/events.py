"""Live fan-out through the channel layer. Group names come only from here.

Events are published by consumers after the service call has returned, i.e. after the
transaction committed and the sender was acknowledged; sync code (the staff API, the
periodic jobs) publishes with ``events_publish_on_commit``. Fan-out is best effort: a
lost event is recovered by the client's sync from PostgreSQL (docs/protocol.md §7), and
the dashboard by reloading its state (ops/README.md).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import uuid

import msgspec
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from chat.protocol.frames import ConversationActivity, EnvelopeDelivered, Receipt, Typing
from chat.protocol.parse import frame_encode
from chat.results import CommitAccepted, EnvelopeAccepted

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff.activity"
# Every visitor socket, authenticated or not: `helpline.status` goes to all of them.
VISITORS_GROUP = "visitors"
Event = tuple[str, dict]
PUBLISH_FROM_THREAD_TIMEOUT_SECONDS = 10

# The event loop that serves the sockets of this process, when `manage.py serve` runs
# the periodic jobs in a thread beside it (the embedded default): the in-memory channel
# layer's queues belong to that loop, so a job's events must be published on it.
_server_loop: asyncio.AbstractEventLoop | None = None


@functools.lru_cache(maxsize=65536)
def conversation_group(conversation_id: str) -> str:
    # Cached: parsing the UUID was 3 % of a worker's on-CPU samples (bench --profile).
    return f"conv.{uuid.UUID(conversation_id).hex}"


def visitor_group(conversation_id: str) -> str:
    """The visitor's sockets of one conversation (their tabs), without the staff's:
    what only the visitor is told (`conversation.route`)."""
    return f"visitor.{uuid.UUID(conversation_id).hex}"


def staff_user_group(user_id: int) -> str:
    """Every staff socket of one person (their tabs and devices)."""
    return f"staff.user.{int(user_id)}"


def interpreter_user_group(user_id: int) -> str:
    """Every interpreter socket of one person: requests offered to them, never
    the staff's routing news (interpreter sockets are not in `staff_user_group`)."""
    return f"interpreter.user.{int(user_id)}"


# -- closing staff sockets at once (chat/consumers/staff_session.py) -------------------


def staff_device_group(device_id: str) -> str:
    """Every staff socket authenticated as one device: told `device.revoked`."""
    return f"staff.device.{uuid.UUID(str(device_id)).hex}"


def staff_session_group(session_key: str) -> str:
    """Every staff socket riding on one Django session: told `session.ended`. Named by a
    hash, so the session key itself never reaches Redis."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"staff.session.{digest}"


def envelope_event(envelope, accepted: EnvelopeAccepted, origin: str) -> Event:
    frame = EnvelopeDelivered(
        conversation_id=envelope.conversation_id,
        order=accepted.order,
        received_at=accepted.received_at,
        envelope=envelope,
    )
    return conversation_group(envelope.conversation_id), {
        "type": "chat.item",
        "conversation_id": envelope.conversation_id,
        "order": accepted.order,
        "epoch": envelope.epoch,
        "origin": origin,
        "text": frame_encode(frame),
    }


def typing_event(envelope, origin: str) -> Event:
    """Someone types (docs/protocol.md §6.5): relayed to the conversation, never stored."""
    frame = Typing(conversation_id=envelope.conversation_id, envelope=envelope)
    return conversation_group(envelope.conversation_id), {
        "type": "chat.typing",
        "conversation_id": envelope.conversation_id,
        "epoch": envelope.epoch,
        "origin": origin,
        "text": frame_encode(frame),
    }


def commit_event(conversation_id: str, accepted: CommitAccepted) -> Event:
    return conversation_group(conversation_id), {
        "type": "chat.commit",
        "conversation_id": conversation_id,
        "order": accepted.order,
        "epoch": accepted.commit.epoch,
        "commit": msgspec.json.encode(accepted.commit),
        "signature": accepted.signature,
        "wraps": [msgspec.json.encode(wrap) for wrap in accepted.wraps],
    }


def receipt_event(conversation_id: str, kind: str, order: int, by: str) -> Event:
    frame = Receipt(conversation_id=conversation_id, kind=kind, order=order, by=by)
    return conversation_group(conversation_id), {
        "type": "chat.receipt",
        "text": frame_encode(frame),
    }


def activity_event(conversation_id: str, last_order: int, event: str) -> Event:
    frame = ConversationActivity(
        conversation_id=conversation_id, last_order=last_order, event=event
    )
    return STAFF_GROUP, {
        "type": "chat.activity",
        "conversation_id": conversation_id,
        "event": event,
        "text": frame_encode(frame),
    }


async def events_publish(events: list[Event]) -> None:
    layer = get_channel_layer()
    for group, message in events:
        try:
            await layer.group_send(group, message)
        except Exception as exc:  # noqa: BLE001 — the database has it; clients will sync
            logger.warning(
                "fan-out to a group failed (%s); clients catch up by sync", type(exc).__name__
            )


def server_loop_set(loop: asyncio.AbstractEventLoop | None) -> None:
    global _server_loop
    _server_loop = loop


def events_publish_sync(events: list[Event]) -> None:
    """Publish from sync code: on the server's loop when this process has one running
    in another thread (jobs beside Daphne), else through ``async_to_sync`` (a view run by
    Daphne's thread pool, the worker process, tests)."""
    if not events:
        return
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            raise RuntimeError(
                "events_publish_sync called on the server's loop; await events_publish"
            )
        future = asyncio.run_coroutine_threadsafe(events_publish(events), loop)
        future.result(timeout=PUBLISH_FROM_THREAD_TIMEOUT_SECONDS)
        return
    async_to_sync(events_publish)(events)


def events_publish_on_commit(events: list[Event]) -> None:
    """Publish once the current transaction commits (at once outside one); never for a
    transaction that rolls back."""
    if events:
        transaction.on_commit(functools.partial(events_publish_sync, list(events)))


def layer_redis_url() -> str | None:
    """The Redis the channel layer uses (config/settings.py: a host as a dict with its
    ``address``, or as a URL), or None on the embedded default's in-memory layer."""
    layer = settings.CHANNEL_LAYERS["default"]
    if "redis" not in layer["BACKEND"]:
        return None
    host = layer["CONFIG"]["hosts"][0]
    return host["address"] if isinstance(host, dict) else host
