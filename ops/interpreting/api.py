"""The interpreter hand-off's JSON API (ops/README.md, "Interpreters"): parse → permission
→ service; events published after commit. Staff request, cancel and remove; interpreters
go on call, accept and leave."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from chat.crypto.schema import Uuid
from chat.events import events_publish_on_commit
from ops.interpreting import events, selectors, services
from ops.interpreting.models import InterpreterRequest
from ops.jsonapi import Body, api_forbidden, api_view, body_parse
from ops.models import StaffProfile

Language = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})?$")]


class RequestBody(Body):
    language: Language


class AcceptBody(Body):
    device_id: Uuid


class OnCallBody(Body):
    minutes: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)]


def interpreter_only(profile: StaffProfile) -> bool:
    return profile.is_interpreter


@api_view(method="GET")
def interpreting_state(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    """Interpreters: on call, their offers and their conversation. Staff: live requests
    and those whose interpreter left while an epoch without them is still due."""
    now = timezone.now()
    if profile.is_interpreter:
        return JsonResponse(selectors.interpreter_view(profile, at=now))
    return JsonResponse(selectors.staff_view(at=now))


@api_view(method="POST")
def on_call(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    if not interpreter_only(profile):
        return api_forbidden(request)
    body = body_parse(request, OnCallBody)
    profile = services.on_call_set(profile=profile, minutes=body.minutes, at=timezone.now())
    return JsonResponse(selectors.interpreter_view(profile, at=timezone.now()))


@api_view(method="POST", interpreters=False)
def request_make(request: HttpRequest, profile: StaffProfile, conversation_id: Any) -> JsonResponse:
    body = body_parse(request, RequestBody)
    made, news = services.interpreter_request(
        conversation_id=str(conversation_id),
        language=body.language,
        user=request.user,
        profile=profile,
        at=timezone.now(),
    )
    events_publish_on_commit(news)
    offered_to = news[0][1]["data"].get("offered_to", 0)
    return JsonResponse({**events.request_json(made), "offered_to": offered_to}, status=201)


@api_view(method="POST")
def request_accept(request: HttpRequest, profile: StaffProfile, request_id: int) -> JsonResponse:
    if not interpreter_only(profile):
        return api_forbidden(request)
    body = body_parse(request, AcceptBody)
    accepted, news = services.interpreter_accept(
        request_id=request_id,
        user=request.user,
        profile=profile,
        device_id=body.device_id,
        at=timezone.now(),
    )
    events_publish_on_commit(news)
    return JsonResponse(events.request_json(accepted))


@api_view(method="POST", interpreters=False)
def request_cancel(request: HttpRequest, profile: StaffProfile, request_id: int) -> JsonResponse:
    cancelled, news = services.interpreter_request_cancel(
        request_id=request_id, user=request.user, profile=profile, at=timezone.now()
    )
    events_publish_on_commit(news)
    return JsonResponse(events.request_json(cancelled))


@api_view(method="POST", interpreters=False)
def request_remove(request: HttpRequest, profile: StaffProfile, request_id: int) -> JsonResponse:
    ended, news = services.interpreter_end(
        request_id=request_id,
        reason=InterpreterRequest.EndReason.REMOVED,
        user=request.user,
        profile=profile,
        at=timezone.now(),
    )
    events_publish_on_commit(news)
    return JsonResponse(events.request_json(ended, rekey_due=True))


@api_view(method="POST")
def request_leave(request: HttpRequest, profile: StaffProfile, request_id: int) -> JsonResponse:
    if not interpreter_only(profile):
        return api_forbidden(request)
    ended, news = services.interpreter_end(
        request_id=request_id,
        reason=InterpreterRequest.EndReason.LEFT,
        user=request.user,
        profile=profile,
        at=timezone.now(),
    )
    events_publish_on_commit(news)
    return JsonResponse(events.request_json(ended))
