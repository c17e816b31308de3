"""The staff sign-in with its second factor, lockout, recovery codes and the audit log
(issue 10), through the pages, as a person does it."""

from __future__ import annotations

import re

from axes.models import AccessAttempt
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action, AuditEntry
from chat.client.totp import totp_at
from tests.ops.conftest import PASSWORD
from tests.two_factor import authenticator_for, totp_code


def password_step(client: Client, username: str = "bob", password: str = PASSWORD):
    return client.post("/staff/login/", {"username": username, "password": password})


def test_a_first_sign_in_enrols_an_authenticator_then_shows_recovery_codes_once(nurse):
    TOTPDevice.objects.filter(user=nurse.user).delete()
    client = Client()
    assert password_step(client)["Location"] == "/staff/2fa/setup/"
    assert client.get("/staff/").status_code == 302  # not signed in yet
    page = client.get("/staff/2fa/setup/").content.decode()
    device = TOTPDevice.objects.get(user=nurse.user, confirmed=False)
    assert client.post("/staff/2fa/setup/", {"code": "000000"}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try wait a second
    shown = client.post("/staff/2fa/setup/", {"code": totp_code(device)}).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{4}-[a-z2-7]{4})</li>", shown)
    assert len(codes) == 10 and "<svg" in page
    assert client.get("/staff/").status_code == 200
    # A recovery code signs in once, never twice.
    for expected in (302, 200):
        other = Client()
        password_step(other)
        assert other.post("/staff/2fa/", {"code": codes[0]}).status_code == expected
    assert AuditEntry.objects.filter(action=Action.RECOVERY_CODE_USED).count() == 1


def test_a_wrong_or_replayed_code_does_not_sign_in(nurse):
    device = authenticator_for(nurse.user)
    first = Client()
    password_step(first)
    code = totp_code(device)
    assert first.post("/staff/2fa/", {"code": code})["Location"] == "/staff/"
    second = Client()
    password_step(second)
    replayed = second.post("/staff/2fa/", {"code": code})
    assert replayed.status_code == 200  # used once; the page says so, not just "wrong"
    assert "Ce code a déjà servi" in replayed.content.decode()  # French first
    assert second.get("/staff/").status_code == 302
    assert AuditEntry.objects.filter(action=Action.SECOND_FACTOR_FAILED).count() == 1


def test_a_password_alone_opens_nothing(nurse):
    client = Client()
    password_step(client)
    for path in ("/staff/", "/staff/security/", "/staff/api/dashboard"):
        assert client.get(path).status_code in (302, 403), path


def test_wrong_passwords_lock_the_username_for_a_while_and_store_no_address(nurse, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), password="wrong")
    locked = password_step(Client())  # the right password, during the lock
    assert locked.status_code == 429
    assert b"locked-out" in locked.content
    attempt = AccessAttempt.objects.get(username="bob")
    assert attempt.ip_address in (None, "")
    assert attempt.user_agent == ""
    assert AuditEntry.objects.filter(action=Action.LOGIN_LOCKED_OUT, actor=nurse.user).exists()
    # The lock ends on its own: after the cool-off the password works again.
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time.replace(year=2000))
    assert password_step(Client())["Location"] == "/staff/2fa/"


def test_signing_in_is_audited_without_any_address(nurse):
    client = Client()
    password_step(client)
    client.post("/staff/2fa/", {"code": totp_code(authenticator_for(nurse.user))})
    entry = AuditEntry.objects.get(action=Action.LOGIN_SUCCEEDED)
    assert (entry.actor, entry.actor_name) == (nurse.user, "bob")
    assert "127.0.0.1" not in str(entry.details) + entry.target


def test_the_audit_page_is_the_coordinators_only(coordinator, nurse, interpreter):
    assert coordinator.client.get("/staff/audit/").status_code == 200
    assert nurse.client.get("/staff/audit/").status_code == 403
    assert interpreter.client.get("/staff/audit/").status_code == 403


def test_the_reference_clients_totp_codes_are_django_otps(nurse):
    from base64 import b32encode

    device = authenticator_for(nurse.user)
    secret = b32encode(device.bin_key).decode()
    import time

    assert totp_at(secret, int(time.time()) // 30) == totp_code(device)
