"""The staff JSON API of devices and keys: devices, admin key, certificates,
team keys. The plumbing (checks, body parsing, the error table) is ops/jsonapi.py.

Every view parses → checks permission → calls a service; nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

import audit
from audit.models import Action
from chat import selectors as chat_selectors
from chat.crypto.certs import TeamKeyAnnouncement
from chat.crypto.encoding import b64encode
from chat.crypto.schema import PublicKey, Role, SafeInt, Signature, Uuid, WrapBytes
from chat.models import AdminKey, Device, TeamKey, unix
from chat.services.devices import device_certify
from chat.services.team_keys import device_wrap_key_publish
from ops import errors
from ops.auth.sessions import staff_device_revoke
from ops.devices import selectors, services
from ops.jsonapi import Body, api_view, body_parse
from ops.models import StaffProfile

# -- request bodies -------------------------------------------------------------------------

Label = Annotated[str, msgspec.Meta(max_length=100)]


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
    # The KEM key each wrap is sealed to, when not the certificate's.
    wrap_keys: dict[Uuid, PublicKey] = {}


class TeamWrapBody(Body):
    device_id: Uuid
    ct: WrapBytes
    kem_pk: PublicKey | None = None


class WrapKeyBody(Body):
    kem_pk: PublicKey
    signature: Signature


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
        # The device deletes these KEM keys (hex key ids); it publishes a fresh
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
    """This browser's device publishes the fresh KEM key, signed by its
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
    # Its sockets close and the sessions it proved end at once; audited.
    now = timezone.now()
    with transaction.atomic():
        changed = staff_device_revoke(device_id=str(device_id), actor=request.user, now=now)
        # A revoked device held the current team key: only the coordinator's
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
