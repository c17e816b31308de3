"""The topics and outcome staff choose for a conversation: what it adds to the
anonymous counts when it is deleted."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ops.activity.models import ConversationOutcome, Outcome, Topic
from ops.errors import NotYours
from ops.routing.services import profile_for_routing, route_locked


@transaction.atomic
def conversation_outcome_set(
    *, conversation_id: str, user: AbstractBaseUser, topics: list[str], outcome: str
) -> ConversationOutcome:
    """Set what a conversation was about and how it ended. Only the person it is
    assigned to, or a coordinator (interpreters and strangers: refused). The choices are
    from fixed lists (the request body's schema checks them), so nothing free-form —
    nothing that could describe the visitor — reaches the counts."""
    actor = profile_for_routing(user)
    route = route_locked(conversation_id)
    if route.assigned_to_id != user.pk and not actor.is_coordinator:
        raise NotYours("only the person it is assigned to (or a coordinator) sets this")
    chosen = [topic for topic in Topic.values if topic in set(topics)]
    row, _ = ConversationOutcome.objects.update_or_create(
        conversation_id=conversation_id,
        defaults={"topics": chosen, "outcome": outcome if outcome in Outcome.values else ""},
    )
    return row
