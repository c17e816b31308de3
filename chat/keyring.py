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
from chat.client.keys import AdminKeys, DeviceKeys
from chat.crypto import certs, suite1
from chat.models import Device, TeamKey
from chat.services.devices import admin_key_set, device_certify, device_register
from chat.services.team_keys import team_key_publish, team_key_wrap_add

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
    """A new team key version, wrapped to every certified staff device, then forgotten."""
    latest = TeamKey.objects.order_by("-version").first()
    version = (latest.version if latest else 0) + 1
    team = suite1.private_key_generate()
    announcement = certs.team_key_sign(
        admin_key=admin.sig,
        version=version,
        pk=suite1.public_bytes(team),
        not_after=int(now.timestamp()) + days * DAY,
    )
    staff = Device.objects.filter(role=Device.Role.STAFF, state=Device.State.CERTIFIED)
    wraps = {
        str(device.pk): certs.team_wrap_seal(
            team_key=team,
            version=version,
            device_id=str(device.pk),
            device_kem_pk=bytes(device.kem_public_key),
        )
        for device in staff
    }
    return team_key_publish(announcement=announcement, wraps=wraps, now=now)


def team_keys_rewrap(*, holder: DeviceKeys, device_id: str, now: datetime) -> int:
    """Give ``device_id`` every live team key that ``holder`` (a certified staff device
    whose key file we have) can open. Returns how many were wrapped."""
    target = Device.objects.get(pk=device_id, role=Device.Role.STAFF, state=Device.State.CERTIFIED)
    count = 0
    for team_key, wrap in selectors.team_keys_for_device(Device.objects.get(pk=holder.device_id)):
        if wrap is None:
            continue
        team = certs.team_wrap_open(
            wrap,
            device_kem_key=holder.kem,
            device_id=holder.device_id,
            announcement=team_key.announcement(),
        )
        sealed = certs.team_wrap_seal(
            team_key=team,
            version=team_key.version,
            device_id=str(target.pk),
            device_kem_pk=bytes(target.kem_public_key),
        )
        team_key_wrap_add(
            version=team_key.version, device_id=str(target.pk), ciphertext=sealed, now=now
        )
        count += 1
    return count
