"""Live fan-out through the channel layer. Group names come only from here.

Events are published by consumers after the service call has returned, i.e. after the
transaction committed and the sender was acknowledged. Fan-out is best effort: a lost
event is recovered by the client's sync from PostgreSQL (docs/protocol.md §7).
"""

from __future__ import annotations

import logging
import uuid

import msgspec
from channels.layers import get_channel_layer

from chat.protocol.frames import ConversationActivity, EnvelopeDelivered, Receipt
from chat.protocol.parse import frame_encode
from chat.services.commits import CommitAccepted
from chat.services.envelopes import EnvelopeAccepted

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff.activity"
Event = tuple[str, dict]


def conversation_group(conversation_id: str) -> str:
    return f"conv.{uuid.UUID(conversation_id).hex}"


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
    return STAFF_GROUP, {"type": "chat.activity", "text": frame_encode(frame)}


async def events_publish(events: list[Event]) -> None:
    layer = get_channel_layer()
    for group, message in events:
        try:
            await layer.group_send(group, message)
        except Exception as exc:  # noqa: BLE001 — the database has it; clients will sync
            logger.warning(
                "fan-out to a group failed (%s); clients catch up by sync", type(exc).__name__
            )
