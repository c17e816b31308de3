"""Web Push over HTTP: the staff dashboard's toggle, and the visitor's opt-in.

Staff (session + CSRF, as the rest of /staff/api/):

- ``GET  /staff/api/push``: ``{"enabled", "public_key"}`` (the VAPID key for
  ``applicationServerKey``; base64url), and whether this browser's endpoint is on;
- ``POST /staff/api/push/subscription``: ``{"device_id", "subscription": {"endpoint",
  "keys": {"p256dh", "auth"}}}`` — what ``PushSubscription.toJSON()`` gives;
- ``POST /staff/api/push/unsubscribe``: ``{"endpoint"}`` — one click off.

Visitors (no cookie, no session: the conversation's token authorises, as on the socket):

- ``POST /c/push/subscribe``: ``{"token", "subscription": {...}}`` (token: standard
  base64, as in the ``hello`` frame);
- ``POST /c/push/unsubscribe``: ``{"token", "endpoint"}``, or ``{"token"}`` alone on
  quick exit (every phone of the conversation).

Answers are 204, or ``{"error": code}`` with 400 (malformed), 403 (push off, refused
endpoint), 404 (no such conversation: deleted, blocked or a wrong token — the same).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import msgspec
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from chat.crypto.schema import Uuid
from ops.errors import NotFound
from ops.jsonapi import BadRequest, Body, api_view, body_parse
from ops.models import StaffProfile
from ops.push import services
from ops.push.models import ENDPOINT_MAX_LENGTH
from ops.push.vapid import vapid_public_key

Endpoint = Annotated[str, msgspec.Meta(min_length=8, max_length=ENDPOINT_MAX_LENGTH)]
KeyText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
VISITOR_BODY_MAX = 4096


class Keys(Body):
    p256dh: KeyText
    auth: KeyText


class Subscription(Body):
    endpoint: Endpoint
    keys: Keys
    # toJSON() also gives this (null in Chrome); we keep nothing of it.
    expirationTime: int | None = None  # noqa: N815 — the browser's name


class StaffSubscribeBody(Body):
    device_id: Uuid
    subscription: Subscription


class EndpointBody(Body):
    endpoint: Endpoint


class VisitorSubscribeBody(Body):
    token: bytes
    subscription: Subscription


class VisitorUnsubscribeBody(Body):
    token: bytes
    endpoint: Endpoint | None = None


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadRequest("keys must be base64url") from None


def keys_of(subscription: Subscription) -> dict:
    return {
        "endpoint": subscription.endpoint,
        "p256dh": b64url_decode(subscription.keys.p256dh),
        "auth": b64url_decode(subscription.keys.auth),
    }


def refused(code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": code}, status=status)


# -- staff ------------------------------------------------------------------------------------


@api_view(method="GET", interpreters=False)
def staff_push_state(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    endpoint = request.GET.get("endpoint", "")
    return JsonResponse(
        {
            "enabled": services.push_enabled(),
            "public_key": vapid_public_key(),
            "subscribed": bool(endpoint)
            and services.staff_subscribed(user_id=request.user.pk, endpoint=endpoint),
        }
    )


@api_view(method="POST", interpreters=False)
def staff_push_subscribe(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, StaffSubscribeBody)
    try:
        services.staff_subscribe(
            user_id=request.user.pk,
            session_key=request.session.session_key,
            device_id=str(body.device_id),
            now=timezone.now(),
            **keys_of(body.subscription),
        )
    except services.PushRefused as error:
        return JsonResponse({"error": "push_refused", "detail": str(error)}, status=403)
    return JsonResponse({"subscribed": True}, status=201)


@api_view(method="POST", interpreters=False)
def staff_push_unsubscribe(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, EndpointBody)
    services.staff_unsubscribe(user_id=request.user.pk, endpoint=body.endpoint)
    return JsonResponse({"subscribed": False})


# -- visitors ---------------------------------------------------------------------------------


def visitor_body(request: HttpRequest, kind: type) -> object:
    if request.method != "POST":
        raise BadRequest("POST only")
    if len(request.body) > VISITOR_BODY_MAX:
        raise BadRequest("too large")
    return body_parse(request, kind)


@csrf_exempt
@never_cache
def visitor_push_subscribe(request: HttpRequest) -> HttpResponse:
    """The visitor ticked the box. No cookie and no CSRF token: the body carries the
    conversation's token, which a cross-site page cannot know."""
    if not settings.PUSH_VISITORS:
        return refused("push_off", 403)
    try:
        body = visitor_body(request, VisitorSubscribeBody)
        services.visitor_subscribe(
            token=body.token, now=timezone.now(), **keys_of(body.subscription)
        )
    except BadRequest:
        return refused("bad_request", 400)
    except services.PushRefused:
        return refused("push_refused", 403)
    except NotFound:
        return refused("not_found", 404)
    return HttpResponse(status=204)


@csrf_exempt
@never_cache
def visitor_push_unsubscribe(request: HttpRequest) -> HttpResponse:
    """The visitor unticked the box (this phone), or left with quick exit (all)."""
    try:
        body = visitor_body(request, VisitorUnsubscribeBody)
    except BadRequest:
        return refused("bad_request", 400)
    services.visitor_unsubscribe(token=body.token, endpoint=body.endpoint)
    return HttpResponse(status=204)
