"""The per-conversation order counter (docs/protocol.md §7)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from chat.errors import ConversationClosed
from chat.models import Conversation


def order_take_sql(condition: str = "") -> str:
    """The statement that takes a conversation's next order: parameters are the time,
    the conversation id, the open state, then those of ``condition`` (``AND …``)."""
    table = connection.ops.quote_name(Conversation._meta.db_table)
    return (
        f"UPDATE {table} SET last_order = last_order + 1, last_activity_at = %s "  # noqa: S608
        f"WHERE id = %s AND state = %s{condition} RETURNING last_order, current_epoch"
    )


def order_next(*, conversation_id: str, now: datetime) -> tuple[int, int]:
    """Take the next order of an open conversation; return (order, current_epoch).

    One conditional ``UPDATE … RETURNING``: it locks the row until the caller's
    transaction ends, so orders are gapless and concurrent senders serialise on the
    database, whichever worker they reach. Must run inside ``transaction.atomic``.
    """
    pk = Conversation._meta.pk
    field_time = Conversation._meta.get_field("last_activity_at")
    params = [
        field_time.get_db_prep_value(now, connection),
        pk.get_db_prep_value(conversation_id, connection),
        Conversation.State.OPEN,
    ]
    with connection.cursor() as cursor:
        cursor.execute(order_take_sql(), params)
        row = cursor.fetchone()
    if row is None:
        raise ConversationClosed("the conversation is closed or gone")
    return int(row[0]), int(row[1])
