"""The staff JSON API (/staff/api/), from every side: anonymous, an account that is not
staff, a staff member who is not the coordinator, the coordinator, another person's
device, bad signatures, stale versions, missing CSRF tokens."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from chat import selectors as chat_selectors
from chat.crypto import suite1
from chat.crypto.encoding import b64decode, b64encode
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.models import AdminKey, Device, TeamKey, TeamKeyWrap
from ops.devices import services
from tests.ops.conftest import (
    DAY,
    TeamKeyMade,
    announcement_json,
    cert_for,
    team_announcement,
    team_wrap,
)

API = "/staff/api"
NOT_A_POINT = b"\x04" + b"\x01" * 64


def post(client: Client, path: str, body: dict, **extra) -> object:
    return client.post(API + path, data=json.dumps(body), content_type="application/json", **extra)


def register_body(keys: DeviceKeys, **overrides) -> dict:
    body = {
        "label": "Chrome · Windows",
        "kem_pk": b64encode(keys.kem_public),
        "sig_pk": b64encode(keys.sig_public),
    }
    return {**body, **overrides}


def certify_body(admin: AdminKeys, keys: DeviceKeys, now) -> dict:
    device = Device.objects.get(pk=keys.device_id)
    not_after = int(now.timestamp()) + 365 * DAY
    cert = cert_for(admin, device, not_after=not_after)
    return {"not_after": not_after, "signature": b64encode(cert.sig)}


def error_of(response) -> str:
    return response.json()["error"]


# -- who may call what ----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/devices/00000000-0000-4000-8000-000000000000"),
    ("get", "/setup"),
    ("post", "/devices"),
    ("post", "/setup/admin-key"),
    ("post", "/devices/00000000-0000-4000-8000-000000000000/certify"),
    ("post", "/devices/00000000-0000-4000-8000-000000000000/revoke"),
    ("post", "/devices/00000000-0000-4000-8000-000000000000/wrap-key"),
    ("post", "/team-keys"),
    ("post", "/team-keys/1/wraps"),
]
COORDINATOR_ENDPOINTS = [
    ("get", "/setup"),
    ("post", "/setup/admin-key"),
    ("post", "/devices/00000000-0000-4000-8000-000000000000/certify"),
    ("post", "/devices/00000000-0000-4000-8000-000000000000/revoke"),
    ("post", "/team-keys"),
    ("post", "/team-keys/1/wraps"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_403_in_json_never_a_login_redirect(db, method, path):
    response = getattr(Client(), method)(API + path, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response) == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_an_account_without_staff_profile_is_refused(outsider, method, path):
    response = getattr(outsider, method)(API + path, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response) == "forbidden"


@pytest.mark.parametrize(("method", "path"), COORDINATOR_ENDPOINTS)
def test_a_nurse_cannot_use_coordinator_endpoints(nurse, method, path):
    response = getattr(nurse.client, method)(API + path, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response) == "forbidden"


def test_a_superuser_without_profile_counts_as_coordinator(db, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x" * 16)
    client = Client()
    client.force_login(root)
    assert client.get(API + "/setup").status_code == 200


def test_the_wrong_method_is_refused(nurse):
    response = nurse.client.get(API + "/devices")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_api_answers_carry_the_strict_csp_and_are_not_cached(coordinator):
    response = coordinator.client.get(API + "/setup")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


# -- CSRF -----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)
    response = post(client, "/devices", register_body(DeviceKeys.generate()))
    assert response.status_code == 403
    assert error_of(response) == "csrf_failed"
    assert not Device.objects.exists()


def test_a_post_with_the_csrf_header_goes_through(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse.user)
    client.get("/staff/")  # sets the csrftoken cookie, as the page does
    token = client.cookies["csrftoken"].value
    response = post(
        client, "/devices", register_body(DeviceKeys.generate()), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


def test_coordinator_endpoints_enforce_csrf_too(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator.user)
    admin = AdminKeys.generate()
    response = post(client, "/setup/admin-key", {"public_key": b64encode(admin.public)})
    assert response.status_code == 403
    assert chat_selectors.admin_key_current() is None


# -- registering a device -------------------------------------------------------------------


def test_a_nurse_registers_this_browser_as_a_pending_staff_device(nurse):
    keys = DeviceKeys.generate()
    response = post(nurse.client, "/devices", register_body(keys))
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending"
    assert body["role"] == "staff"
    assert body["cert"] is None
    assert b64decode(body["sig_pk"]) == keys.sig_public
    device = Device.objects.get(pk=body["device_id"])
    assert device.user == nurse.user
    assert device.label == "Chrome · Windows"


def test_a_staff_profile_cannot_register_an_interpreter_device(nurse):
    response = post(
        nurse.client, "/devices", register_body(DeviceKeys.generate(), role="interpreter")
    )
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_an_interpreter_profile_registers_interpreter_devices_only(interpreter):
    keys = DeviceKeys.generate()
    assert post(interpreter.client, "/devices", register_body(keys)).status_code == 403
    response = post(interpreter.client, "/devices", register_body(keys, role="interpreter"))
    assert response.status_code == 201
    assert response.json()["role"] == "interpreter"


def test_a_key_that_is_not_a_p256_point_is_refused(nurse):
    body = register_body(DeviceKeys.generate(), kem_pk=b64encode(NOT_A_POINT))
    response = post(nurse.client, "/devices", body)
    assert response.status_code == 400
    assert error_of(response) == "key_invalid"


@pytest.mark.parametrize(
    "body",
    [
        {"kem_pk": "not base64", "sig_pk": "AA=="},
        {"label": "x"},
        {"kem_pk": b64encode(b"\x04" * 64), "sig_pk": b64encode(b"\x04" * 65)},
        {"extra": 1},
        [],
    ],
)
def test_malformed_bodies_are_a_400(nurse, body):
    if isinstance(body, dict) and "extra" in body:
        body = {**register_body(DeviceKeys.generate()), **body}
    response = post(nurse.client, "/devices", body)
    assert response.status_code == 400
    assert error_of(response) == "bad_request"
    assert not Device.objects.exists()


def test_a_body_that_is_not_json_is_a_400(nurse):
    response = nurse.client.post(API + "/devices", data="{", content_type="application/json")
    assert response.status_code == 400


def test_one_person_cannot_pile_up_pending_devices(nurse, now):
    for _ in range(services.MAX_PENDING_DEVICES_PER_USER):
        nurse.device_register(now=now)
    response = post(nurse.client, "/devices", register_body(DeviceKeys.generate()))
    assert response.status_code == 409
    assert error_of(response) == "too_many_pending"


# -- reading one's own device -----------------------------------------------------------------


def test_a_nurse_reads_her_own_pending_device(nurse, now):
    keys = nurse.device_register(now=now)
    response = nurse.client.get(f"{API}/devices/{keys.device_id}")
    assert response.status_code == 200
    assert response.json()["state"] == "pending"
    assert response.json()["cert"] is None


def test_another_persons_device_is_not_found(nurse, coordinator, now):
    keys = coordinator.device_register(now=now)
    response = nurse.client.get(f"{API}/devices/{keys.device_id}")
    assert response.status_code == 404
    assert error_of(response) == "not_found"


def test_an_unknown_device_is_not_found(nurse):
    response = nurse.client.get(f"{API}/devices/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404


def test_a_certified_device_gets_its_certificate_and_team_key_wraps(nurse, certify, team_key, now):
    keys = nurse.device_register(now=now)
    certify(keys)
    made = team_key(keys)
    body = nurse.client.get(f"{API}/devices/{keys.device_id}").json()
    assert body["state"] == "certified"
    assert body["cert"]["device_id"] == keys.device_id
    assert body["admin_key"]["fingerprint"]
    [entry] = body["team_keys"]
    assert entry["announcement"]["version"] == made.version
    # The wrap names the KEM key it is sealed to: here the certificate's.
    assert b64decode(entry["wrap"]["kem_pk"]) == keys.kem_public
    wrap = b64decode(entry["wrap"]["ct"])
    from chat.crypto import certs

    opened = certs.team_wrap_open(
        wrap, device_kem_key=keys.kem, device_id=keys.device_id, announcement=made.announcement
    )
    assert suite1.public_bytes(opened) == made.announcement.pk


def test_a_device_certified_under_an_earlier_admin_key_must_be_certified_again(
    nurse, certify, coordinator, now
):
    keys = nurse.device_register(now=now)
    certify(keys)
    services.admin_key_install(public_key=AdminKeys.generate().public, replace=True, now=now)
    body = nurse.client.get(f"{API}/devices/{keys.device_id}").json()
    assert body["state"] == "pending"
    assert body["cert"] is None


# -- the setup overview -----------------------------------------------------------------------


def test_setup_of_a_new_helpline_has_no_keys(coordinator):
    body = coordinator.client.get(API + "/setup").json()
    assert body["admin_key"] is None
    assert body["team_keys"] == []
    assert body["current_team_key_version"] is None
    assert body["next_team_key_version"] == 1
    assert body["devices"] == []


def test_setup_lists_every_device_with_who_holds_which_team_key(
    coordinator, nurse, admin, certify, team_key, now
):
    mine = coordinator.device_register(now=now)
    hers = nurse.device_register(now=now)
    certify(mine)
    team_key(mine)
    body = coordinator.client.get(API + "/setup").json()
    assert b64decode(body["admin_key"]["fingerprint"]) == suite1.admin_fingerprint(admin.public)
    assert body["current_team_key_version"] == 1
    devices = {d["device_id"]: d for d in body["devices"]}
    assert devices[mine.device_id]["state"] == "certified"
    assert devices[mine.device_id]["team_key_versions"] == [1]
    assert devices[mine.device_id]["is_mine"] is True
    assert devices[hers.device_id]["state"] == "pending"
    assert devices[hers.device_id]["username"] == "bob"
    assert devices[hers.device_id]["public_label"] == "Infirmière"
    assert devices[hers.device_id]["team_key_versions"] == []
    assert devices[hers.device_id]["cert"] is None
    assert devices[mine.device_id]["cert"]["sig"]
    assert b64decode(devices[hers.device_id]["sig_pk"]) == hers.sig_public


def test_setup_advises_rotation_after_a_holder_is_revoked(
    coordinator, nurse, certify, team_key, now
):
    keys = nurse.device_register(now=now)
    certify(keys)
    team_key(keys)
    assert coordinator.client.get(API + "/setup").json()["rotation_due"] == []
    post(coordinator.client, f"/devices/{keys.device_id}/revoke", {})
    assert coordinator.client.get(API + "/setup").json()["rotation_due"] == ["device_revoked"]


# -- the admin key --------------------------------------------------------------------------


def test_the_coordinator_installs_the_admin_public_key(coordinator):
    admin = AdminKeys.generate()
    response = post(coordinator.client, "/setup/admin-key", {"public_key": b64encode(admin.public)})
    assert response.status_code == 201
    fingerprint = b64decode(response.json()["admin_key"]["fingerprint"])
    assert fingerprint == suite1.admin_fingerprint(admin.public)
    assert bytes(chat_selectors.admin_key_current().public_key) == admin.public


def test_an_existing_admin_key_is_not_replaced_without_asking(coordinator, admin):
    other = AdminKeys.generate()
    response = post(coordinator.client, "/setup/admin-key", {"public_key": b64encode(other.public)})
    assert response.status_code == 409
    assert error_of(response) == "admin_key_exists"
    assert bytes(chat_selectors.admin_key_current().public_key) == admin.public


def test_the_admin_key_is_replaced_when_asked_explicitly(coordinator, admin):
    other = AdminKeys.generate()
    body = {"public_key": b64encode(other.public), "replace": True}
    assert post(coordinator.client, "/setup/admin-key", body).status_code == 201
    assert bytes(chat_selectors.admin_key_current().public_key) == other.public
    assert AdminKey.objects.filter(is_active=False).count() == 1


def test_an_admin_key_that_is_not_a_point_is_refused(coordinator):
    response = post(coordinator.client, "/setup/admin-key", {"public_key": b64encode(NOT_A_POINT)})
    assert response.status_code == 400
    assert chat_selectors.admin_key_current() is None


def test_a_nurse_cannot_install_an_admin_key(nurse):
    body = {"public_key": b64encode(AdminKeys.generate().public)}
    assert post(nurse.client, "/setup/admin-key", body).status_code == 403
    assert chat_selectors.admin_key_current() is None


# -- certifying and revoking -------------------------------------------------------------------


def test_the_coordinator_certifies_a_device_with_a_signature_made_in_the_browser(
    coordinator, nurse, admin, now
):
    keys = nurse.device_register(now=now)
    response = post(
        coordinator.client, f"/devices/{keys.device_id}/certify", certify_body(admin, keys, now)
    )
    assert response.status_code == 200
    assert response.json()["state"] == "certified"
    assert Device.objects.get(pk=keys.device_id).state == Device.State.CERTIFIED


def test_a_certificate_signed_by_another_key_is_refused_and_nothing_changes(
    coordinator, nurse, admin, now
):
    keys = nurse.device_register(now=now)
    impostor = AdminKeys.generate()
    response = post(
        coordinator.client, f"/devices/{keys.device_id}/certify", certify_body(impostor, keys, now)
    )
    assert response.status_code == 400
    assert error_of(response) == "bad_signature"
    device = Device.objects.get(pk=keys.device_id)
    assert device.state == Device.State.PENDING
    assert device.cert_signature is None


def test_a_certificate_for_another_role_is_refused(coordinator, nurse, admin, now):
    keys = nurse.device_register(now=now)
    device = Device.objects.get(pk=keys.device_id)
    device.role = "interpreter"  # sign as if it were an interpreter device
    not_after = int(now.timestamp()) + DAY
    cert = cert_for(admin, device, not_after=not_after)
    body = {"not_after": not_after, "signature": b64encode(cert.sig)}
    response = post(coordinator.client, f"/devices/{keys.device_id}/certify", body)
    assert response.status_code == 400
    assert Device.objects.get(pk=keys.device_id).state == Device.State.PENDING


def test_an_expired_certificate_is_refused(coordinator, nurse, admin, now):
    keys = nurse.device_register(now=now)
    device = Device.objects.get(pk=keys.device_id)
    not_after = int(now.timestamp()) - 1
    cert = cert_for(admin, device, not_after=not_after)
    body = {"not_after": not_after, "signature": b64encode(cert.sig)}
    response = post(coordinator.client, f"/devices/{keys.device_id}/certify", body)
    assert response.status_code == 400


def test_certifying_before_there_is_an_admin_key_is_a_conflict(coordinator, nurse, now):
    keys = nurse.device_register(now=now)
    body = certify_body(AdminKeys.generate(), keys, now)
    response = post(coordinator.client, f"/devices/{keys.device_id}/certify", body)
    assert response.status_code == 409
    assert error_of(response) == "not_ready"


def test_certifying_an_unknown_device_is_not_found(coordinator, admin):
    body = {"not_after": 2_000_000_000, "signature": b64encode(b"\x00" * 64)}
    response = post(
        coordinator.client, "/devices/00000000-0000-4000-8000-000000000000/certify", body
    )
    assert response.status_code == 404


def test_a_revoked_device_cannot_be_certified_again(coordinator, nurse, admin, now):
    keys = nurse.device_register(now=now)
    post(coordinator.client, f"/devices/{keys.device_id}/revoke", {})
    response = post(
        coordinator.client, f"/devices/{keys.device_id}/certify", certify_body(admin, keys, now)
    )
    assert response.status_code == 409
    assert Device.objects.get(pk=keys.device_id).state == Device.State.REVOKED


def test_a_nurse_cannot_certify_her_own_device(nurse, admin, now):
    keys = nurse.device_register(now=now)
    response = post(
        nurse.client, f"/devices/{keys.device_id}/certify", certify_body(admin, keys, now)
    )
    assert response.status_code == 403
    assert Device.objects.get(pk=keys.device_id).state == Device.State.PENDING


def test_the_coordinator_revokes_a_device(coordinator, nurse, certify, now):
    keys = nurse.device_register(now=now)
    certify(keys)
    response = post(coordinator.client, f"/devices/{keys.device_id}/revoke", {})
    assert response.status_code == 200
    assert response.json() == {"device_id": keys.device_id, "state": "revoked", "changed": True}
    assert Device.objects.get(pk=keys.device_id).state == Device.State.REVOKED
    again = post(coordinator.client, f"/devices/{keys.device_id}/revoke", {})
    assert again.json()["changed"] is False


def test_a_nurse_cannot_revoke_a_colleagues_device(nurse, coordinator, now):
    keys = coordinator.device_register(now=now)
    assert post(nurse.client, f"/devices/{keys.device_id}/revoke", {}).status_code == 403
    assert Device.objects.get(pk=keys.device_id).state == Device.State.PENDING


def test_revoking_an_unknown_device_is_not_found(coordinator):
    response = post(coordinator.client, "/devices/00000000-0000-4000-8000-000000000000/revoke", {})
    assert response.status_code == 404


# -- team keys ------------------------------------------------------------------------------


def test_the_coordinator_publishes_the_first_team_key_with_wraps(
    coordinator, nurse, admin, certify, now
):
    keys = nurse.device_register(now=now)
    certify(keys)
    key, announcement = team_announcement(admin, version=1, now=now)
    made = TeamKeyMade(version=1, key=key, announcement=announcement)
    body = {
        "announcement": announcement_json(announcement),
        "wraps": {keys.device_id: b64encode(team_wrap(made, keys))},
    }
    response = post(coordinator.client, "/team-keys", body)
    assert response.status_code == 201
    assert response.json()["wraps"] == 1
    assert TeamKeyWrap.objects.filter(team_key__version=1, device_id=keys.device_id).exists()


def test_a_team_key_with_a_stale_version_is_a_conflict(coordinator, admin, team_key, now):
    team_key()
    _, announcement = team_announcement(admin, version=1, now=now)
    response = post(
        coordinator.client,
        "/team-keys",
        {"announcement": announcement_json(announcement), "wraps": {}},
    )
    assert response.status_code == 409
    assert error_of(response) == "version_conflict"
    assert TeamKey.objects.count() == 1


def test_a_team_key_that_skips_a_version_is_a_conflict(coordinator, admin, now):
    _, announcement = team_announcement(admin, version=2, now=now)
    response = post(
        coordinator.client,
        "/team-keys",
        {"announcement": announcement_json(announcement), "wraps": {}},
    )
    assert response.status_code == 409
    assert not TeamKey.objects.exists()


def test_a_team_key_announced_by_another_key_is_refused(coordinator, admin, now):
    _, announcement = team_announcement(AdminKeys.generate(), version=1, now=now)
    response = post(
        coordinator.client,
        "/team-keys",
        {"announcement": announcement_json(announcement), "wraps": {}},
    )
    assert response.status_code == 400
    assert error_of(response) == "bad_signature"
    assert not TeamKey.objects.exists()


def test_a_team_key_wrapped_to_a_pending_device_is_refused_whole(
    coordinator, nurse, admin, certify, now
):
    certified = coordinator.device_register(now=now)
    certify(certified)
    pending = nurse.device_register(now=now)
    key, announcement = team_announcement(admin, version=1, now=now)
    made = TeamKeyMade(version=1, key=key, announcement=announcement)
    body = {
        "announcement": announcement_json(announcement),
        "wraps": {
            certified.device_id: b64encode(team_wrap(made, certified)),
            pending.device_id: b64encode(team_wrap(made, pending)),
        },
    }
    response = post(coordinator.client, "/team-keys", body)
    assert response.status_code == 409
    assert error_of(response) == "device_not_certified"
    assert not TeamKey.objects.exists()
    assert not TeamKeyWrap.objects.exists()


def test_a_nurse_cannot_publish_a_team_key(nurse, admin, now):
    _, announcement = team_announcement(admin, version=1, now=now)
    body = {"announcement": announcement_json(announcement), "wraps": {}}
    assert post(nurse.client, "/team-keys", body).status_code == 403
    assert not TeamKey.objects.exists()


def test_the_coordinator_wraps_the_team_key_to_a_device_certified_later(
    coordinator, nurse, certify, team_key, now
):
    mine = coordinator.device_register(now=now)
    certify(mine)
    made = team_key(mine)
    hers = nurse.device_register(now=now)
    certify(hers)
    body = {"device_id": hers.device_id, "ct": b64encode(team_wrap(made, hers))}
    response = post(coordinator.client, f"/team-keys/{made.version}/wraps", body)
    assert response.status_code == 201
    assert TeamKeyWrap.objects.filter(device_id=hers.device_id).count() == 1


def test_a_wrap_for_an_unknown_team_key_version_is_not_found(coordinator, nurse, certify, now):
    hers = nurse.device_register(now=now)
    certify(hers)
    body = {"device_id": hers.device_id, "ct": b64encode(b"\x00" * 113)}
    response = post(coordinator.client, "/team-keys/7/wraps", body)
    assert response.status_code == 404


def test_a_wrap_to_a_pending_device_is_refused(coordinator, nurse, certify, team_key, now):
    mine = coordinator.device_register(now=now)
    certify(mine)
    made = team_key(mine)
    hers = nurse.device_register(now=now)
    body = {"device_id": hers.device_id, "ct": b64encode(team_wrap(made, hers))}
    response = post(coordinator.client, f"/team-keys/{made.version}/wraps", body)
    assert response.status_code == 409
    assert not TeamKeyWrap.objects.filter(device_id=hers.device_id).exists()


def test_a_wrap_of_the_wrong_size_is_a_400(coordinator, nurse, certify, team_key, now):
    mine = coordinator.device_register(now=now)
    certify(mine)
    made = team_key(mine)
    body = {"device_id": mine.device_id, "ct": b64encode(b"\x00" * 112)}
    assert post(coordinator.client, f"/team-keys/{made.version}/wraps", body).status_code == 400


def test_a_nurse_cannot_add_team_key_wraps(nurse, coordinator, certify, team_key, now):
    mine = coordinator.device_register(now=now)
    certify(mine)
    made = team_key(mine)
    hers = nurse.device_register(now=now)
    certify(hers)
    body = {"device_id": hers.device_id, "ct": b64encode(team_wrap(made, hers))}
    assert post(nurse.client, f"/team-keys/{made.version}/wraps", body).status_code == 403
    assert not TeamKeyWrap.objects.filter(device_id=hers.device_id).exists()
