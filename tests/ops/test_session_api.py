"""Signing in without a browser (ops/auth/session_api.py, docs/protocol.md §11.2): the
password and a second-factor code in one JSON request give the session a browser gets,
and every refusal says why in JSON — a code already used in its time step included."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action, AuditEntry
from ops.auth import two_factor
from ops.auth.models import StaffSession
from tests.ops.conftest import PASSWORD
from tests.two_factor import authenticator_for, totp_code

SESSION = "/staff/api/session"


def native_client() -> Client:
    """A client as a native app is: no cookies yet, CSRF enforced."""
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client) -> str:
    answer = client.get(SESSION)
    assert answer.status_code == 200
    assert answer.json()["signed_in"] is False
    return answer.json()["csrf_token"]


def sign_in(client: Client, *, username="bob", password=PASSWORD, code="000000", token=None):
    return client.post(
        SESSION,
        json.dumps({"username": username, "password": password, "code": code}),
        content_type="application/json",
        headers={"X-CSRFToken": token or csrf_token(client)},
    )


def test_the_password_and_a_code_give_a_session_the_api_and_sockets_accept(nurse):
    client = native_client()
    answer = sign_in(client, code=totp_code(authenticator_for(nurse.user)))
    assert answer.status_code == 200
    body = answer.json()
    assert body["signed_in"] is True
    assert body["user"]["username"] == "bob"
    assert body["user"]["coordinator"] is False
    key = client.cookies["sessionid"].value
    assert StaffSession.objects.filter(session_key=key, user=nurse.user).exists()
    assert client.get("/staff/api/dashboard").status_code == 200
    # The CSRF token changed with the login: the new one works, for the next POST.
    assert body["csrf_token"] != ""
    assert AuditEntry.objects.filter(action=Action.LOGIN_SUCCEEDED, actor=nurse.user).exists()


def test_a_code_used_in_its_time_step_gets_a_clear_error_not_a_form(nurse):
    code = totp_code(authenticator_for(nurse.user))
    assert sign_in(native_client(), code=code).status_code == 200
    again = sign_in(native_client(), code=code)
    assert again.status_code == 409
    assert again.json()["error"] == "code_used"
    assert 1 <= int(again["Retry-After"]) <= 30
    assert again["Content-Type"] == "application/json"


def test_a_wrong_code_is_code_wrong(nurse):
    device = authenticator_for(nurse.user)
    wrong = str((int(totp_code(device)) + 500_000) % 1_000_000).zfill(6)
    answer = sign_in(native_client(), code=wrong)
    assert (answer.status_code, answer.json()["error"]) == (401, "code_wrong")
    assert "sessionid" not in answer.cookies
    assert AuditEntry.objects.filter(action=Action.SECOND_FACTOR_FAILED).count() == 1


def test_after_wrong_codes_the_account_waits_and_is_told_how_long(nurse):
    device = authenticator_for(nurse.user)
    for _ in range(5):  # django-otp's throttling: 16 s after the fifth wrong code
        device.throttle_increment()
    answer = sign_in(native_client(), code=totp_code(device))
    assert (answer.status_code, answer.json()["error"]) == (429, "code_throttled")
    assert 1 <= int(answer["Retry-After"]) <= 17
    device.throttle_reset()
    assert sign_in(native_client(), code=totp_code(device)).status_code == 200


def test_a_wrong_password_is_one_answer_for_every_cause(nurse):
    wrong_password = sign_in(native_client(), password="wrong")
    no_account = sign_in(native_client(), username="nobody")
    for answer in (wrong_password, no_account):
        assert (answer.status_code, answer.json()["error"]) == (401, "sign_in_failed")
    assert wrong_password.json() == no_account.json()


def test_wrong_passwords_lock_the_username_in_json(nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(native_client(), password="wrong")
    locked = sign_in(native_client(), code=totp_code(authenticator_for(nurse.user)))
    assert (locked.status_code, locked.json()["error"]) == (429, "locked")
    assert int(locked["Retry-After"]) > 60
    assert "sessionid" not in locked.cookies


def test_an_account_without_an_authenticator_must_enrol_in_a_browser(nurse):
    TOTPDevice.objects.filter(user=nurse.user).delete()
    answer = sign_in(native_client())
    assert (answer.status_code, answer.json()["error"]) == (409, "enrolment_required")
    assert "sessionid" not in answer.cookies


def test_a_recovery_code_signs_in_once(nurse):
    authenticator_for(nurse.user)
    [code, *_] = two_factor.recovery_codes_make(nurse.user)
    first = sign_in(native_client(), code=code)
    assert first.status_code == 200
    assert first.json()["recovery_codes_left"] == 9
    again = sign_in(native_client(), code=code)
    assert (again.status_code, again.json()["error"]) == (401, "code_wrong")


def test_the_sign_in_needs_the_csrf_token_like_every_post(nurse):
    client = native_client()
    client.get(SESSION)
    answer = client.post(
        SESSION,
        json.dumps({"username": "bob", "password": PASSWORD, "code": "123456"}),
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "csrf_failed")


@pytest.mark.parametrize(
    "body",
    [
        '{"username": "bob"}',
        "not json",
        '{"username": "bob", "password": "x", "code": "1", "remember": true}',
    ],
)
def test_a_malformed_body_is_a_bad_request(nurse, body):
    client = native_client()
    answer = client.post(
        SESSION, body, content_type="application/json", headers={"X-CSRFToken": csrf_token(client)}
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_request")


def test_signing_out_ends_the_session_on_record(nurse):
    client = native_client()
    body = sign_in(client, code=totp_code(authenticator_for(nurse.user))).json()
    key = client.cookies["sessionid"].value
    answer = client.delete(SESSION, headers={"X-CSRFToken": body["csrf_token"]})
    assert answer.json() == {"signed_in": False}
    assert not StaffSession.objects.filter(session_key=key).exists()
    assert client.get("/staff/api/dashboard").status_code == 403
