"""Devices, the admin key and team keys (chat/services/devices.py, team_keys.py,
docs/protocol.md §4, §8.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat import keyring
from chat.crypto import certs, suite1
from chat.crypto.certs import device_auth_message
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.errors import (
    CertificateInvalid,
    DeviceNotCertified,
    HelplineNotReady,
    KeyInvalid,
    TeamKeyUnknown,
    TeamKeyVersionConflict,
    Unauthorized,
)
from chat.models import AdminKey, Device, TeamKey, TeamKeyWrap
from chat.services.devices import (
    admin_key_set,
    device_authenticate,
    device_certify,
    device_register,
    device_revoke,
)
from chat.services.team_keys import team_key_publish, team_key_wrap_add

pytestmark = pytest.mark.django_db

NONCE = bytes(range(32))
OFF_CURVE = b"\x04" + bytes(64)


def signed_nonce(person, nonce: bytes = NONCE) -> bytes:
    return suite1.sign(
        person.keys.sig, device_auth_message(nonce=nonce, device_id=person.device_id)
    )


def authenticate(person, *, signature: bytes | None = None, now, device_id: str | None = None):
    return device_authenticate(
        user_id=person.user.pk,
        device_id=device_id or person.device_id,
        nonce=NONCE,
        signature=signed_nonce(person) if signature is None else signature,
        now=now,
    )


# -- the admin key ----------------------------------------------------------------------


def test_setting_an_admin_key_records_its_fingerprint(db, now):
    admin = AdminKeys.generate()
    stored = admin_key_set(public_key=admin.public, now=now)
    assert bytes(stored.fingerprint) == suite1.admin_fingerprint(admin.public)
    assert stored.is_active


def test_a_new_admin_key_replaces_the_old_one(admin, now):
    keyring.admin_create(now=now)
    assert AdminKey.objects.count() == 2
    assert AdminKey.objects.filter(is_active=True).count() == 1


def test_an_admin_key_off_the_curve_is_refused(db, now):
    with pytest.raises(KeyInvalid):
        admin_key_set(public_key=OFF_CURVE, now=now)
    assert not AdminKey.objects.exists()


# -- registration and certification -----------------------------------------------------


def test_a_registered_device_waits_for_certification(pending_staff):
    device = pending_staff.device()
    assert device.state == Device.State.PENDING
    assert device.cert_signature is None


@pytest.mark.parametrize("which", ["kem_pk", "sig_pk"])
def test_a_device_key_off_the_curve_is_refused(staff, now, which):
    keys = DeviceKeys.generate()
    arguments = {"kem_pk": keys.kem_public, "sig_pk": keys.sig_public} | {which: OFF_CURVE}
    with pytest.raises(KeyInvalid):
        device_register(user=staff.user, role="staff", label_text="", now=now, **arguments)


def test_the_admin_certifies_a_device(staff):
    device = staff.device()
    assert device.state == Device.State.CERTIFIED
    certs.cert_verify(device.certificate(), admin_pk=device_admin_pk(), now=0)


def device_admin_pk() -> bytes:
    return bytes(AdminKey.objects.get(is_active=True).public_key)


def cert_signature(device: Device, *, by: AdminKeys, not_after: int, role: str | None = None):
    return certs.cert_sign(
        admin_key=by.sig,
        device_id=str(device.pk),
        role=role or device.role,
        kem_pk=bytes(device.kem_public_key),
        sig_pk=bytes(device.sig_public_key),
        not_after=not_after,
    ).sig


def test_a_certificate_signed_by_another_key_is_refused(pending_staff, now):
    device = pending_staff.device()
    not_after = int(now.timestamp()) + 86400
    forged = cert_signature(device, by=AdminKeys.generate(), not_after=not_after)
    with pytest.raises(CertificateInvalid):
        device_certify(device_id=device.pk, not_after=not_after, signature=forged, now=now)
    assert pending_staff.device().state == Device.State.PENDING


def test_a_certificate_for_another_role_is_refused(admin, pending_staff, now):
    device = pending_staff.device()
    not_after = int(now.timestamp()) + 86400
    promoted = cert_signature(device, by=admin, not_after=not_after, role="interpreter")
    with pytest.raises(CertificateInvalid):
        device_certify(device_id=device.pk, not_after=not_after, signature=promoted, now=now)


def test_a_certificate_for_another_expiry_is_refused(admin, pending_staff, now):
    device = pending_staff.device()
    not_after = int(now.timestamp()) + 86400
    signature = cert_signature(device, by=admin, not_after=not_after)
    with pytest.raises(CertificateInvalid):
        device_certify(device_id=device.pk, not_after=not_after + 1, signature=signature, now=now)


def test_an_already_expired_certificate_is_refused(admin, pending_staff, now):
    device = pending_staff.device()
    not_after = int(now.timestamp())
    signature = cert_signature(device, by=admin, not_after=not_after)
    with pytest.raises(CertificateInvalid):
        device_certify(device_id=device.pk, not_after=not_after, signature=signature, now=now)


def test_a_revoked_device_cannot_be_certified_again(admin, revoked_staff, now):
    device = revoked_staff.device()
    not_after = int(now.timestamp()) + 86400
    signature = cert_signature(device, by=admin, not_after=not_after)
    with pytest.raises(DeviceNotCertified):
        device_certify(device_id=device.pk, not_after=not_after, signature=signature, now=now)
    assert revoked_staff.device().state == Device.State.REVOKED


def test_nothing_is_certified_before_there_is_an_admin_key(db, django_user_model, now):
    user = django_user_model.objects.create_user(username="early")
    keys = DeviceKeys.generate()
    device = device_register(
        user=user,
        role="staff",
        label_text="",
        kem_pk=keys.kem_public,
        sig_pk=keys.sig_public,
        now=now,
    )
    with pytest.raises(HelplineNotReady):
        device_certify(device_id=device.pk, not_after=2**40, signature=bytes(64), now=now)


def test_revoking_is_immediate_and_happens_once(staff, now):
    assert device_revoke(device_id=staff.device_id, now=now)
    assert not device_revoke(device_id=staff.device_id, now=now)
    device = staff.device()
    assert (device.state, device.revoked_at) == (Device.State.REVOKED, now)


# -- socket login -----------------------------------------------------------------------


def test_a_certified_device_authenticates_with_the_nonce_signed(staff, now):
    assert str(authenticate(staff, now=now).pk) == staff.device_id


def test_a_signature_over_another_nonce_is_unauthorized(staff, now):
    with pytest.raises(Unauthorized):
        authenticate(staff, signature=signed_nonce(staff, nonce=bytes(32)), now=now)


def test_a_signature_by_another_key_is_unauthorized(staff, colleague, now):
    bobs = suite1.sign(
        colleague.keys.sig, device_auth_message(nonce=NONCE, device_id=staff.device_id)
    )
    with pytest.raises(Unauthorized):
        authenticate(staff, signature=bobs, now=now)


def test_a_zero_signature_is_unauthorized(staff, now):
    with pytest.raises(Unauthorized):
        authenticate(staff, signature=bytes(64), now=now)


def test_another_users_device_is_unauthorized_even_with_its_key(staff, colleague, now):
    # alice's session presents bob's device and (somehow) bob's signature.
    with pytest.raises(Unauthorized):
        device_authenticate(
            user_id=staff.user.pk,
            device_id=colleague.device_id,
            nonce=NONCE,
            signature=signed_nonce(colleague),
            now=now,
        )


def test_an_unknown_device_is_unauthorized(staff, now):
    with pytest.raises(Unauthorized):
        authenticate(staff, device_id="00000000-0000-4000-8000-000000000000", now=now)


def test_a_pending_device_is_not_certified(pending_staff, now):
    with pytest.raises(DeviceNotCertified):
        authenticate(pending_staff, now=now)


def test_a_revoked_device_is_not_certified(revoked_staff, now):
    with pytest.raises(DeviceNotCertified):
        authenticate(revoked_staff, now=now)


def test_a_device_whose_certificate_expired_is_not_certified(staff, now):
    with pytest.raises(DeviceNotCertified):
        authenticate(staff, now=now + timedelta(days=366))


def test_a_bad_signature_is_unauthorized_before_state_is_revealed(pending_staff, now):
    # Without the device's key, nobody learns whether a device is pending or revoked.
    with pytest.raises(Unauthorized):
        authenticate(pending_staff, signature=bytes(64), now=now)


# -- team keys --------------------------------------------------------------------------


def announcement(admin: AdminKeys, version: int, now, days: int = 30):
    team = suite1.private_key_generate()
    signed = certs.team_key_sign(
        admin_key=admin.sig,
        version=version,
        pk=suite1.public_bytes(team),
        not_after=int(now.timestamp()) + days * 86400,
    )
    return team, signed


def test_the_team_key_is_wrapped_to_every_certified_staff_device(
    admin, staff, colleague, interpreter, pending_staff, revoked_staff, now
):
    team_key = keyring.team_key_create(admin=admin, days=30, now=now)
    holders = set(TeamKeyWrap.objects.filter(team_key=team_key).values_list("device_id", flat=True))
    assert {str(h) for h in holders} == {staff.device_id, colleague.device_id}


def test_a_team_key_is_published_as_the_next_version(admin, staff, now):
    _, first = announcement(admin, 1, now)
    team_key_publish(announcement=first, wraps={}, now=now)
    _, second = announcement(admin, 2, now)
    assert team_key_publish(announcement=second, wraps={}, now=now).version == 2


@pytest.mark.parametrize("version", [0, 2, 7])
def test_a_team_key_of_the_wrong_version_is_refused(admin, now, version):
    _, wrong = announcement(admin, version, now)
    with pytest.raises(TeamKeyVersionConflict):
        team_key_publish(announcement=wrong, wraps={}, now=now)
    assert not TeamKey.objects.exists()


def test_a_team_key_version_cannot_be_published_twice(admin, now):
    _, first = announcement(admin, 1, now)
    team_key_publish(announcement=first, wraps={}, now=now)
    _, again = announcement(admin, 1, now)
    with pytest.raises(TeamKeyVersionConflict):
        team_key_publish(announcement=again, wraps={}, now=now)


def test_a_wrap_for_an_unknown_team_key_version_is_refused(admin, staff, now):
    with pytest.raises(TeamKeyUnknown):
        team_key_wrap_add(version=9, device_id=staff.device_id, ciphertext=bytes(113), now=now)


def test_a_team_key_signed_by_another_key_is_refused(admin, now):
    _, forged = announcement(AdminKeys.generate(), 1, now)
    with pytest.raises(CertificateInvalid):
        team_key_publish(announcement=forged, wraps={}, now=now)
    assert not TeamKey.objects.exists()


def test_a_team_key_already_past_its_not_after_is_refused(admin, now):
    _, stale = announcement(admin, 1, now, days=0)
    with pytest.raises(CertificateInvalid):
        team_key_publish(announcement=stale, wraps={}, now=now)


def test_a_team_key_is_never_wrapped_to_an_uncertified_or_interpreter_device(
    admin, pending_staff, interpreter, now
):
    team, signed = announcement(admin, 1, now)
    team_key_publish(announcement=signed, wraps={}, now=now)
    for person in (pending_staff, interpreter):
        sealed = certs.team_wrap_seal(
            team_key=team,
            version=1,
            device_id=person.device_id,
            device_kem_pk=person.keys.kem_public,
        )
        with pytest.raises(DeviceNotCertified):
            team_key_wrap_add(version=1, device_id=person.device_id, ciphertext=sealed, now=now)
    assert not TeamKeyWrap.objects.exists()


def test_a_team_wrap_of_the_wrong_length_is_refused(helpline, colleague, now):
    with pytest.raises(CertificateInvalid):
        team_key_wrap_add(version=1, device_id=colleague.device_id, ciphertext=bytes(112), now=now)


def test_a_colleague_gets_the_team_key_from_a_holder(helpline, staff, colleague, now):
    assert keyring.team_keys_rewrap(holder=staff.keys, device_id=colleague.device_id, now=now) == 1
    wrap = TeamKeyWrap.objects.get(device_id=colleague.device_id)
    opened = certs.team_wrap_open(
        bytes(wrap.ciphertext),
        device_kem_key=colleague.keys.kem,
        device_id=colleague.device_id,
        announcement=helpline.announcement,
    )
    assert suite1.public_bytes(opened) == helpline.announcement.pk
