"""The plumbing of the staff JSON API under /staff/api/: the method, staff and
coordinator checks every view shares, the request bodies' base and parser, and the
error table. Session authentication plus Django's CSRF header on every POST.

Binary values are standard padded base64, as on the websocket (docs/protocol.md §2.2);
times are Unix seconds. Errors are ``{"error": code, "message": translated text,
"detail": English}`` with the status from ``ERRORS`` — the one place a domain error
becomes an HTTP answer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import msgspec
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from chat import errors as chat_errors
from ops import errors
from ops.canned import errors as canned_errors
from ops.devices import selectors
from ops.interpreting import services as interpreting_errors

# -- errors -------------------------------------------------------------------------------

ERRORS: dict[type[Exception], tuple[int, str, Any]] = {
    errors.NotFound: (404, "not_found", _("Not found.")),
    errors.RoleNotAllowed: (403, "forbidden", _("Your profile does not allow this role.")),
    errors.AdminKeyExists: (
        409,
        "admin_key_exists",
        _("The helpline already has an admin key. Replacing it must be confirmed."),
    ),
    chat_errors.TeamKeyUnknown: (404, "not_found", _("No such team key version.")),
    chat_errors.TeamKeyVersionConflict: (
        409,
        "version_conflict",
        _("Another team key was published meanwhile. Reload the page and try again."),
    ),
    errors.TooManyPendingDevices: (
        409,
        "too_many_pending",
        _("Too many of your devices are waiting for certification. Ask your coordinator."),
    ),
    chat_errors.KeyInvalid: (400, "key_invalid", _("This public key is not valid.")),
    chat_errors.WrapKeyRefused: (
        409,
        "wrap_key_refused",
        _("This device key cannot receive this team key. Reload the page and try again."),
    ),
    chat_errors.CertificateInvalid: (
        400,
        "bad_signature",
        _("The signature does not verify with the helpline's admin key."),
    ),
    chat_errors.HelplineNotReady: (
        409,
        "not_ready",
        _("The helpline has no admin key yet."),
    ),
    chat_errors.DeviceNotCertified: (
        409,
        "device_not_certified",
        _("This device is not a certified staff device, or it was revoked."),
    ),
    # Routing and the rota (ops/routing/api.py, ops/rota/api.py).
    errors.NotRoutable: (403, "forbidden", _("Your account takes no conversations.")),
    errors.NotOnShift: (
        403,
        "not_on_shift",
        _("Only staff on a shift open now can take a conversation."),
    ),
    errors.OverCapacity: (
        409,
        "over_capacity",
        _("You (or your colleague) already have as many conversations as you can take."),
    ),
    errors.AlreadyClaimed: (
        409,
        "already_claimed",
        _("A colleague took this conversation first."),
    ),
    errors.NotYours: (
        403,
        "not_yours",
        _("This conversation is in a colleague's hands."),
    ),
    errors.RouteStateConflict: (
        409,
        "wrong_state",
        _("This conversation has moved on meanwhile. The dashboard will refresh."),
    ),
    errors.RotaInvalid: (400, "rota_invalid", _("This rota entry is not valid.")),
    # Interpreter hand-off (ops/interpreting/).
    interpreting_errors.InterpreterUnavailable: (
        409,
        "request_taken",
        _("Another interpreter took this request first, or it was withdrawn."),
    ),
    interpreting_errors.InterpreterBusy: (
        409,
        "interpreter_busy",
        _("You are already in a conversation. Leave it first."),
    ),
    # Canned replies (ops/api_canned.py): the answer lists the problems too.
    canned_errors.CannedInvalid: (
        400,
        "canned_invalid",
        _("This canned reply is not valid: see what is wrong below."),
    ),
    canned_errors.ShortcutTaken: (
        409,
        "shortcut_taken",
        _("Another canned reply already has this shortcut."),
    ),
    canned_errors.ReviewOutdated: (
        409,
        "review_outdated",
        _("This reply was changed since you read it. Read the new version, then mark it."),
    ),
    canned_errors.LibraryImportRefused: (
        400,
        "import_invalid",
        _("Nothing was imported: the file has problems, listed below."),
    ),
}


def error_for(exc: chat_errors.ChatError) -> tuple[int, str, Any]:
    for kind in type(exc).__mro__:
        if kind in ERRORS:
            return ERRORS[kind]
    return 409, "refused", _("The helpline refused this action.")


class BadRequest(Exception):
    """The request body is not what this endpoint takes."""


def error_response(status: int, code: str, message: Any, detail: str = "") -> JsonResponse:
    body = {"error": code, "message": str(message)}
    if detail:
        body["detail"] = detail
    return JsonResponse(body, status=status)


def api_forbidden(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return error_response(403, "not_authenticated", _("Please sign in again."))
    return error_response(403, "forbidden", _("You are not allowed to do this."))


View = TypeVar("View", bound=Callable[..., JsonResponse])


def api_view(
    *, method: str, coordinator: bool = False, interpreters: bool = True
) -> Callable[[View], View]:
    """Method check, staff (or coordinator) check, and the error mapping, for one view.
    ``interpreters=False``: interpreter profiles are refused too (routing, the rota).

    Views receive the caller's StaffProfile after the request. The API never redirects
    to the login page: a fetch() that follows a redirect would get HTML.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method != method:
                response = error_response(405, "method_not_allowed", _("Method not allowed."))
                response["Allow"] = method
                return response
            profile = selectors.staff_profile_of(request.user)
            if (
                profile is None
                or (coordinator and not profile.is_coordinator)
                or (not interpreters and profile.is_interpreter)
            ):
                return api_forbidden(request)
            try:
                return view(request, profile, *args, **kwargs)
            except BadRequest as exc:
                return error_response(400, "bad_request", _("Malformed request."), str(exc))
            except chat_errors.ChatError as exc:
                status, code, message = error_for(exc)
                return error_response(status, code, message, str(exc))

        return never_cache(wrapper)  # type: ignore[return-value]

    return decorate


def api_methods(**views: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """One URL, a view per method (``GET=…, POST=…``); any other method gets 405."""

    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        view = views.get(request.method or "")
        if view is None:
            response = error_response(405, "method_not_allowed", _("Method not allowed."))
            response["Allow"] = ", ".join(views)
            add_never_cache_headers(response)
            return response
        return view(request, *args, **kwargs)

    return dispatch


# -- request bodies -------------------------------------------------------------------------


class Body(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Unknown fields are refused, as on the websocket: a typo is an error."""


B = TypeVar("B", bound=Body)


def body_parse(request: HttpRequest, kind: type[B]) -> B:
    try:
        return msgspec.json.decode(request.body, type=kind)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadRequest(str(exc)[:200]) from None
