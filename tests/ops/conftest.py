"""Personas and helpline state for the staff-side tests.

``coordinator`` (alice, sets the helpline up), ``nurse`` (bob, staff), ``interpreter``
(iris, an interpreter profile), ``outsider`` (charlie: an account with no staff profile),
and anonymous visitors of the pages (the plain ``client``). Keys are made here, in the
test process, as they would be in browsers; the server gets public halves, signatures
and wraps through the same services the API calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chat.client.keys import AdminKeys, DeviceKeys
from chat.crypto import certs, suite1
from chat.models import Device, TeamKey
from ops import services

PASSWORD = "correct horse battery staple"
DAY = 86400


@pytest.fixture
def now() -> datetime:
    return timezone.now().replace(microsecond=0)


@dataclass
class Member:
    """A staff member: their account, a logged-in test client, their browser's keys."""

    user: object
    client: Client

    def device_register(self, *, now: datetime, role: str = "staff") -> DeviceKeys:
        keys = DeviceKeys.generate()
        device = services.staff_device_register(
            user=self.user,
            profile=self.user.staff_profile,
            role=role,
            label_text="Firefox · Linux",
            kem_pk=keys.kem_public,
            sig_pk=keys.sig_public,
            now=now,
        )
        keys.device_id = str(device.pk)
        return keys


def member_make(username: str, **profile) -> Member:
    user = services.staff_member_create(username=username, password=PASSWORD, **profile)
    client = Client()
    client.force_login(user)
    return Member(user=user, client=client)


@pytest.fixture
def coordinator(db) -> Member:
    return member_make("alice", public_label="Coordinatrice", is_coordinator=True)


@pytest.fixture
def nurse(db) -> Member:
    return member_make("bob", public_label="Infirmière")


@pytest.fixture
def interpreter(db) -> Member:
    return member_make("iris", public_label="Interprète", is_interpreter=True)


@pytest.fixture
def outsider(db) -> Client:
    """Signed in, but no staff profile: a Django account of some other kind."""
    user = get_user_model().objects.create_user(username="charlie", password=PASSWORD)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(db, now) -> AdminKeys:
    """The helpline's admin key, installed (its private half stays in the test)."""
    keys = AdminKeys.generate()
    services.admin_key_install(public_key=keys.public, replace=False, now=now)
    return keys


def cert_for(admin: AdminKeys, device: Device, *, not_after: int) -> certs.DeviceCert:
    return certs.cert_sign(
        admin_key=admin.sig,
        device_id=str(device.pk),
        role=device.role,
        kem_pk=bytes(device.kem_public_key),
        sig_pk=bytes(device.sig_public_key),
        not_after=not_after,
    )


@pytest.fixture
def certify(admin, now) -> Callable[[DeviceKeys], Device]:
    """Certify a registered device with the admin key, through chat's service."""
    from chat.services.devices import device_certify

    def run(keys: DeviceKeys) -> Device:
        device = Device.objects.get(pk=keys.device_id)
        not_after = int(now.timestamp()) + 365 * DAY
        cert = cert_for(admin, device, not_after=not_after)
        return device_certify(
            device_id=keys.device_id, not_after=not_after, signature=cert.sig, now=now
        )

    return run


@dataclass
class TeamKeyMade:
    version: int
    key: suite1.PrivateKey
    announcement: certs.TeamKeyAnnouncement


def team_announcement(
    admin: AdminKeys, *, version: int, now: datetime
) -> tuple[suite1.PrivateKey, certs.TeamKeyAnnouncement]:
    team = suite1.private_key_generate()
    announcement = certs.team_key_sign(
        admin_key=admin.sig,
        version=version,
        pk=suite1.public_bytes(team),
        not_after=int(now.timestamp()) + 90 * DAY,
    )
    return team, announcement


def team_wrap(team: TeamKeyMade, keys: DeviceKeys) -> bytes:
    return certs.team_wrap_seal(
        team_key=team.key,
        version=team.version,
        device_id=keys.device_id,
        device_kem_pk=keys.kem_public,
    )


@pytest.fixture
def team_key(admin, now) -> Callable[..., TeamKeyMade]:
    """Publish the next team key version, wrapped to the given device keys."""

    def run(*holders: DeviceKeys) -> TeamKeyMade:
        version = (
            TeamKey.objects.order_by("-version").values_list("version", flat=True).first() or 0
        ) + 1
        key, announcement = team_announcement(admin, version=version, now=now)
        made = TeamKeyMade(version=version, key=key, announcement=announcement)
        services.team_key_create(
            announcement=announcement,
            wraps={holder.device_id: team_wrap(made, holder) for holder in holders},
            now=now,
        )
        return made

    return run
