"""Device certificates, team-key announcements and team wraps (protocol.md §4)."""

from __future__ import annotations

from chat.crypto import suite1
from chat.crypto.encoding import label, lp, lps, u8, u32, u64
from chat.crypto.errors import BadObject
from chat.crypto.schema import (
    KeyId,
    PublicKey,
    Role,
    SafeInt,
    Signature,
    Struct,
    SuiteId,
    Uuid,
    Version,
)


class DeviceCert(Struct):
    suite: SuiteId
    device_id: Uuid
    role: Role
    kem_pk: PublicKey
    sig_pk: PublicKey
    not_after: SafeInt
    sig: Signature


class TeamKeyAnnouncement(Struct):
    suite: SuiteId
    version: Version
    pk: PublicKey
    not_after: SafeInt
    sig: Signature


def cert_tbs(*, device_id: str, role: str, kem_pk: bytes, sig_pk: bytes, not_after: int) -> bytes:
    return (
        label("device-cert")
        + u8(suite1.SUITE_ID)
        + lps(device_id)
        + lps(role)
        + lp(kem_pk)
        + lp(sig_pk)
        + u64(not_after)
    )


def cert_sign(
    *,
    admin_key: suite1.PrivateKey,
    device_id: str,
    role: str,
    kem_pk: bytes,
    sig_pk: bytes,
    not_after: int,
) -> DeviceCert:
    tbs = cert_tbs(
        device_id=device_id, role=role, kem_pk=kem_pk, sig_pk=sig_pk, not_after=not_after
    )
    return DeviceCert(
        suite=suite1.SUITE_ID,
        device_id=device_id,
        role=role,
        kem_pk=kem_pk,
        sig_pk=sig_pk,
        not_after=not_after,
        sig=suite1.sign(admin_key, tbs),
    )


def cert_verify(cert: DeviceCert, *, admin_pk: bytes, now: int, role: str | None = None) -> None:
    """Raise unless the certificate is signed by ``admin_pk``, unexpired and of ``role``."""
    if cert.suite != suite1.SUITE_ID:
        raise BadObject("unsupported suite")
    suite1.public_key_load(cert.kem_pk)
    suite1.public_key_load(cert.sig_pk)
    tbs = cert_tbs(
        device_id=cert.device_id,
        role=cert.role,
        kem_pk=cert.kem_pk,
        sig_pk=cert.sig_pk,
        not_after=cert.not_after,
    )
    suite1.verify(admin_pk, tbs, cert.sig)
    if now >= cert.not_after:
        raise BadObject("certificate expired")
    if role is not None and cert.role != role:
        raise BadObject(f"certificate is not of role {role}")


def team_key_tbs(*, version: int, pk: bytes, not_after: int) -> bytes:
    return label("team-key") + u8(suite1.SUITE_ID) + u32(version) + lp(pk) + u64(not_after)


def team_key_sign(
    *, admin_key: suite1.PrivateKey, version: int, pk: bytes, not_after: int
) -> TeamKeyAnnouncement:
    tbs = team_key_tbs(version=version, pk=pk, not_after=not_after)
    return TeamKeyAnnouncement(
        suite=suite1.SUITE_ID,
        version=version,
        pk=pk,
        not_after=not_after,
        sig=suite1.sign(admin_key, tbs),
    )


def team_key_verify(
    announcement: TeamKeyAnnouncement, *, admin_pk: bytes, now: int | None = None
) -> None:
    """Raise unless signed by ``admin_pk`` (and, when ``now`` is given, not past not_after)."""
    if announcement.suite != suite1.SUITE_ID:
        raise BadObject("unsupported suite")
    suite1.public_key_load(announcement.pk)
    tbs = team_key_tbs(
        version=announcement.version, pk=announcement.pk, not_after=announcement.not_after
    )
    suite1.verify(admin_pk, tbs, announcement.sig)
    if now is not None and now >= announcement.not_after:
        raise BadObject("team key past its not_after")


def team_wrap_info(
    *, version: int, team_key_id: KeyId, device_id: str, device_kem_key_id: KeyId
) -> bytes:
    return (
        label("team-wrap")
        + u8(suite1.SUITE_ID)
        + u32(version)
        + lp(team_key_id)
        + lps(device_id)
        + lp(device_kem_key_id)
    )


def team_wrap_seal(
    *, team_key: suite1.PrivateKey, version: int, device_id: str, device_kem_pk: bytes
) -> bytes:
    info = team_wrap_info(
        version=version,
        team_key_id=suite1.key_id(suite1.public_bytes(team_key)),
        device_id=device_id,
        device_kem_key_id=suite1.key_id(device_kem_pk),
    )
    return suite1.hpke_seal(device_kem_pk, info, suite1.private_scalar(team_key))


def team_wrap_open(
    wrap: bytes,
    *,
    device_kem_key: suite1.PrivateKey,
    device_id: str,
    announcement: TeamKeyAnnouncement,
) -> suite1.PrivateKey:
    """Open a team wrap and check the scalar matches the announced public key."""
    info = team_wrap_info(
        version=announcement.version,
        team_key_id=suite1.key_id(announcement.pk),
        device_id=device_id,
        device_kem_key_id=suite1.key_id(suite1.public_bytes(device_kem_key)),
    )
    team_key = suite1.private_key_from_scalar(suite1.hpke_open(device_kem_key, info, wrap))
    if suite1.public_bytes(team_key) != announcement.pk:
        raise BadObject("team wrap does not hold the announced team key")
    return team_key


def wrap_key_tbs(*, device_id: str, kem_pk: bytes) -> bytes:
    return label("wrap-key") + u8(suite1.SUITE_ID) + lps(device_id) + lp(kem_pk)


def wrap_key_sign(*, device_sig_key: suite1.PrivateKey, device_id: str, kem_pk: bytes) -> bytes:
    """A staff device vouches for a fresh KEM key of its own, to receive the next team
    key version on (protocol.md §4.4): its certified signing key signs it."""
    return suite1.sign(device_sig_key, wrap_key_tbs(device_id=device_id, kem_pk=kem_pk))


def wrap_key_verify(*, device_sig_pk: bytes, device_id: str, kem_pk: bytes, sig: bytes) -> None:
    suite1.public_key_load(kem_pk)
    suite1.verify(device_sig_pk, wrap_key_tbs(device_id=device_id, kem_pk=kem_pk), sig)


def device_auth_message(*, nonce: bytes, device_id: str) -> bytes:
    """What a staff device signs to authenticate its socket (protocol.md, `device.auth`):
    the socket's nonce and the device's id; the client signs it, the server verifies it."""
    return label("device-auth") + lp(nonce) + lps(device_id)
