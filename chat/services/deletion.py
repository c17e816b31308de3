"""Deleting conversations: at once when the visitor asks, or when they expire
(DESIGN §6.5, chat/expiry.py).

Deleting a conversation row cascades to its commits, wraps, envelopes, participants,
return code and whatever the staff side keeps about it (route, sealed notes,
outcome); its token hash goes with the row. Before that, in the same transaction, the
staff side adds it to the anonymous daily counts (CHAT_CONVERSATIONS_DELETING_HOOK);
after it, the audit log gets a count and a reason, never an id
(CHAT_CONVERSATIONS_DELETED_HOOK). Every socket that follows the conversation is told
`conversation.deleted` once the transaction committed.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from chat.events import Event, conversation_group
from chat.hooks import hook, hook_events
from chat.models import Conversation

DELETED_EVENT = "conversation.deleted"


class Reason:
    VISITOR = "visitor"
    EXPIRY = "expiry"


def conversations_delete_locked(
    *, ids: list, reason: str, now: datetime, counted: bool = True
) -> list[Event]:
    """Delete conversations whose rows the caller has locked in its transaction; return
    the events to publish after commit. ``counted=False``: conversations whose visitor
    never wrote, which the counts and staff never saw (an open flood leaves nothing behind)."""
    if not ids:
        return []
    events = (
        hook_events(
            "CHAT_CONVERSATIONS_DELETING_HOOK", conversation_ids=ids, reason=reason, now=now
        )
        if counted
        else []
    )
    Conversation.objects.filter(pk__in=ids).delete()
    deleted_hook = hook("CHAT_CONVERSATIONS_DELETED_HOOK")
    if deleted_hook is not None:  # the audit log: a count and why, no ids
        deleted_hook(count=len(ids), reason=reason)
    for conversation_id in ids:
        events.append(
            (
                conversation_group(str(conversation_id)),
                {"type": DELETED_EVENT, "conversation_id": str(conversation_id), "reason": reason},
            )
        )
    return events


@transaction.atomic
def conversation_delete(*, conversation_id: str, now: datetime) -> list[Event]:
    """The visitor deletes their conversation for everyone, at once. Deleting one that
    is already gone (a second tap, expiry a moment before) is harmless: nothing to do.
    The caller has checked the visitor is bound to this conversation."""
    ids = list(
        Conversation.objects.select_for_update()
        .filter(pk=conversation_id)
        .values_list("pk", flat=True)
    )
    return conversations_delete_locked(ids=ids, reason=Reason.VISITOR, now=now)
