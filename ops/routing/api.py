"""The shift dashboard's API (ops/README.md "Dashboard API"): its state, my presence, and
what staff do with a conversation — claim, transfer, close, notes. Staff only:
interpreters are refused (they are invited into one conversation, never routed to).

Each view parses → checks permission (``api_view``) → calls a service in ops/routing/services.py
or ops/routing/presence.py, then publishes the events it returns once the transaction commits.
Times are on the helpline's clock (ops/clock.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from django.http import HttpRequest, JsonResponse

from chat.crypto.encoding import b64encode
from chat.events import events_publish_on_commit
from ops import clock
from ops.activity.models import ConversationOutcome, Outcome, Topic
from ops.activity.services import conversation_outcome_set
from ops.devices import selectors
from ops.errors import NotFound
from ops.jsonapi import Body, api_methods, api_view, body_parse
from ops.models import (
    NOTE_CIPHERTEXT_MAX_BYTES,
    NOTE_CIPHERTEXT_MIN_BYTES,
    Note,
    Route,
    StaffProfile,
)
from ops.routing import dashboard, presence
from ops.routing import services as routing
from ops.routing.events import route_json, unix

NoteCiphertext = Annotated[
    bytes,
    msgspec.Meta(min_length=NOTE_CIPHERTEXT_MIN_BYTES, max_length=NOTE_CIPHERTEXT_MAX_BYTES),
]
TeamKeyVersion = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
UserId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class NoteBody(Body):
    """A note sealed to the team key in the browser (docs/protocol.md §6.4): ``ct`` is
    standard base64 of HPKE enc ‖ ciphertext."""

    ct: NoteCiphertext
    team_key_version: TeamKeyVersion

    def sealed(self) -> routing.SealedNote:
        return routing.SealedNote(ct=self.ct, team_key_version=self.team_key_version)


class PresenceBody(Body):
    presence: Literal["available", "busy", "away"]


class TransferBody(Body):
    to_user_id: UserId | None = None
    note: NoteBody | None = None


def done(events: list, body: dict, status: int = 200) -> JsonResponse:
    events_publish_on_commit(events)
    return JsonResponse(body, status=status)


@api_view(method="GET", interpreters=False)
def dashboard_view(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    state = dashboard.dashboard_state(user=request.user, profile=profile, at=clock.now())
    return JsonResponse(state)


@api_view(method="POST", interpreters=False)
def presence_view(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, PresenceBody)
    routing_profile_ensure(request, profile)
    events = presence.presence_set(user=request.user, presence=body.presence, at=clock.now())
    return done(events, {"presence": body.presence})


def routing_profile_ensure(request: HttpRequest, profile: StaffProfile) -> None:
    """A superuser without a saved profile (the demo account) gets one on first use."""
    if profile.pk is None:
        StaffProfile.objects.get_or_create(
            user=request.user, defaults={"is_coordinator": profile.is_coordinator}
        )


def route_answer(conversation_id: Any) -> dict:
    """The conversation's route after the action, in the shape of `queue.changed`."""
    route = routing.route_get(str(conversation_id))
    return {"route": route_json(route) if route is not None else None}


@api_view(method="POST", interpreters=False)
def route_claim_view(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    events = routing.route_claim(
        conversation_id=str(conversation_id), user=request.user, at=clock.now()
    )
    return done(events, route_answer(conversation_id))


@api_view(method="POST", interpreters=False)
def route_transfer_view(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    body = body_parse(request, TransferBody)
    events = routing.route_transfer(
        conversation_id=str(conversation_id),
        user=request.user,
        to_user_id=body.to_user_id,
        note=body.note.sealed() if body.note is not None else None,
        at=clock.now(),
    )
    return done(events, route_answer(conversation_id))


@api_view(method="POST", interpreters=False)
def route_close_view(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    events = routing.route_close(
        conversation_id=str(conversation_id), user=request.user, at=clock.now()
    )
    return done(events, route_answer(conversation_id))


# -- topics and outcome, for the anonymous counts -------------------------------------------

TopicName = Literal[tuple(Topic.values)]  # type: ignore[valid-type]
OutcomeName = Literal[tuple([*Outcome.values, ""])]  # type: ignore[valid-type]


class OutcomeBody(Body):
    topics: Annotated[list[TopicName], msgspec.Meta(max_length=len(Topic.values))]
    outcome: OutcomeName


def outcome_json(row: ConversationOutcome | None) -> dict:
    return {"topics": list(row.topics) if row else [], "outcome": row.outcome if row else ""}


def route_outcome_get(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    if routing.route_get(str(conversation_id)) is None:
        raise NotFound("no such conversation")
    row = ConversationOutcome.objects.filter(conversation_id=conversation_id).first()
    return JsonResponse(outcome_json(row))


def route_outcome_put(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    body = body_parse(request, OutcomeBody)
    row = conversation_outcome_set(
        conversation_id=str(conversation_id),
        user=request.user,
        topics=list(body.topics),
        outcome=body.outcome,
    )
    return JsonResponse(outcome_json(row))


route_outcome = api_methods(
    GET=api_view(method="GET", interpreters=False)(route_outcome_get),
    PUT=api_view(method="PUT", interpreters=False)(route_outcome_put),
)


def note_json(note: Note) -> dict:
    author = note.author
    return {
        "id": note.pk,
        "kind": note.kind,
        "author": {"user_id": author.pk, "name": selectors.display_name(author)}
        if author
        else None,
        "ct": b64encode(bytes(note.ciphertext)),
        "team_key_version": note.team_key_version,
        "created_at": unix(note.created_at),
    }


@api_view(method="GET", interpreters=False)
def route_notes_list(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    if not Route.objects.filter(pk=conversation_id).exists():
        raise NotFound("no such conversation")
    notes = Note.objects.filter(conversation_id=conversation_id).select_related("author")
    return JsonResponse({"notes": [note_json(note) for note in notes]})


@api_view(method="POST", interpreters=False)
def route_notes_add(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    body = body_parse(request, NoteBody)
    note = routing.route_note_add(
        conversation_id=str(conversation_id), user=request.user, note=body.sealed(), at=clock.now()
    )
    return JsonResponse(note_json(note), status=201)


route_notes = api_methods(GET=route_notes_list, POST=route_notes_add)
