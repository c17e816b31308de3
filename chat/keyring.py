"""Key ceremonies without a browser: what the coordinator's setup page does, as plain
functions over the reference client's key files (used by ``manage.py helpline_keys``,
the demo seed and the tests).

Private keys are read from files the holder keeps and only kept in this process's
memory; the database receives public keys, signatures and wraps — as from a browser.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model

from chat import selectors
from chat.crypto import certs, suite1
from chat.crypto.errors import CryptoError
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.models import Device, TeamKey
from chat.services.devices import admin_key_set, device_certify, device_register
from chat.services.team_keys import (
    device_wrap_key_publish,
    team_key_publish,
    team_key_wrap_add,
)

DAY = 86400


def admin_create(*, now: datetime) -> AdminKeys:
    admin = AdminKeys.generate()
    admin_key_set(public_key=admin.public, now=now)
    return admin


def device_create(*, username: str, role: str, label_text: str, now: datetime) -> DeviceKeys:
    user = get_user_model().objects.get(username=username)
    keys = DeviceKeys.generate()
    device = device_register(
        user=user,
        role=role,
        label_text=label_text,
        kem_pk=keys.kem_public,
        sig_pk=keys.sig_public,
        now=now,
    )
    keys.device_id = str(device.pk)
    return keys


def device_certify_with(*, admin: AdminKeys, device_id: str, days: int, now: datetime) -> Device:
    device = Device.objects.get(pk=device_id)
    not_after = int(now.timestamp()) + days * DAY
    cert = certs.cert_sign(
        admin_key=admin.sig,
        device_id=str(device.pk),
        role=device.role,
        kem_pk=bytes(device.kem_public_key),
        sig_pk=bytes(device.sig_public_key),
        not_after=not_after,
    )
    return device_certify(device_id=device_id, not_after=not_after, signature=cert.sig, now=now)


def team_key_create(*, admin: AdminKeys, days: int, now: datetime) -> TeamKey:
    """A new team key version (the first, or a rotation), wrapped to every certified
    staff device that has a KEM key free for it (wrap_target), then forgotten."""
    latest = TeamKey.objects.order_by("-version").first()
    version = (latest.version if latest else 0) + 1
    team = suite1.private_key_generate()
    announcement = certs.team_key_sign(
        admin_key=admin.sig,
        version=version,
        pk=suite1.public_bytes(team),
        not_after=int(now.timestamp()) + days * DAY,
    )
    wraps, wrap_keys = {}, {}
    for device in Device.objects.filter(role=Device.Role.STAFF, state=Device.State.CERTIFIED):
        kem_pk = wrap_target(device)
        if kem_pk is None:
            continue
        device_id = str(device.pk)
        wraps[device_id] = certs.team_wrap_seal(
            team_key=team, version=version, device_id=device_id, device_kem_pk=kem_pk
        )
        wrap_keys[device_id] = kem_pk
    return team_key_publish(announcement=announcement, wraps=wraps, wrap_keys=wrap_keys, now=now)


def wrap_target(device: Device) -> bytes | None:
    """The KEM key a new team key version may be wrapped to for ``device`` (protocol.md
    §4.4): the wrap key it published and signed, else its certificate's KEM key if no
    version was ever wrapped to it; None when it has neither (it gets the version later,
    once it has published a wrap key)."""
    if device.next_wrap_public_key is not None:
        kem_pk = bytes(device.next_wrap_public_key)
        try:
            certs.wrap_key_verify(
                device_sig_pk=bytes(device.sig_public_key),
                device_id=str(device.pk),
                kem_pk=kem_pk,
                sig=bytes(device.next_wrap_signature),
            )
        except CryptoError:
            return None
        return kem_pk
    return None if selectors.cert_kem_used(device) else bytes(device.kem_public_key)


def team_keys_rewrap(*, holder: DeviceKeys, device_id: str, now: datetime) -> int:
    """Give ``device_id`` every live team key that ``holder`` (a certified staff device
    whose key file we have) can open and it lacks. Returns how many were wrapped."""
    target = Device.objects.get(pk=device_id, role=Device.Role.STAFF, state=Device.State.CERTIFIED)
    lacking = {key.pk for key, wrap in selectors.team_keys_for_device(target) if wrap is None}
    count = 0
    for team_key, wrap in selectors.team_keys_for_device(Device.objects.get(pk=holder.device_id)):
        kem_pk = wrap_target(target)
        if wrap is None or team_key.pk not in lacking or kem_pk is None:
            continue
        team = holder.team_wrap_open(
            bytes(wrap.ciphertext), team_key.announcement(), kem_pk=bytes(wrap.kem_public_key)
        )
        sealed = certs.team_wrap_seal(
            team_key=team, version=team_key.version, device_id=str(target.pk), device_kem_pk=kem_pk
        )
        team_key_wrap_add(
            version=team_key.version,
            device_id=str(target.pk),
            ciphertext=sealed,
            kem_pk=kem_pk,
            now=now,
        )
        target.refresh_from_db()
        count += 1
    return count


def wrap_key_publish(*, keys: DeviceKeys, now: datetime) -> Device:
    """What a staff browser does at start when it has no wrap key waiting: make one and
    publish it, signed (the reference client keeps the private key in ``keys``)."""
    kem_pk, signature = keys.wrap_key_new()
    return device_wrap_key_publish(
        device_id=keys.device_id, kem_pk=kem_pk, signature=signature, now=now
    )
