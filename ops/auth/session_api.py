"""Signing in without a browser (docs/protocol.md §11.2): a native staff app sends the
password and a second-factor code in one JSON request and gets the same Django session a
browser gets after /staff/login/ and /staff/2fa/ — on record, bound to a device by the
staff socket's ``device.auth``, and ended by every path that ends a browser's session
(sign-out, sign out everywhere, a revoked device, a two-factor reset, idle expiry).

``GET /staff/api/session``: the CSRF token (and cookie) to send with the POST, and who is
signed in. ``POST``: ``{username, password, code}`` → the session cookie. ``DELETE``:
sign out. Every refusal is JSON with a code a client can act on, never a form again.

Why a session and not a token of its own: docs/threat-model.md, "A native staff app".
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

import audit
from audit.models import Action
from ops.auth import two_factor
from ops.auth.sessions import session_sign_out, session_start
from ops.auth.views import lockout_response, login_failure_record
from ops.devices import selectors
from ops.jsonapi import BadRequest, Body, api_methods, body_parse, error_response

REFUSALS = {
    "wrong": (401, "code_wrong", _("This code is not right.")),
    "used": (
        409,
        "code_used",
        _("This code was already used. Wait for the next code of your app and try again."),
    ),
    "throttled": (
        429,
        "code_throttled",
        _("Too many wrong codes. Wait a moment and try again."),
    ),
}


class SignInBody(Body):
    username: str
    password: str
    code: str


def session_json(request: HttpRequest) -> dict:
    user = request.user
    profile = selectors.staff_profile_of(user)
    return {
        "signed_in": user.is_authenticated,
        "user": {
            "user_id": user.pk,
            "username": user.get_username(),
            "label": profile.public_label if profile else "",
            "coordinator": bool(profile and profile.is_coordinator),
            "interpreter": bool(profile and profile.is_interpreter),
        }
        if user.is_authenticated
        else None,
        "csrf_token": get_token(request),
        "idle_seconds": settings.STAFF_SESSION_IDLE_SECONDS,
    }


def session_get(request: HttpRequest) -> JsonResponse:
    return JsonResponse(session_json(request))


@sensitive_variables("body")
def session_sign_in(request: HttpRequest) -> JsonResponse:
    try:
        body = body_parse(request, SignInBody)
    except BadRequest as exc:
        return error_response(400, "bad_request", _("Malformed request."), str(exc))
    # Both factors in one request: the password first (django-axes counts failures and
    # locks the username, as on the sign-in page), then the code.
    user = authenticate(request, username=body.username, password=body.password)
    if getattr(request, "axes_locked_out", False):
        return lockout_response(request, credentials={"username": body.username})
    if user is None or not user.is_active:
        login_failure_record(request, body.username)
        return error_response(401, "sign_in_failed", _("Wrong username or password."))
    if not two_factor.has_second_factor(user):
        # Setting up the authenticator shows the recovery codes once: a page's job.
        return error_response(
            409,
            "enrolment_required",
            _("Set up your authenticator app by signing in once in a browser."),
        )
    checked = two_factor.second_factor_check(user, body.code)
    if isinstance(checked, two_factor.Refused):
        audit.record(user, Action.SECOND_FACTOR_FAILED)
        status, code, message = REFUSALS[checked.reason]
        response = error_response(status, code, message)
        if checked.retry_after_seconds is not None:
            response["Retry-After"] = str(checked.retry_after_seconds)
        return response
    session_start(request, user, checked.device)
    kind = "recovery_code" if checked.recovery_code_used else "authenticator"
    audit.record(user, Action.LOGIN_SUCCEEDED, details={"second_factor": kind})
    if checked.recovery_code_used:
        audit.record(user, Action.RECOVERY_CODE_USED, details={"left": checked.recovery_codes_left})
    answer = session_json(request)  # the CSRF token changed with the login
    answer["recovery_codes_left"] = two_factor.recovery_codes_left(user)
    return JsonResponse(answer)


def session_end(request: HttpRequest) -> JsonResponse:
    """Sign out: this session's record goes and its staff sockets close at once."""
    session_sign_out(request)
    return JsonResponse({"signed_in": False})


session_view = never_cache(api_methods(GET=session_get, POST=session_sign_in, DELETE=session_end))
