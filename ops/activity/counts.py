"""Adding a conversation to the anonymous counts before it is deleted.

``conversations_deleting`` is chat's CHAT_CONVERSATIONS_DELETING_HOOK: chat calls it in
the transaction that deletes the conversations, after locking them, so a conversation is
counted exactly once however many workers expire at the same time, and never counted
when its deletion rolls back.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from chat.events import STAFF_GROUP, Event
from chat.models import Conversation, Envelope
from ops.activity.models import ActivityDay, ActivityTopic, ConversationOutcome, Outcome, Topic
from ops.routing.events import staff_event
from ops.routing.services import language_primary

VISITOR = "visitor"
TEXT = "text"
RESPONSE_BUCKETS = (
    (timedelta(minutes=15), "answered_within_15_minutes"),
    (timedelta(hours=1), "answered_within_1_hour"),
    (timedelta(days=1), "answered_within_1_day"),
)


def response_bucket(delay: timedelta) -> str:
    for limit, name in RESPONSE_BUCKETS:
        if delay <= limit:
            return name
    return "answered_later"


def first_texts(conversation_ids: list) -> tuple[dict, dict]:
    """When the visitor first wrote, and when the helpline first wrote after that, per
    conversation (from the envelopes' metadata: sender and content type are clear)."""
    texts = Envelope.objects.filter(conversation_id__in=conversation_ids, content_type=TEXT)
    visitor_first = dict(
        texts.filter(sender=VISITOR)
        .values("conversation_id")
        .annotate(first=Min("received_at"))
        .values_list("conversation_id", "first")
    )
    staff_first = {}
    for conversation_id, first in visitor_first.items():
        answer = (
            texts.filter(conversation_id=conversation_id, received_at__gte=first)
            .exclude(sender=VISITOR)
            .aggregate(first=Min("received_at"))["first"]
        )
        if answer is not None:
            staff_first[conversation_id] = answer
    answered = set(
        texts.exclude(sender=VISITOR).values_list("conversation_id", flat=True).distinct()
    )
    return visitor_first, {"first": staff_first, "any": answered}


def long_conversations(conversation_ids: list) -> set:
    """The conversations with at least settings.HELPLINE_LONG_CONVERSATION text
    messages, both sides together ("the conversation went on")."""
    return set(
        Envelope.objects.filter(conversation_id__in=conversation_ids, content_type=TEXT)
        .values("conversation_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.HELPLINE_LONG_CONVERSATION)
        .values_list("conversation_id", flat=True)
    )


def counts_add(model, row_key: dict, increments: Counter) -> None:
    """Add to one row of ``model``, creating it if needed; safe when several workers add
    at once (the unique constraint makes the second creator fetch the first one's row)."""
    row, _ = model.objects.get_or_create(**row_key)
    model.objects.filter(pk=row.pk).update(
        **{name: F(name) + count for name, count in increments.items()}
    )


def conversations_tally(conversation_ids: list, *, reason: str = "") -> tuple[dict, Counter]:
    """What these conversations add to the counts, without writing it: rows keyed
    (day, campaign, language, outcome) and topics keyed (day, campaign, language, topic).
    The report (ops/report/) tallies live conversations with it too, so a conversation
    is counted the same way before and after its deletion."""
    conversations = list(
        Conversation.objects.filter(pk__in=conversation_ids).values(
            "pk", "created_at", "campaign_code", "language"
        )
    )
    outcomes = {
        row.conversation_id: row
        for row in ConversationOutcome.objects.filter(conversation_id__in=conversation_ids)
    }
    visitor_first, staff = first_texts(conversation_ids)
    long_ones = long_conversations(conversation_ids)
    rows: dict[tuple, Counter] = {}
    topics: Counter = Counter()
    for conversation in conversations:
        pk = conversation["pk"]
        chosen = outcomes.get(pk)
        outcome = chosen.outcome if chosen and chosen.outcome in Outcome.values else ""
        key = (
            timezone.localdate(conversation["created_at"]),
            conversation["campaign_code"],
            language_primary(conversation["language"]),
            outcome,
        )
        counts = rows.setdefault(key, Counter())
        counts["conversations"] += 1
        if pk in visitor_first:
            counts["visitor_wrote"] += 1
        if pk in staff["any"]:
            counts["staff_answered"] += 1
        if pk in staff["first"]:
            counts[response_bucket(staff["first"][pk] - visitor_first[pk])] += 1
        if pk in long_ones:
            counts["long_conversations"] += 1
        if reason == "visitor":
            counts["deleted_by_visitor"] += 1
        for topic in set(chosen.topics if chosen else []):
            if topic in Topic.values:
                topics[(key[0], key[1], key[2], topic)] += 1
    return rows, topics


def conversations_count(*, conversation_ids: list, reason: str) -> None:
    """Add these conversations (locked by the caller) to the counts of their day."""
    rows, topics = conversations_tally(conversation_ids, reason=reason)
    with transaction.atomic():
        for (day, campaign, language, outcome), counts in sorted(rows.items()):
            key = {"day": day, "campaign_code": campaign, "language": language}
            counts_add(ActivityDay, {**key, "outcome": outcome}, counts)
        for (day, campaign, language, topic), count in sorted(topics.items()):
            key = {"day": day, "campaign_code": campaign, "language": language}
            counts_add(ActivityTopic, {**key, "topic": topic}, Counter(conversations=count))


def conversations_deleting(*, conversation_ids: list, reason: str, now: datetime) -> list[Event]:
    """settings.CHAT_CONVERSATIONS_DELETING_HOOK: count, then tell every staff dashboard
    the conversations are gone (and why: the visitor deleted it, or it expired)."""
    conversations_count(conversation_ids=conversation_ids, reason=reason)
    return [
        staff_event(
            STAFF_GROUP,
            "conversation.deleted",
            {"conversation_id": str(conversation_id), "reason": reason},
        )
        for conversation_id in conversation_ids
    ]
