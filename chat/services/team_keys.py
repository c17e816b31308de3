"""Publishing team keys and their wraps to staff devices (protocol.md §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from chat import selectors
from chat.crypto import certs, suite1
from chat.crypto.errors import CryptoError
from chat.errors import (
    CertificateInvalid,
    DeviceNotCertified,
    HelplineNotReady,
    TeamKeyUnknown,
    TeamKeyVersionConflict,
    WrapKeyRefused,
)
from chat.hooks import hook
from chat.models import Device, TeamKey, TeamKeyWrap

WRAP_LEN = 113


@transaction.atomic
def team_key_publish(
    *,
    announcement: certs.TeamKeyAnnouncement,
    wraps: dict[str, bytes],
    now: datetime,
    wrap_keys: dict[str, bytes] | None = None,
) -> TeamKey:
    """Store a new team key version, signed by the admin key, with wraps of its private
    key to certified staff devices. The private key itself is never sent here.
    ``wrap_keys`` names the KEM key each wrap is sealed to (absent: the device's
    certificate KEM key); see team_key_wrap_add."""
    wrap_keys = wrap_keys or {}
    admin_key = selectors.admin_key_current()
    if admin_key is None:
        raise HelplineNotReady("no admin key yet")
    try:
        certs.team_key_verify(
            announcement, admin_pk=bytes(admin_key.public_key), now=int(now.timestamp())
        )
    except CryptoError as exc:
        raise CertificateInvalid(str(exc)) from exc
    latest = TeamKey.objects.aggregate(latest=Max("version"))["latest"] or 0
    if announcement.version != latest + 1:
        raise TeamKeyVersionConflict(f"the next team key version is {latest + 1}")
    team_key = TeamKey.objects.create(
        version=announcement.version,
        public_key=announcement.pk,
        not_after=datetime.fromtimestamp(announcement.not_after, tz=UTC),
        signature=announcement.sig,
        created_at=now,
    )
    for device_id, ciphertext in wraps.items():
        team_key_wrap_add(
            version=team_key.version,
            device_id=device_id,
            ciphertext=ciphertext,
            kem_pk=wrap_keys.get(device_id),
            now=now,
        )
    return team_key


@transaction.atomic
def team_key_wrap_add(
    *, version: int, device_id: str, ciphertext: bytes, now: datetime, kem_pk: bytes | None = None
) -> TeamKeyWrap:
    """Give a certified staff device the team key (wrapped to it by another staff device
    or the coordinator). Replaces an earlier wrap for the same device.

    ``kem_pk`` is the device KEM key the wrap is sealed to: the certificate's (the
    default) or the wrap key the device published. Crypto-shredding (protocol.md §4.4)
    rests on each KEM key carrying one team key version only: when that version is
    destroyed the device deletes the KEM key, and a backup's wraps open no more."""
    if len(ciphertext) != WRAP_LEN:
        raise CertificateInvalid("a team wrap is 113 bytes")
    device = certified_staff_device_lock(
        device_id=device_id, refusal="team keys are wrapped only to certified staff devices"
    )
    team_key = TeamKey.objects.filter(version=version, destroyed_at__isnull=True).first()
    if team_key is None:
        raise TeamKeyUnknown(f"no live team key v{version}")
    kem_pk = bytes(device.kem_public_key) if kem_pk is None else kem_pk
    wrap_key_check(device=device, team_key=team_key, kem_pk=kem_pk)
    if kem_pk == bytes(device.next_wrap_public_key or b""):
        # Used up: the device makes a fresh one for the version after this.
        device.next_wrap_public_key = None
        device.next_wrap_signature = None
        device.save(update_fields=["next_wrap_public_key", "next_wrap_signature"])
    wrap, _ = TeamKeyWrap.objects.update_or_create(
        team_key=team_key,
        device=device,
        defaults={"ciphertext": ciphertext, "kem_public_key": kem_pk, "created_at": now},
    )
    return wrap


def certified_staff_device_lock(*, device_id: str, refusal: str) -> Device:
    """The certified staff device, locked for the transaction; DeviceNotCertified with
    ``refusal`` when there is none."""
    device = (
        Device.objects.select_for_update()
        .filter(pk=device_id, role=Device.Role.STAFF, state=Device.State.CERTIFIED)
        .first()
    )
    if device is None:
        raise DeviceNotCertified(refusal)
    return device


def wrap_key_check(*, device: Device, team_key: TeamKey, kem_pk: bytes) -> None:
    """The KEM key is the device's (certificate or published wrap key), not retired,
    and carries no wrap of another version."""
    own = {bytes(device.kem_public_key), bytes(device.next_wrap_public_key or b"")}
    own |= {
        bytes(key)
        for key in TeamKeyWrap.objects.filter(device=device, team_key=team_key).values_list(
            "kem_public_key", flat=True
        )
    }
    if kem_pk not in own:
        raise WrapKeyRefused("not a KEM key of this device")
    if suite1.key_id(kem_pk).hex() in device.retired_wrap_key_ids:
        raise WrapKeyRefused("this KEM key was retired with a destroyed team key")
    if (
        TeamKeyWrap.objects.filter(device=device, kem_public_key=kem_pk)
        .exclude(team_key=team_key)
        .exists()
    ):
        raise WrapKeyRefused("this KEM key already carries another team key version")


@transaction.atomic
def device_wrap_key_publish(
    *, device_id: str, kem_pk: bytes, signature: bytes, now: datetime
) -> Device:
    """A certified staff device publishes the fresh KEM key the next team key version
    is to be wrapped to, signed by its certified signing key (the coordinator's browser
    checks that signature again before wrapping). Replaces an unused earlier one."""
    device = certified_staff_device_lock(
        device_id=device_id, refusal="wrap keys are published by certified staff devices"
    )
    try:
        certs.wrap_key_verify(
            device_sig_pk=bytes(device.sig_public_key),
            device_id=str(device.pk),
            kem_pk=kem_pk,
            sig=signature,
        )
    except CryptoError as exc:
        raise WrapKeyRefused("the wrap key is not signed by this device") from exc
    used = TeamKeyWrap.objects.filter(device=device, kem_public_key=kem_pk).exists()
    if used or kem_pk == bytes(device.kem_public_key):
        raise WrapKeyRefused("a wrap key must be a fresh KEM key")
    device.next_wrap_public_key = kem_pk
    device.next_wrap_signature = signature
    device.save(update_fields=["next_wrap_public_key", "next_wrap_signature"])
    published_hook = hook("CHAT_WRAP_KEY_PUBLISHED_HOOK")
    if published_hook is not None:  # the audit log, in this transaction
        published_hook(device=device, key_id=suite1.key_id(kem_pk).hex())
    return device


def team_key_schedule_due_claim(*, now: datetime) -> bool:
    """Whether the current team key has just become due for rotation on schedule
    (CHAT_TEAM_KEY_ROTATION_DAYS after it was made, not a second before) and nobody
    said so yet. True once per version, whatever the number of workers: the first
    conditional UPDATE marks it, the others change no row."""
    current = selectors.team_key_current(now=now)
    if current is None:
        return False
    made_before = now - timedelta(days=settings.CHAT_TEAM_KEY_ROTATION_DAYS)
    return bool(
        TeamKey.objects.filter(
            pk=current.pk, created_at__lte=made_before, schedule_due_told_at__isnull=True
        ).update(schedule_due_told_at=now)
    )
