"""The second factor: a TOTP authenticator app (RFC 6238, django-otp) and one-time
recovery codes, for every staff, coordinator and interpreter account.

An account enrols on its first sign-in: the server makes a TOTP secret (an unconfirmed
device), shows it as a QR code and as text, and confirms it once the person types a
code it produced; the recovery codes are then shown once. Codes are verified against
one device at a time, with django-otp's throttling (1, 2, 4 ... seconds after each
wrong code) and its replay protection (a TOTP code is accepted once).
"""

from __future__ import annotations

import secrets
import time
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device as OtpDevice
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"
# Recovery codes: 10 groups of 5 lower-case base32 characters is 50 bits; typed
# with or without the dash.
RECOVERY_CODE_BYTES = 5


@dataclass(frozen=True)
class Verified:
    device: OtpDevice
    recovery_code_used: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class Refused:
    """Why a code did not sign in: ``wrong``, ``used`` (right, but its time step was
    already used: the person waits for the next code), or ``throttled`` (too many wrong
    codes: django-otp makes the account wait). ``retry_after_seconds`` for the last two."""

    reason: str
    retry_after_seconds: int | None = None


def authenticator_of(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_second_factor(user: AbstractBaseUser) -> bool:
    """Whether the account has a confirmed authenticator (else it enrols one)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed: base32, in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@transaction.atomic
def enrolment_start(user: AbstractBaseUser) -> TOTPDevice:
    """The account's pending authenticator: made once, then the same until confirmed
    (reloading the page must not change the QR code the person already scanned)."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is not None:
        return pending
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


@transaction.atomic
def enrolment_confirm(user: AbstractBaseUser, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with a code it made; then make the recovery
    codes. Returns the device and the codes (to show once), or None for a wrong code."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None or not device.verify_token(token_normalise(token)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per account: an older one (a reset that was never finished,
    # a lost phone) goes.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device, recovery_codes_make(user)


@transaction.atomic
def recovery_codes_make(user: AbstractBaseUser) -> list[str]:
    """New recovery codes; the old ones stop working. Shown once, stored as django-otp
    stores them (the StaticToken table)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode().lower()
        for _ in range(settings.STAFF_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def token_normalise(token: str) -> str:
    """What people type: spaces and dashes anywhere, any case."""
    return "".join(token.split()).replace("-", "").lower()


def second_factor_verify(user: AbstractBaseUser, token: str) -> Verified | None:
    """Check a code against the account's authenticator, or, if it does not look like
    one, against its recovery codes (each works once). None for a wrong code, or while
    django-otp's throttling makes the device wait."""
    token = token_normalise(token)
    if not token or len(token) > 16:
        return None
    with transaction.atomic():
        if token.isdigit():
            devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
            recovery = False
        else:
            devices = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
            recovery = True
        for device in devices:
            if device.verify_token(token):
                return Verified(
                    device=device,
                    recovery_code_used=recovery,
                    recovery_codes_left=recovery_codes_left(user),
                )
    return None


def second_factor_check(user: AbstractBaseUser, token: str) -> Verified | Refused:
    """As second_factor_verify, but a refusal says why, so that a client can tell a
    person "this code was already used: wait for the next one" rather than "wrong"."""
    normalised = token_normalise(token)
    authenticator = authenticator_of(user) if normalised.isdigit() else None
    if authenticator is not None:
        allowed, details = authenticator.verify_is_allowed()
        if not allowed:
            return Refused("throttled", seconds_until((details or {}).get("locked_until")))
    verified = second_factor_verify(user, token)
    if verified is not None:
        return verified
    if authenticator is not None and totp_step_used(authenticator, normalised):
        return Refused("used", step_seconds_left(authenticator))
    return Refused("wrong")


def totp_step_used(device: TOTPDevice, token: str) -> bool:
    """Whether ``token`` is the code of a time step the server would take now but that
    a sign-in already used (django-otp accepts each step once)."""
    device.refresh_from_db(fields=["last_t", "drift"])
    now_t = int((time.time() - device.t0) // device.step) - device.drift
    steps = range(now_t - device.tolerance, now_t + device.tolerance + 1)
    return any(
        t <= device.last_t and hotp(device.bin_key, t, digits=device.digits) == int(token)
        for t in steps
    )


def step_seconds_left(device: TOTPDevice) -> int:
    """Seconds until the authenticator app shows its next code."""
    return device.step - int(time.time() - device.t0) % device.step


def seconds_until(moment) -> int | None:  # noqa: ANN001 — an aware datetime or None
    if moment is None:
        return None
    return max(1, int((moment - timezone.now()).total_seconds()) + 1)


@transaction.atomic
def authenticator_replace(user: AbstractBaseUser) -> TOTPDevice:
    """A new confirmed authenticator for ``user``, replacing any other, without the
    person confirming a code: for the demo account only (``demo_seed`` prints its secret),
    from the command line, which can do anything to the database anyway."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)


@transaction.atomic
def second_factor_reset(user: AbstractBaseUser) -> int:
    """Forget the account's authenticator and recovery codes (a lost phone): it enrols
    again at its next sign-in. Returns how many devices went."""
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return totp + static
