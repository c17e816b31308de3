"""Team key rotation through the staff API (issue 7), from every side: a device
publishes its wrap key (only its owner, only signed by it), the coordinator rotates
(only the coordinator, only with the admin key's signature, each wrap to a KEM key of
its own), revoking a holder tells the dashboards that rotation is due."""

from __future__ import annotations

import json

import pytest

from audit.models import Action, AuditEntry
from chat.crypto import certs, suite1
from chat.crypto.encoding import b64encode
from chat.crypto.keys import AdminKeys
from chat.models import Device, TeamKeyWrap
from ops.devices import services
from tests.ops.conftest import TeamKeyMade, announcement_json, team_announcement

API = "/staff/api"


def post(client, path: str, body: dict):
    return client.post(API + path, data=json.dumps(body), content_type="application/json")


def wrap_key_body(keys, *, signer=None) -> tuple[dict, suite1.PrivateKey]:
    """A fresh KEM key signed by ``signer`` (the device's own signing key by default)."""
    kem = suite1.private_key_generate()
    kem_pk = suite1.public_bytes(kem)
    signature = certs.wrap_key_sign(
        device_sig_key=signer or keys.sig, device_id=keys.device_id, kem_pk=kem_pk
    )
    return {"kem_pk": b64encode(kem_pk), "signature": b64encode(signature)}, kem


@pytest.fixture
def holder(nurse, certify, team_key, now):
    """The nurse's certified device, holding team key v1 on its certificate KEM key."""
    keys = nurse.device_register(now=now)
    certify(keys)
    team_key(keys)
    return keys


def test_a_device_publishes_its_signed_wrap_key(nurse, holder):
    body, _ = wrap_key_body(holder)
    response = post(nurse.client, f"/devices/{holder.device_id}/wrap-key", body)
    assert response.status_code == 200
    assert response.json()["wrap_key_waiting"] is True
    assert response.json()["retired_wrap_key_ids"] == []
    entry = AuditEntry.objects.get(action=Action.WRAP_KEY_PUBLISHED)
    assert (entry.actor_name, entry.target) == (nurse.user.username, holder.device_id)


def test_nobody_publishes_a_wrap_key_for_someone_elses_device(coordinator, holder):
    body, _ = wrap_key_body(holder)
    response = post(coordinator.client, f"/devices/{holder.device_id}/wrap-key", body)
    assert response.status_code == 404
    assert Device.objects.get(pk=holder.device_id).next_wrap_public_key is None
    assert not AuditEntry.objects.filter(action=Action.WRAP_KEY_PUBLISHED).exists()


def test_a_wrap_key_signed_by_another_key_is_refused(nurse, holder):
    body, _ = wrap_key_body(holder, signer=suite1.private_key_generate())
    response = post(nurse.client, f"/devices/{holder.device_id}/wrap-key", body)
    assert response.status_code == 409
    assert response.json()["error"] == "wrap_key_refused"


def test_the_coordinator_rotates_to_the_wrap_keys_and_setup_shows_the_move(
    coordinator, nurse, admin, holder, now
):
    body, kem = wrap_key_body(holder)
    post(nurse.client, f"/devices/{holder.device_id}/wrap-key", body)
    setup = coordinator.client.get(API + "/setup").json()
    device = next(d for d in setup["devices"] if d["device_id"] == holder.device_id)
    assert device["next_wrap_key"] == body
    assert device["cert_kem_used"] is True

    team, announcement = team_announcement(admin, version=2, now=now)
    made = TeamKeyMade(version=2, key=team, announcement=announcement)
    sealed = certs.team_wrap_seal(
        team_key=made.key,
        version=2,
        device_id=holder.device_id,
        device_kem_pk=suite1.public_bytes(kem),
    )
    response = post(
        coordinator.client,
        "/team-keys",
        {
            "announcement": announcement_json(announcement),
            "wraps": {holder.device_id: b64encode(sealed)},
            "wrap_keys": {holder.device_id: body["kem_pk"]},
        },
    )
    assert response.status_code == 201
    wrap = TeamKeyWrap.objects.get(team_key__version=2, device_id=holder.device_id)
    assert bytes(wrap.kem_public_key) == suite1.public_bytes(kem)
    setup = coordinator.client.get(API + "/setup").json()
    assert setup["current_team_key_version"] == 2
    device = next(d for d in setup["devices"] if d["device_id"] == holder.device_id)
    assert device["next_wrap_key"] is None  # used up: the browser makes another


def test_a_rotation_wrapped_to_a_kem_key_that_carries_v1_is_refused_whole(
    coordinator, admin, holder, now
):
    team, announcement = team_announcement(admin, version=2, now=now)
    sealed = certs.team_wrap_seal(
        team_key=team, version=2, device_id=holder.device_id, device_kem_pk=holder.kem_public
    )
    response = post(
        coordinator.client,
        "/team-keys",
        {
            "announcement": announcement_json(announcement),
            "wraps": {holder.device_id: b64encode(sealed)},
        },
    )
    assert response.status_code == 409
    assert response.json()["error"] == "wrap_key_refused"
    assert not TeamKeyWrap.objects.filter(team_key__version=2).exists()


def test_a_staff_member_cannot_rotate(nurse, admin, holder, now):
    _, announcement = team_announcement(admin, version=2, now=now)
    response = post(
        nurse.client, "/team-keys", {"announcement": announcement_json(announcement), "wraps": {}}
    )
    assert response.status_code == 403


def test_a_team_key_not_signed_by_the_admin_key_is_refused(coordinator, holder, now):
    """A device's own key, or any other, cannot announce a team key."""
    _, bogus = team_announcement(AdminKeys(sig=holder.sig), version=2, now=now)
    response = post(
        coordinator.client, "/team-keys", {"announcement": announcement_json(bogus), "wraps": {}}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_signature"


def test_revoking_a_holder_tells_the_dashboards_rotation_is_due(coordinator, holder, monkeypatch):
    told = []
    monkeypatch.setattr(services, "events_publish_on_commit", told.extend)
    assert coordinator.client.get(API + "/setup").json()["rotation_due"] == []

    post(coordinator.client, f"/devices/{holder.device_id}/revoke", {})

    assert coordinator.client.get(API + "/setup").json()["rotation_due"] == ["device_revoked"]
    events = json.loads(json.dumps(told))
    assert [message["event"] for _, message in events] == ["team_key.rotation_due"]
    assert events[0][1]["data"] == {"reasons": ["device_revoked"]}
