"""Staff sessions: starting one after both factors, ending one, all of a person's, or
those a revoked device proved; and the two hooks the staff socket calls
(``CHAT_STAFF_SESSION_CHECK``, ``CHAT_STAFF_DEVICE_BOUND``).

Ending a session deletes its record (the middleware then treats it as anonymous), the
Django session itself, and tells its sockets (``session.ended``), after commit.
"""

from __future__ import annotations

import time
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.models import Device as OtpDevice

import audit
from audit.models import Action
from chat.events import staff_device_group, staff_session_group
from chat.models import Device
from chat.notices import notices_publish_on_commit
from chat.services.devices import device_revoke
from ops.auth.models import StaffSession
from ops.push.services import staff_device_unsubscribe

# The half-signed-in state between the password and the second factor: in the anonymous
# session, never a login.
PENDING_KEY = "staff_auth.pending"


# -- between the two factors -------------------------------------------------------------


def pending_start(request: HttpRequest, user: AbstractBaseUser, *, next_url: str) -> None:
    """The password was right: remember who, for STAFF_SECOND_FACTOR_SECONDS. A new
    session key, so a key planted before the password (fixation) is worth nothing."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "since": int(time.time()),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> tuple[AbstractBaseUser, str] | None:
    """Who passed the password step in this browser, and where they were going; None
    when nobody did, it was too long ago, or the account went inactive meanwhile."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > settings.STAFF_SECOND_FACTOR_SECONDS:
        del request.session[PENDING_KEY]
        return None
    user = auth.get_user_model().objects.filter(pk=pending.get("user_id"), is_active=True).first()
    if user is None:
        return None
    return user, pending.get("next") or settings.LOGIN_REDIRECT_URL


# -- sessions ---------------------------------------------------------------------------------


@transaction.atomic
def session_start(request: HttpRequest, user: AbstractBaseUser, device: OtpDevice) -> None:
    """Both factors are done: log in (a new session key again), mark the session as
    verified by ``device`` (django-otp) and put it on record."""
    request.session.pop(PENDING_KEY, None)
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    request.session.save()
    StaffSession.objects.create(
        session_key=request.session.session_key, user=user, created_at=timezone.now()
    )


def session_on_record(*, session_key: str | None, user_id: int) -> bool:
    return (
        bool(session_key)
        and StaffSession.objects.filter(session_key=session_key, user_id=user_id).exists()
    )


def sessions_end(records: list[StaffSession]) -> int:
    """End these sessions: their records go (the middleware flushes each session at its
    next request; Django's row is left to expire, so that a request in flight on it
    does not fail while saving), and their sockets are told to close."""
    if not records:
        return 0
    StaffSession.objects.filter(pk__in=[record.pk for record in records]).delete()
    # Also as notices: the sockets close even if Redis loses the fan-out (chat/notices.py).
    notices_publish_on_commit(
        [(staff_session_group(record.session_key), {"type": "session.ended"}) for record in records]
    )
    return len(records)


@transaction.atomic
def session_sign_out(request: HttpRequest) -> None:
    """Sign out of this browser: its record goes, its sockets close, then Django's
    logout flushes the session."""
    user = request.user
    key = request.session.session_key
    if key:
        sessions_end(list(StaffSession.objects.filter(session_key=key)))
    if user.is_authenticated:
        audit.record(user, Action.SIGNED_OUT)
    auth.logout(request)


@transaction.atomic
def sessions_sign_out_everywhere(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> int:
    """Every session of ``user`` ends, in every browser, with its sockets. ``actor`` is
    the person themselves or a coordinator."""
    ended = sessions_end(list(StaffSession.objects.filter(user=user)))
    audit.record(actor, Action.SIGNED_OUT_EVERYWHERE, target=user.get_username())
    return ended


def sessions_expire(*, now: datetime) -> int:
    """Records of sessions that expired while idle (the job); Django's own expired
    sessions are cleared too."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()
    records = StaffSession.objects.all()
    if hasattr(store, "get_model_class"):  # database-backed sessions: one query
        live = store.get_model_class().objects.filter(expire_date__gt=now)
        records = records.exclude(session_key__in=live.values("session_key"))
    else:
        records = records.filter(
            pk__in=[r.pk for r in records if not store().exists(r.session_key)]
        )
    deleted, _ = records.delete()
    return deleted


# -- devices ----------------------------------------------------------------------------------


@transaction.atomic
def staff_device_revoke(*, device_id: str, actor: AbstractBaseUser, now: datetime) -> bool:
    """Revoke a device (chat's service) and, at once: close every socket it
    authenticated (``device.revoked``) and end every session it proved on the staff
    socket. Returns whether the device changed state."""
    changed = device_revoke(device_id=device_id, now=now)
    # The device's sockets first (4403, "revoked"), then the sessions it proved.
    notices_publish_on_commit([(staff_device_group(device_id), {"type": "device.revoked"})])
    sessions_end(list(StaffSession.objects.filter(device_id=device_id)))
    staff_device_unsubscribe(device_id=device_id)  # no push reaches it any more
    if changed:
        device = Device.objects.select_related("user").get(pk=device_id)
        audit.record(
            actor,
            Action.DEVICE_REVOKED,
            target=device_id,
            details={"owner": device.user.get_username(), "role": device.role},
        )
    return changed


# -- hooks of the staff socket (settings.CHAT_STAFF_SESSION_CHECK / _DEVICE_BOUND) -------------


def staff_socket_session_valid(*, session_key: str | None, user_id: int) -> bool:
    """May a staff socket with this session connect? Only a session on record: both
    factors done, not signed out, not ended by a revocation."""
    return session_on_record(session_key=session_key, user_id=user_id)


def staff_socket_device_bound(*, session_key: str | None, device_id: str) -> None:
    """The socket of this session proved ``device_id``'s key: revoking that device will
    end this session."""
    if session_key:
        StaffSession.objects.filter(session_key=session_key).update(device_id=device_id)


# -- a coordinator's actions on an account ------------------------------------------------------


@transaction.atomic
def account_two_factor_reset(*, user: AbstractBaseUser, actor: AbstractBaseUser) -> int:
    """A lost phone and lost recovery codes: forget the account's second factor and end
    its sessions; it enrols a new authenticator at its next sign-in (so do it only for
    a person you have spoken to: until then, the password alone leads to enrolment)."""
    from ops.auth.two_factor import second_factor_reset

    removed = second_factor_reset(user)
    sessions_end(list(StaffSession.objects.filter(user=user)))
    audit.record(actor, Action.TWO_FACTOR_RESET, target=user.get_username())
    return removed
