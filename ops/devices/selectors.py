"""Reads of the staff side: no writes here (those are in ops/devices/services.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from chat import selectors as chat_selectors
from chat.crypto import certs
from chat.crypto.errors import CryptoError
from chat.models import AdminKey, Device, TeamKey, TeamKeyWrap
from ops.models import Campaign, Presence, Route, StaffProfile

# What a device's certificate amounts to right now (not only Device.state): a certified
# device whose certificate expired or was signed by an earlier admin key must be
# certified again before it can read anything.
STATUS_PENDING = "pending"
STATUS_CERTIFIED = "certified"
STATUS_EXPIRED = "expired"
STATUS_INVALID = "invalid"
STATUS_REVOKED = "revoked"

# Presence (ops/README.md): a person's chosen presence is shown while a dashboard of
# theirs is connected, and for a grace minute after the last one closed (a reload, a
# tunnel on the metro); then "away". A socket that has not pinged for the longer stale
# time no longer counts as connected: its worker may have died without closing it (a
# background tab pings at least once a minute, even throttled).
PRESENCE_GRACE = timedelta(seconds=60)
PRESENCE_SOCKET_STALE = timedelta(seconds=120)


def staff_profile_of(user: AbstractBaseUser | AnonymousUser) -> StaffProfile | None:
    """The staff profile of an active, signed-in user, or None if they are not staff.

    A superuser without a profile (``createsuperuser``, the demo account) counts as a
    coordinator with the default label: the person who installed the helpline is the
    one who sets it up. The profile returned for them is not saved.
    """
    if not (user.is_authenticated and user.is_active):
        return None
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None and user.is_superuser:
        profile = StaffProfile(user=user, is_coordinator=True)
    return profile


def device_of(*, user: AbstractBaseUser, device_id: str) -> Device | None:
    """One of this user's own devices; another user's device is simply not found."""
    return Device.objects.filter(pk=device_id, user=user).first()


def device_get(device_id: str) -> Device | None:
    return Device.objects.filter(pk=device_id).first()


def devices_pending_count(*, user: AbstractBaseUser) -> int:
    return Device.objects.filter(user=user, state=Device.State.PENDING).count()


def device_status(device: Device, *, admin_key: AdminKey | None, now: datetime) -> str:
    if device.state == Device.State.REVOKED:
        return STATUS_REVOKED
    if device.state == Device.State.PENDING or device.cert_signature is None:
        return STATUS_PENDING
    if admin_key is None:
        return STATUS_INVALID
    try:
        certs.cert_verify(
            device.certificate(), admin_pk=bytes(admin_key.public_key), now=int(now.timestamp())
        )
    except CryptoError:
        return STATUS_EXPIRED if device.cert_not_after <= now else STATUS_INVALID
    return STATUS_CERTIFIED


@dataclass(frozen=True)
class DeviceView:
    """A device as the owner (or the coordinator) sees it."""

    device: Device
    status: str
    team_keys: list[tuple[TeamKey, TeamKeyWrap | None]] = field(default_factory=list)
    admin_key: AdminKey | None = None


def device_view(device: Device, *, now: datetime) -> DeviceView:
    admin_key = chat_selectors.admin_key_current()
    return DeviceView(
        device=device,
        status=device_status(device, admin_key=admin_key, now=now),
        team_keys=chat_selectors.team_keys_for_device(device),
        admin_key=admin_key,
    )


@dataclass(frozen=True)
class SetupDevice:
    device: Device
    username: str
    public_label: str
    status: str
    team_key_versions: list[int]


@dataclass(frozen=True)
class SetupOverview:
    """Everything the coordinator's setup page shows. Public material only."""

    admin_key: AdminKey | None
    team_keys: list[TeamKey]
    current_team_key: TeamKey | None
    devices: list[SetupDevice]
    # DESIGN §5: why rotation is due now ("schedule", "device_revoked"), and how many live
    # conversations have their current epoch under each version.
    rotation_due: list[str] = field(default_factory=list)
    team_key_usage: dict[int, int] = field(default_factory=dict)


def setup_overview(*, now: datetime) -> SetupOverview:
    admin_key = chat_selectors.admin_key_current()
    team_keys = list(TeamKey.objects.filter(destroyed_at__isnull=True).order_by("version"))
    current = chat_selectors.team_key_current(now=now)
    held: dict[str, list[int]] = defaultdict(list)
    for device_id, version in TeamKeyWrap.objects.filter(
        team_key__destroyed_at__isnull=True
    ).values_list("device_id", "team_key__version"):
        held[str(device_id)].append(version)
    labels = dict(StaffProfile.objects.values_list("user_id", "public_label"))
    devices = [
        SetupDevice(
            device=device,
            username=device.user.get_username(),
            public_label=labels.get(device.user_id, ""),
            status=device_status(device, admin_key=admin_key, now=now),
            team_key_versions=sorted(held.get(str(device.pk), [])),
        )
        for device in Device.objects.select_related("user").order_by("created_at")
    ]
    return SetupOverview(
        admin_key=admin_key,
        team_keys=team_keys,
        current_team_key=current,
        devices=devices,
        rotation_due=chat_selectors.team_key_rotation_due(now=now),
        team_key_usage=chat_selectors.team_key_usage(),
    )


def admin_fingerprint_current() -> bytes | None:
    admin_key = chat_selectors.admin_key_current()
    return bytes(admin_key.fingerprint) if admin_key else None


# -- routing ------------------------------------------------------------------------------


def presence_shown(profile: StaffProfile, at: datetime) -> str:
    """What colleagues (and, as "someone is here", visitors) are shown of this person."""
    seen = profile.last_seen_at
    if seen is None:
        return Presence.AWAY
    age = at - seen
    connected = profile.open_sockets > 0 and age < PRESENCE_SOCKET_STALE
    return profile.presence if connected or age < PRESENCE_GRACE else Presence.AWAY


def loads_of(user_ids: Iterable[int]) -> dict[int, int]:
    """How many conversations each of these people has assigned now (0 included)."""
    ids = list(user_ids)
    counts = dict(
        Route.objects.filter(state=Route.State.ASSIGNED, assigned_to_id__in=ids)
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_to_id", "n")
    )
    return {user_id: counts.get(user_id, 0) for user_id in ids}


def routing_profiles(user_ids: Iterable[int]) -> list[StaffProfile]:
    """The staff profiles (interpreters left out) of active accounts among these."""
    return list(
        StaffProfile.objects.filter(
            user_id__in=list(user_ids), is_interpreter=False, user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    )


def display_name(user: AbstractBaseUser) -> str:
    """How colleagues see a staff member on the dashboard (never shown to visitors)."""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


def campaigns_matching(
    *,
    text: str = "",
    channel: str = "",
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[Campaign]:
    """The campaigns page's list: ``text`` in the name, place, team or code; one channel;
    a period (inclusive) — a round by its date, a standing link (no date) by the day it
    was made. Newest first, the undated after the dated of the same day."""
    campaigns = Campaign.objects.annotate(day=Coalesce("date", TruncDate("created_at"))).order_by(
        F("day").desc(), F("date").desc(nulls_last=True), "-created_at", "-pk"
    )
    if text:
        campaigns = campaigns.filter(
            Q(name__icontains=text)
            | Q(place__icontains=text)
            | Q(team__icontains=text)
            | Q(code__iexact=text)
        )
    if channel:
        campaigns = campaigns.filter(channel=channel)
    if start is not None:
        campaigns = campaigns.filter(day__gte=start)
    if end is not None:
        campaigns = campaigns.filter(day__lte=end)
    return campaigns
