"""The staff API's abuse actions: ``POST /staff/api/routes/<id>/block``.
Staff only (interpreters are refused); the dashboard's button is built on it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from ops import clock
from ops.jsonapi import api_view
from ops.models import StaffProfile
from ops.routing import abuse
from ops.routing.api import done, route_answer


@api_view(method="POST", interpreters=False)
def route_block_view(
    request: HttpRequest, profile: StaffProfile, conversation_id: Any
) -> JsonResponse:
    events = abuse.conversation_block(
        conversation_id=str(conversation_id), user=request.user, at=clock.now()
    )
    return done(events, {**route_answer(conversation_id), "blocked": True})
