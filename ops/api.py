"""The staff JSON API under /staff/api/ (issue #3): devices, admin key, certificates,
team keys. Session authentication plus Django's CSRF header on every POST.

Every view parses → checks permission → calls a service; nothing else. Binary values
are standard padded base64, as on the websocket (docs/protocol.md §2.2); times are Unix
seconds. Errors are ``{"error": code, "message": translated text, "detail": English}``
with the status from ``ERRORS`` — the one place a domain error becomes an HTTP answer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import msgspec
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

import audit
from audit.models import Action
from chat import errors as chat_errors
from chat import selectors as chat_selectors
from chat.crypto.certs import TeamKeyAnnouncement
from chat.crypto.encoding import b64encode
from chat.crypto.schema import PublicKey, Role, SafeInt, Signature, Uuid, WrapBytes
from chat.models import AdminKey, Device, TeamKey, unix
from chat.services.devices import device_certify
from chat.services.team_keys import device_wrap_key_publish
from ops import errors, selectors, services
from ops.auth.sessions import staff_device_revoke
from ops.canned import errors as canned_errors
from ops.interpreting import services as interpreting_errors
from ops.models import StaffProfile

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
    # Interpreter hand-off (ops/interpreting/), issue 6.
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

Label = Annotated[str, msgspec.Meta(max_length=100)]


class Body(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Unknown fields are refused, as on the websocket: a typo is an error."""


class DeviceRegisterBody(Body):
    kem_pk: PublicKey
    sig_pk: PublicKey
    role: Role = "staff"
    label: Label = ""


class AdminKeyBody(Body):
    public_key: PublicKey
    replace: bool = False


class CertifyBody(Body):
    not_after: SafeInt
    signature: Signature


class TeamKeyBody(Body):
    announcement: TeamKeyAnnouncement
    wraps: dict[Uuid, WrapBytes]
    # Issue 7: the KEM key each wrap is sealed to, when not the certificate's.
    wrap_keys: dict[Uuid, PublicKey] = {}


class TeamWrapBody(Body):
    device_id: Uuid
    ct: WrapBytes
    kem_pk: PublicKey | None = None


class WrapKeyBody(Body):
    kem_pk: PublicKey
    signature: Signature


B = TypeVar("B", bound=Body)


def body_parse(request: HttpRequest, kind: type[B]) -> B:
    try:
        return msgspec.json.decode(request.body, type=kind)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadRequest(str(exc)[:200]) from None


# -- response bodies ------------------------------------------------------------------------


def announcement_json(team_key: TeamKey) -> dict:
    return msgspec.to_builtins(team_key.announcement())


def admin_key_json(admin_key: AdminKey | None) -> dict | None:
    if admin_key is None:
        return None
    return {
        "public_key": b64encode(bytes(admin_key.public_key)),
        "fingerprint": b64encode(bytes(admin_key.fingerprint)),
        "created_at": unix(admin_key.created_at),
    }


def device_json(device: Device, status: str) -> dict:
    return {
        "device_id": str(device.pk),
        "role": device.role,
        "label": device.label,
        "state": status,
        "kem_pk": b64encode(bytes(device.kem_public_key)),
        "sig_pk": b64encode(bytes(device.sig_public_key)),
        "created_at": unix(device.created_at),
        "cert_not_after": unix(device.cert_not_after) if device.cert_not_after else None,
    }


def device_view_json(view: selectors.DeviceView) -> dict:
    certified = view.status == selectors.STATUS_CERTIFIED
    return {
        **device_json(view.device, view.status),
        # Issue 7: the device deletes these KEM keys (hex key ids); it publishes a fresh
        # wrap key whenever none is waiting.
        "retired_wrap_key_ids": list(view.device.retired_wrap_key_ids),
        "wrap_key_waiting": view.device.next_wrap_public_key is not None,
        "cert": msgspec.to_builtins(view.device.certificate()) if certified else None,
        "admin_key": admin_key_json(view.admin_key),
        "team_keys": [
            {
                "announcement": announcement_json(team_key),
                # The KEM key it is sealed to, named (docs/protocol.md §4.4).
                "wrap": {
                    "kem_pk": b64encode(bytes(wrap.kem_public_key)),
                    "ct": b64encode(bytes(wrap.ciphertext)),
                }
                if wrap is not None and certified
                else None,
            }
            for team_key, wrap in view.team_keys
        ],
    }


def wrap_target_json(device: Device) -> dict:
    """What the coordinator's browser needs to wrap a new version to ``device`` (it
    verifies the signature itself): its published wrap key, and whether its
    certificate's KEM key already carries a version (then it must not carry another)."""
    waiting = device.next_wrap_public_key is not None
    return {
        "next_wrap_key": {
            "kem_pk": b64encode(bytes(device.next_wrap_public_key)),
            "signature": b64encode(bytes(device.next_wrap_signature)),
        }
        if waiting
        else None,
        "cert_kem_used": chat_selectors.cert_kem_used(device),
    }


def setup_json(overview: selectors.SetupOverview, *, user_id: int) -> dict:
    current = overview.current_team_key
    return {
        "admin_key": admin_key_json(overview.admin_key),
        "team_keys": [announcement_json(team_key) for team_key in overview.team_keys],
        "current_team_key_version": current.version if current else None,
        "next_team_key_version": max((k.version for k in overview.team_keys), default=0) + 1,
        "rotation_due": overview.rotation_due,
        "team_key_usage": {str(v): n for v, n in overview.team_key_usage.items()},
        "devices": [
            {
                **device_json(entry.device, entry.status),
                # So the coordinator's browser checks, before wrapping a team key to a
                # device, that the admin key really certified it (the server could
                # otherwise slip in a device of its own).
                "cert": (
                    msgspec.to_builtins(entry.device.certificate())
                    if entry.status == selectors.STATUS_CERTIFIED
                    else None
                ),
                "username": entry.username,
                "public_label": entry.public_label,
                "is_mine": entry.device.user_id == user_id,
                "team_key_versions": entry.team_key_versions,
                **wrap_target_json(entry.device),
            }
            for entry in overview.devices
        ],
    }


# -- views: any staff member ------------------------------------------------------------


@api_view(method="POST")
def devices_register(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, DeviceRegisterBody)
    device = services.staff_device_register(
        user=request.user,
        profile=profile,
        role=body.role,
        label_text=body.label,
        kem_pk=body.kem_pk,
        sig_pk=body.sig_pk,
        now=timezone.now(),
    )
    view = selectors.device_view(device, now=timezone.now())
    return JsonResponse(device_view_json(view), status=201)


@api_view(method="GET")
def device_detail(request: HttpRequest, profile: StaffProfile, device_id: Any) -> JsonResponse:
    device = selectors.device_of(user=request.user, device_id=str(device_id))
    if device is None:
        raise errors.NotFound("no such device of yours")
    return JsonResponse(device_view_json(selectors.device_view(device, now=timezone.now())))


@api_view(method="POST")
def device_wrap_key(request: HttpRequest, profile: StaffProfile, device_id: Any) -> JsonResponse:
    """Issue 7: this browser's device publishes the fresh KEM key, signed by its
    certified signing key, that the next team key version will be wrapped to."""
    body = body_parse(request, WrapKeyBody)
    if selectors.device_of(user=request.user, device_id=str(device_id)) is None:
        raise errors.NotFound("no such device of yours")
    device = device_wrap_key_publish(
        device_id=str(device_id), kem_pk=body.kem_pk, signature=body.signature, now=timezone.now()
    )
    return JsonResponse(device_view_json(selectors.device_view(device, now=timezone.now())))


# -- views: the coordinator ----------------------------------------------------------------


@api_view(method="GET", coordinator=True)
def setup(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    overview = selectors.setup_overview(now=timezone.now())
    return JsonResponse(setup_json(overview, user_id=request.user.pk))


@api_view(method="POST", coordinator=True)
def admin_key_install(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, AdminKeyBody)
    with transaction.atomic():
        existed = chat_selectors.admin_key_current() is not None
        admin_key = services.admin_key_install(
            public_key=body.public_key, replace=body.replace, now=timezone.now()
        )
        action = Action.ADMIN_KEY_REPLACED if existed else Action.ADMIN_KEY_INSTALLED
        audit.record(request.user, action, target=bytes(admin_key.fingerprint).hex()[:16])
    return JsonResponse({"admin_key": admin_key_json(admin_key)}, status=201)


@api_view(method="POST", coordinator=True)
def device_certify_view(
    request: HttpRequest, profile: StaffProfile, device_id: Any
) -> JsonResponse:
    body = body_parse(request, CertifyBody)
    if selectors.device_get(str(device_id)) is None:
        raise errors.NotFound("no such device")
    now = timezone.now()
    with transaction.atomic():
        device = device_certify(
            device_id=str(device_id), not_after=body.not_after, signature=body.signature, now=now
        )
        audit.record(
            request.user,
            Action.DEVICE_CERTIFIED,
            target=str(device.pk),
            details={"owner": device.user.get_username(), "role": device.role},
        )
    return JsonResponse(device_view_json(selectors.device_view(device, now=now)))


@api_view(method="POST", coordinator=True)
def device_revoke_view(request: HttpRequest, profile: StaffProfile, device_id: Any) -> JsonResponse:
    if selectors.device_get(str(device_id)) is None:
        raise errors.NotFound("no such device")
    # Issue 10: its sockets close and the sessions it proved end at once; audited.
    now = timezone.now()
    with transaction.atomic():
        changed = staff_device_revoke(device_id=str(device_id), actor=request.user, now=now)
        # Issue 7: a revoked device held the current team key: only the coordinator's
        # browser can sign a new one, so the server tells the dashboards it is due.
        services.team_key_rotation_due_tell(now=now)
    return JsonResponse({"device_id": str(device_id), "state": "revoked", "changed": changed})


@api_view(method="POST", coordinator=True)
def team_keys_publish(request: HttpRequest, profile: StaffProfile) -> JsonResponse:
    body = body_parse(request, TeamKeyBody)
    with transaction.atomic():
        team_key = services.team_key_create(
            announcement=body.announcement,
            wraps=dict(body.wraps),
            wrap_keys=dict(body.wrap_keys),
            now=timezone.now(),
        )
        audit.record(
            request.user,
            Action.TEAM_KEY_PUBLISHED,
            target=f"version {team_key.version}",
            details={"wraps": len(body.wraps)},
        )
    return JsonResponse(
        {"announcement": announcement_json(team_key), "wraps": len(body.wraps)}, status=201
    )


@api_view(method="POST", coordinator=True)
def team_key_wrap_add(request: HttpRequest, profile: StaffProfile, version: int) -> JsonResponse:
    body = body_parse(request, TeamWrapBody)
    with transaction.atomic():
        services.team_key_wrap_give(
            version=version,
            device_id=body.device_id,
            ciphertext=body.ct,
            kem_pk=body.kem_pk,
            now=timezone.now(),
        )
        audit.record(
            request.user,
            Action.TEAM_KEY_WRAP_ADDED,
            target=f"version {version}",
            details={"device": body.device_id},
        )
    return JsonResponse({"version": version, "device_id": body.device_id}, status=201)
