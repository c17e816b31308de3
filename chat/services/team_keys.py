"""Publishing team keys and their wraps to staff devices (protocol.md §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Max

from chat import selectors
from chat.crypto import certs
from chat.crypto.errors import CryptoError
from chat.errors import (
    CertificateInvalid,
    DeviceNotCertified,
    HelplineNotReady,
    TeamKeyUnknown,
    TeamKeyVersionConflict,
)
from chat.models import Device, TeamKey, TeamKeyWrap

WRAP_LEN = 113


@transaction.atomic
def team_key_publish(
    *, announcement: certs.TeamKeyAnnouncement, wraps: dict[str, bytes], now: datetime
) -> TeamKey:
    """Store a new team key version, signed by the admin key, with wraps of its private
    key to certified staff devices. The private key itself is never sent here."""
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
            version=team_key.version, device_id=device_id, ciphertext=ciphertext, now=now
        )
    return team_key


def team_key_wrap_add(
    *, version: int, device_id: str, ciphertext: bytes, now: datetime
) -> TeamKeyWrap:
    """Give a certified staff device the team key (wrapped to it by another staff device
    or the coordinator). Replaces an earlier wrap for the same device."""
    if len(ciphertext) != WRAP_LEN:
        raise CertificateInvalid("a team wrap is 113 bytes")
    device = Device.objects.filter(
        pk=device_id, role=Device.Role.STAFF, state=Device.State.CERTIFIED
    ).first()
    if device is None:
        raise DeviceNotCertified("team keys are wrapped only to certified staff devices")
    team_key = TeamKey.objects.filter(version=version, destroyed_at__isnull=True).first()
    if team_key is None:
        raise TeamKeyUnknown(f"no live team key v{version}")
    wrap, _ = TeamKeyWrap.objects.update_or_create(
        team_key=team_key, device=device, defaults={"ciphertext": ciphertext, "created_at": now}
    )
    return wrap
