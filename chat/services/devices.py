"""Devices and the admin key: registration, certification, revocation, socket login."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from chat import selectors
from chat.crypto import certs, suite1
from chat.crypto.errors import CryptoError
from chat.errors import (
    CertificateInvalid,
    DeviceNotCertified,
    HelplineNotReady,
    KeyInvalid,
    Unauthorized,
)
from chat.models import AdminKey, Device


@transaction.atomic
def admin_key_set(*, public_key: bytes, now: datetime) -> AdminKey:
    """Make ``public_key`` the helpline's admin key (its private half stays with the
    coordinator). Devices certified by an earlier admin key go back to pending."""
    try:
        suite1.public_key_load(public_key)
    except CryptoError as exc:
        raise KeyInvalid(str(exc)) from exc
    AdminKey.objects.filter(is_active=True).update(is_active=False)
    # Certificates made by the old admin key no longer verify: their devices wait for
    # the coordinator again instead of failing in every client.
    Device.objects.filter(state=Device.State.CERTIFIED).update(
        state=Device.State.PENDING, cert_signature=None, cert_not_after=None, certified_at=None
    )
    return AdminKey.objects.create(
        public_key=public_key,
        fingerprint=suite1.admin_fingerprint(public_key),
        created_at=now,
    )


def device_register(
    *, user, role: str, label_text: str, kem_pk: bytes, sig_pk: bytes, now: datetime
) -> Device:
    """A browser (or reference client) announces its public keys; it waits for the
    coordinator to certify it."""
    try:
        suite1.public_key_load(kem_pk)
        suite1.public_key_load(sig_pk)
    except CryptoError as exc:
        raise KeyInvalid(str(exc)) from exc
    return Device.objects.create(
        user=user,
        role=role,
        label=label_text[:100],
        kem_public_key=kem_pk,
        sig_public_key=sig_pk,
        created_at=now,
    )


@transaction.atomic
def device_certify(*, device_id: str, not_after: int, signature: bytes, now: datetime) -> Device:
    """Store a certificate made by the admin key, after checking it verifies."""
    admin_key = selectors.admin_key_current()
    if admin_key is None:
        raise HelplineNotReady("no admin key yet")
    device = Device.objects.select_for_update().filter(pk=device_id).first()
    if device is None or device.state == Device.State.REVOKED:
        raise DeviceNotCertified("no such device, or it was revoked")
    cert = certs.DeviceCert(
        suite=suite1.SUITE_ID,
        device_id=str(device.pk),
        role=device.role,
        kem_pk=bytes(device.kem_public_key),
        sig_pk=bytes(device.sig_public_key),
        not_after=not_after,
        sig=signature,
    )
    try:
        certs.cert_verify(cert, admin_pk=bytes(admin_key.public_key), now=int(now.timestamp()))
    except CryptoError as exc:
        raise CertificateInvalid(str(exc)) from exc
    device.state = Device.State.CERTIFIED
    device.cert_not_after = datetime.fromtimestamp(not_after, tz=UTC)
    device.cert_signature = signature
    device.certified_at = now
    device.save(update_fields=["state", "cert_not_after", "cert_signature", "certified_at"])
    return device


def device_revoke(*, device_id: str, now: datetime) -> bool:
    """Revoke at once; returns whether a device changed state."""
    return bool(
        Device.objects.filter(pk=device_id)
        .exclude(state=Device.State.REVOKED)
        .update(state=Device.State.REVOKED, revoked_at=now)
    )


def device_authenticate(
    *, user_id: int, device_id: str, nonce: bytes, signature: bytes, now: datetime
) -> Device:
    """A staff socket proves it holds the device's signing key (protocol.md §8.3)."""
    # One answer for an unknown device and a bad signature: a session cannot probe
    # which device ids exist.
    refused = Unauthorized("unknown device or wrong signature")
    device = Device.objects.filter(pk=device_id, user_id=user_id).first()
    if device is None:
        raise refused
    try:
        suite1.verify(
            bytes(device.sig_public_key),
            certs.device_auth_message(nonce=nonce, device_id=device_id),
            signature,
        )
    except CryptoError as exc:
        raise refused from exc
    if device.state != Device.State.CERTIFIED or device.cert_not_after <= now:
        raise DeviceNotCertified("this device is not certified")
    return device
