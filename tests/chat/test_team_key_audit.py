"""The audit log of crypto-shredding and wrap keys (issue 7): destroying a team key
version (the periodic job or `helpline_keys shred`) and a device publishing its wrap key
each leave one entry — who, which version or which device — and nothing else."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from audit.models import Action, AuditEntry
from chat import keyring
from chat.crypto import certs, suite1
from chat.errors import WrapKeyRefused
from chat.services.shredding import team_key_shred_job, team_keys_shred
from chat.services.team_keys import device_wrap_key_publish
from tests.chat.test_team_key_rotation import rotate


def entries(action: str) -> list[tuple]:
    rows = AuditEntry.objects.filter(action=action).order_by("pk")
    return list(rows.values_list("actor_id", "actor_name", "target", "details"))


def test_destroying_a_version_is_audited_once_as_the_helplines_doing(helpline, staff, now):
    rotate(helpline, staff, now=now)
    assert team_keys_shred(now=now) == [1]
    assert team_keys_shred(now=now) == []  # nothing more to destroy, nothing more written

    assert entries(Action.TEAM_KEY_DESTROYED) == [(None, "", "version 1", {"wraps": 1})]


def test_the_periodic_job_and_the_command_audit_what_they_destroy(helpline, staff, now):
    rotate(helpline, staff, now=now)
    team_key_shred_job()
    rotate(helpline, staff, now=now)
    call_command("helpline_keys", "shred", stdout=io.StringIO())

    targets = [target for _, _, target, _ in entries(Action.TEAM_KEY_DESTROYED)]
    assert targets == ["version 1", "version 2"]


def test_a_version_still_in_use_is_not_destroyed_and_not_audited(helpline, now):
    assert team_keys_shred(now=now) == []  # v1 is the current version
    assert entries(Action.TEAM_KEY_DESTROYED) == []


def test_a_published_wrap_key_is_audited_by_the_devices_owner(helpline, staff, now):
    keyring.wrap_key_publish(keys=staff.keys, now=now)

    key_id = suite1.key_id(bytes(staff.device().next_wrap_public_key)).hex()
    user = staff.device().user
    assert entries(Action.WRAP_KEY_PUBLISHED) == [
        (user.pk, user.get_username(), staff.device_id, {"key_id": key_id})
    ]


def test_a_refused_wrap_key_leaves_no_entry(helpline, staff, colleague, now):
    kem_pk = suite1.public_bytes(suite1.private_key_generate())
    signed_by_another = certs.wrap_key_sign(
        device_sig_key=colleague.keys.sig, device_id=staff.device_id, kem_pk=kem_pk
    )
    with pytest.raises(WrapKeyRefused):
        device_wrap_key_publish(
            device_id=staff.device_id, kem_pk=kem_pk, signature=signed_by_another, now=now
        )
    assert entries(Action.WRAP_KEY_PUBLISHED) == []
