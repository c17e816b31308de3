"""Getting through the second factor in tests (issue 10), the way a person does: a
confirmed authenticator (TOTP) and its current code."""

from __future__ import annotations

import time

from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ops.auth.models import StaffSession


def authenticator_for(user) -> TOTPDevice:  # noqa: ANN001
    """The user's confirmed authenticator, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or ``steps_ahead`` steps later, within
    django-otp's tolerance: a second sign-in in the same 30 s needs a fresh code)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def two_factor_session(client, user) -> None:  # noqa: ANN001
    """Make ``client``'s session what the sign-in makes once both factors are done: the
    session is verified by an authenticator of ``user`` and on record
    (ops/auth/sessions.py). Without this, the middleware treats it as anonymous."""
    device = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    StaffSession.objects.get_or_create(
        session_key=session.session_key, defaults={"user": user, "created_at": timezone.now()}
    )
