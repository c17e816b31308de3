"""Reads of the interpreter hand-off."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q

from ops.interpreting import events
from ops.interpreting.models import InterpreterRequest
from ops.interpreting.services import interpreters_on_call, language_normal
from ops.models import StaffProfile
from ops.routing.events import unix

State = InterpreterRequest.State


def interpreter_view(profile: StaffProfile, *, at: datetime) -> dict:
    """What an interpreter's page shows: on call or not, the requests offered to them
    (language and deadline only), and the one conversation they are in."""
    languages = sorted({language_normal(x) for x in profile.languages})
    on_call = profile.on_call_until is not None and profile.on_call_until > at
    offers = (
        InterpreterRequest.objects.filter(
            state=State.PENDING, expires_at__gt=at, language__in=languages
        ).order_by("created_at")
        if on_call
        else InterpreterRequest.objects.none()
    )
    current = InterpreterRequest.objects.filter(
        interpreter_id=profile.user_id, state=State.ACCEPTED, ends_at__gt=at
    ).first()
    return {
        "languages": languages,
        "on_call_until": unix(profile.on_call_until) if on_call else None,
        "offers": [events.offer_json(r) for r in offers],
        "assignment": events.request_json(current) if current else None,
    }


def rekey_due(request: InterpreterRequest) -> bool:
    """The interpreter left, and no epoch has been made since (chat refuses messages in
    the epochs they could read until one is)."""
    conversation = request.conversation
    return conversation.epochs_closed_through >= conversation.current_epoch >= 0


def staff_view(*, at: datetime) -> dict:
    """Live requests, and ended ones whose conversation still waits for an epoch without
    the interpreter (the next staff browser to open it makes it); the languages of
    interpreters on call now."""
    rows = (
        InterpreterRequest.objects.filter(
            Q(state__in=[State.PENDING, State.ACCEPTED])
            | Q(
                state=State.ENDED,
                conversation__epochs_closed_through__gte=F("conversation__current_epoch"),
                conversation__epochs_closed_through__gt=-1,
            )
        )
        .select_related("conversation")
        .order_by("created_at")
    )
    on_call = StaffProfile.objects.filter(
        is_interpreter=True, user__is_active=True, on_call_until__gt=at
    )
    languages = sorted({language_normal(x) for p in on_call for x in p.languages})
    return {
        "requests": [events.request_json(r, rekey_due=rekey_due(r)) for r in rows],
        "languages_on_call": languages,
    }


__all__ = ["interpreter_view", "interpreters_on_call", "staff_view"]
