"""Writes of the staff side (STYLE.md habit 1). Key ceremonies happen in browsers: these
functions receive public keys, signatures and wraps only, check what the staff side
adds to the rules, and hand over to chat's services, which verify the cryptography."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import selectors as chat_selectors
from chat.crypto.certs import TeamKeyAnnouncement
from chat.errors import TeamKeyVersionConflict
from chat.events import Event, events_publish_on_commit
from chat.models import AdminKey, Device, TeamKey, TeamKeyWrap
from chat.services.devices import admin_key_set, device_register
from chat.services.team_keys import (
    team_key_publish,
    team_key_schedule_due_claim,
    team_key_wrap_add,
)
from ops.devices import selectors
from ops.errors import (
    AdminKeyExists,
    NotFound,
    RoleNotAllowed,
    TooManyPendingDevices,
)
from ops.models import DEFAULT_PUBLIC_LABEL, StaffProfile
from ops.routing import events as staff_events

# A browser registers one device; a few more cover cleared storage and a new laptop. More
# than this waiting at once is a script, or clutter on the coordinator's page.
MAX_PENDING_DEVICES_PER_USER = 5


@transaction.atomic
def staff_member_create(
    *,
    username: str,
    password: str,
    public_label: str = DEFAULT_PUBLIC_LABEL,
    is_coordinator: bool = False,
    is_interpreter: bool = False,
    languages: Sequence[str] = (),
) -> AbstractBaseUser:
    """A staff account with its profile. The password goes through Django's hashers."""
    user = get_user_model().objects.create_user(username=username, password=password)
    StaffProfile.objects.create(
        user=user,
        public_label=public_label,
        is_coordinator=is_coordinator,
        is_interpreter=is_interpreter,
        languages=[code.strip().lower() for code in languages if code.strip()],
    )
    return user


def staff_device_register(
    *,
    user: AbstractBaseUser,
    profile: StaffProfile,
    role: str,
    label_text: str,
    kem_pk: bytes,
    sig_pk: bytes,
    now: datetime,
) -> Device:
    """This browser's device, pending until the coordinator certifies it."""
    expected = Device.Role.INTERPRETER if profile.is_interpreter else Device.Role.STAFF
    if role != expected:
        raise RoleNotAllowed(f"this profile registers {expected} devices")
    if selectors.devices_pending_count(user=user) >= MAX_PENDING_DEVICES_PER_USER:
        raise TooManyPendingDevices(
            f"at most {MAX_PENDING_DEVICES_PER_USER} devices may wait for certification"
        )
    return device_register(
        user=user, role=role, label_text=label_text, kem_pk=kem_pk, sig_pk=sig_pk, now=now
    )


@transaction.atomic
def admin_key_install(*, public_key: bytes, replace: bool, now: datetime) -> AdminKey:
    """Install the admin public key made in the coordinator's browser.

    Replacing an admin key invalidates every device certificate and team key
    announcement it signed, so it happens only when asked for explicitly.
    """
    current = AdminKey.objects.select_for_update().filter(is_active=True).first()
    if current is not None and not replace:
        raise AdminKeyExists("the helpline already has an admin key")
    return admin_key_set(public_key=public_key, now=now)


def team_key_create(
    *,
    announcement: TeamKeyAnnouncement,
    wraps: dict[str, bytes],
    now: datetime,
    wrap_keys: dict[str, bytes] | None = None,
) -> TeamKey:
    """Publish a new team key version made in the coordinator's browser (the first, or
    a rotation). Two coordinators racing for the same version: the second gets a
    conflict to retry."""
    try:
        return team_key_publish(
            announcement=announcement, wraps=wraps, wrap_keys=wrap_keys, now=now
        )
    except IntegrityError as exc:  # another browser published this version meanwhile
        raise TeamKeyVersionConflict("this team key version was just published") from exc


def team_key_wrap_give(
    *, version: int, device_id: str, ciphertext: bytes, now: datetime, kem_pk: bytes | None = None
) -> TeamKeyWrap:
    """Give a certified staff device a team key version, wrapped to it in a browser
    that holds that version (to ``kem_pk``: its wrap key, or by default its
    certificate's KEM key)."""
    return team_key_wrap_add(
        version=version, device_id=device_id, ciphertext=ciphertext, kem_pk=kem_pk, now=now
    )


def team_key_rotation_due_tell(*, now: datetime) -> list[str]:
    """Tell every staff dashboard, after commit, that the team key is due for rotation
    (when it is): the coordinator's browser is the only place it can be signed."""
    reasons = chat_selectors.team_key_rotation_due(now=now)
    if reasons:
        events_publish_on_commit([staff_events.team_key_rotation_due(reasons)])
    return reasons


@transaction.atomic
def team_key_schedule_due_tell(*, now: datetime) -> list[str]:
    """The periodic job's part: tell the dashboards once, when the current
    team key becomes due for rotation on schedule, so that a coordinator who is on line
    is alerted without opening the setup page. The mark and the event commit together:
    a run that fails tells on the next one."""
    if not team_key_schedule_due_claim(now=now):
        return []
    return team_key_rotation_due_tell(now=now)


def team_key_schedule_due_job() -> None:
    """settings.PERIODIC_JOBS: see team_key_schedule_due_tell."""
    team_key_schedule_due_tell(now=timezone.now())


@transaction.atomic
def staff_routing_set(
    *,
    user_id: int,
    languages: list[str] | None = None,
    skills: list[str] | None = None,
    capacity: int | None = None,
    at: datetime,
) -> tuple[StaffProfile, list[Event]]:
    """The coordinator sets what routing knows of a staff member; None keeps a value.
    Languages are stored lower-case and de-duplicated, in the order given."""
    profile = (
        StaffProfile.objects.select_for_update()
        .filter(user_id=user_id, is_interpreter=False)
        .select_related("user")
        .first()
    )
    if profile is None:
        raise NotFound("no such staff member")
    changes = {
        "languages": list(dict.fromkeys(code.lower() for code in languages))
        if languages is not None
        else None,
        "skills": sorted(set(skills)) if skills is not None else None,
        "capacity": capacity,
    }
    fields = [name for name, value in changes.items() if value is not None]
    for name in fields:
        setattr(profile, name, changes[name])
    if fields:
        profile.save(update_fields=fields)
    return profile, [staff_events.presence_changed(profile, at=at)]
