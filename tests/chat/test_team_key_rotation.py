"""Team key rotation and crypto-shredding (issue 7): new conversations get the new
version, live ones move to it with a signed epoch, an old version is destroyed only once
no conversation has an epoch under it (frozen clock), and each version is sealed to a
device KEM key of its own so that destroying it leaves no key that opens its wraps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat import keyring, selectors
from chat.client.rotation import epoch_rotate, epoch_rotation_due
from chat.crypto import certs, suite1
from chat.errors import CommitRejected, DeviceNotCertified, WrapKeyRefused
from chat.expiry import conversations_expire
from chat.models import TeamKey, TeamKeyWrap
from chat.services.conversations import conversation_open
from chat.services.devices import device_revoke
from chat.services.shredding import team_key_destroy_if_unused, team_keys_shred
from chat.services.team_keys import device_wrap_key_publish, team_key_wrap_add
from tests.chat.conftest import TEAM_KEY_DAYS, commit_signed, visitor_arrives

SECOND = timedelta(seconds=1)


def rotate(helpline, *people, now):
    """Each device publishes a wrap key (as its browser does at start), then the
    coordinator makes the next version; returns (TeamKey, private key as alice opens it)."""
    for person in people:
        keyring.wrap_key_publish(keys=person.keys, now=now)
    team_key = keyring.team_key_create(admin=helpline.admin, days=TEAM_KEY_DAYS, now=now)
    wrap = TeamKeyWrap.objects.get(team_key=team_key, device_id=people[0].device_id)
    return team_key, people[0].keys.team_wrap_open(bytes(wrap.ciphertext), team_key.announcement())


def rekey(view_as, submit, person, visitor, team_key, team_private, now):
    """The staff browser moves the conversation to ``team_key`` (reason rekey)."""
    state = view_as(person, visitor.conversation_id)
    state.open_keys[suite1.key_id(bytes(team_key.public_key))] = team_private
    assert epoch_rotation_due(state, current_version=team_key.version)
    signed = epoch_rotate(state, team=team_key.announcement(), visitor_kem_pk=visitor.kem_public)
    submit(person.party, signed, now)
    return signed


def test_new_conversations_get_the_new_team_key(helpline, staff, now):
    team_key, _ = rotate(helpline, staff, now=now)
    opened = conversation_open(
        suite=1,
        language="fr",
        campaign=None,
        visitor_kem_pk=suite1.public_bytes(suite1.private_key_generate()),
        visitor_sig_pk=suite1.public_bytes(suite1.private_key_generate()),
        now=now,
    )
    assert opened.team_key.version == team_key.version == 2


def test_a_live_conversation_moves_to_the_new_key_with_a_signed_epoch(
    helpline, staff, visitor, view_as, submit, now
):
    team_key, team_private = rotate(helpline, staff, now=now)
    assert selectors.team_key_usage() == {1: 1}

    signed = rekey(view_as, submit, staff, visitor, team_key, team_private, now)

    assert signed.commit.reason == "rekey"
    assert signed.commit.team_key_version == 2
    assert selectors.team_key_usage() == {2: 1}
    # The visitor's browser checks the staff signature and opens its own wrap.
    visitor.state.cert_add(staff.device().certificate())
    visitor.state.team_key_add(team_key.announcement())
    visitor.state.commit_accept(signed.commit, signed.signature, signed.wraps[1])
    assert visitor.state.current_epoch == 1
    # And the staff side reads the new epoch with v2 alone.
    state = view_as(staff, visitor.conversation_id)
    assert 1 not in state.secrets  # helpline.team_private is v1 only
    state.open_keys = {suite1.key_id(bytes(team_key.public_key)): team_private}
    state.commit_accept(signed.commit, signed.signature, signed.wraps[0])
    assert state.secrets[1] == visitor.state.secrets[1]


def test_an_old_version_is_destroyed_only_once_no_conversation_has_an_epoch_under_it(
    helpline, staff, visitor, view_as, submit, now
):
    team_key, team_private = rotate(helpline, staff, now=now)
    rekey(view_as, submit, staff, visitor, team_key, team_private, now)
    # The conversation's epoch 0 is still under v1: its history must stay readable.
    limit = now + timedelta(days=30)
    assert team_keys_shred(now=limit) == []
    assert conversations_expire(now=limit) == 0
    assert team_keys_shred(now=limit) == []
    assert TeamKeyWrap.objects.filter(team_key__version=1).exists()

    assert conversations_expire(now=limit + SECOND) == 1
    assert team_keys_shred(now=limit + SECOND) == [1]

    v1 = TeamKey.objects.get(version=1)
    assert v1.destroyed_at == limit + SECOND
    assert not TeamKeyWrap.objects.filter(team_key=v1).exists()
    retired = staff.device().retired_wrap_key_ids
    assert retired == [suite1.key_id(staff.keys.kem_public).hex()]
    assert team_keys_shred(now=limit + SECOND) == []  # idempotent


def test_the_current_version_is_never_destroyed(helpline, now):
    assert team_key_destroy_if_unused(version=1, now=now + timedelta(days=60)) is False
    assert TeamKey.objects.get(version=1).destroyed_at is None


def test_a_device_told_of_the_destruction_keeps_only_the_keys_of_live_versions(
    helpline, staff, now
):
    team_key, team_private = rotate(helpline, staff, now=now)
    assert team_keys_shred(now=now) == [1]  # no conversation ever used v1

    retired = staff.device().retired_wrap_key_ids
    assert staff.keys.wrap_keys_retire(retired) == 1
    assert staff.keys.kem is None
    # v2 still opens from its wrap, with the wrap key the device kept.
    wrap = dict(selectors.team_keys_for_device(staff.device()))[team_key]
    # The wrap names the wrap key it is sealed to, not the (retired) certificate's.
    assert bytes(wrap.kem_public_key) == suite1.public_bytes(staff.keys.wrap_keys[0])
    opened = staff.keys.team_wrap_open(
        bytes(wrap.ciphertext), team_key.announcement(), kem_pk=bytes(wrap.kem_public_key)
    )
    assert suite1.public_bytes(opened) == suite1.public_bytes(team_private)


def test_a_commit_under_a_destroyed_version_is_refused(helpline, staff, now):
    rotate(helpline, staff, now=now)
    team_keys_shred(now=now)
    visitor = visitor_arrives(helpline, now, commit=False)
    old = TeamKey.objects.get(version=1)
    signed = visitor.epoch_zero(old.announcement())
    with pytest.raises(CommitRejected):
        commit_signed(visitor.party, signed, now)


def test_a_version_is_never_wrapped_to_a_kem_key_that_carries_another(helpline, staff, now):
    """Without a wrap key, a device gets no new version: its certificate's KEM key
    already carries v1, and one KEM key serves one version only."""
    team_key = keyring.team_key_create(admin=helpline.admin, days=TEAM_KEY_DAYS, now=now)
    assert not TeamKeyWrap.objects.filter(team_key=team_key).exists()
    sealed = certs.team_wrap_seal(
        team_key=helpline.team_private,  # any scalar: the server cannot tell
        version=team_key.version,
        device_id=staff.device_id,
        device_kem_pk=staff.keys.kem_public,
    )
    with pytest.raises(WrapKeyRefused):
        team_key_wrap_add(
            version=team_key.version, device_id=staff.device_id, ciphertext=sealed, now=now
        )


def test_a_retired_kem_key_receives_nothing_again(helpline, staff, now):
    rotate(helpline, staff, now=now)
    team_keys_shred(now=now)
    with pytest.raises(WrapKeyRefused):
        team_key_wrap_add(
            version=2,
            device_id=staff.device_id,
            ciphertext=bytes(113),
            kem_pk=staff.keys.kem_public,
            now=now,
        )


def test_a_wrap_key_must_be_signed_by_its_own_device(helpline, staff, colleague, now):
    kem_pk = suite1.public_bytes(suite1.private_key_generate())
    forged = certs.wrap_key_sign(
        device_sig_key=colleague.keys.sig, device_id=staff.device_id, kem_pk=kem_pk
    )
    with pytest.raises(WrapKeyRefused):
        device_wrap_key_publish(device_id=staff.device_id, kem_pk=kem_pk, signature=forged, now=now)
    assert staff.device().next_wrap_public_key is None


def test_a_revoked_or_pending_device_publishes_no_wrap_key(
    helpline, revoked_staff, pending_staff, now
):
    for person in (revoked_staff, pending_staff):
        with pytest.raises(DeviceNotCertified):
            keyring.wrap_key_publish(keys=person.keys, now=now)


def test_revoking_a_device_that_holds_the_team_key_makes_rotation_due(
    helpline, staff, colleague, now
):
    keyring.team_keys_rewrap(holder=staff.keys, device_id=colleague.device_id, now=now)
    assert selectors.team_key_rotation_due(now=now) == []
    device_revoke(device_id=colleague.device_id, now=now)
    assert selectors.team_key_rotation_due(now=now) == ["device_revoked"]
    team_key, _ = rotate(helpline, staff, now=now)
    assert selectors.team_key_rotation_due(now=now) == []


def test_rotation_is_due_on_schedule_and_not_a_second_before(helpline, settings):
    settings.CHAT_TEAM_KEY_ROTATION_DAYS = 30
    made = TeamKey.objects.get(version=1).created_at
    due = made + timedelta(days=30)
    assert selectors.team_key_rotation_due(now=due - SECOND) == []
    assert selectors.team_key_rotation_due(now=due) == ["schedule"]
