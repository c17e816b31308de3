"""Personas and helpline state for the staff-side tests.

``coordinator`` (alice, sets the helpline up), ``nurse`` (bob, staff), ``interpreter``
(iris, an interpreter profile), ``outsider`` (charlie: an account with no staff profile),
and anonymous visitors of the pages (the plain ``client``). Keys are made here, in the
test process, as they would be in browsers; the server gets public halves, signatures
and wraps through the same services the API calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chat.crypto import certs, suite1
from chat.crypto.encoding import b64encode
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.models import Device, TeamKey
from chat.services.conversations import conversation_open
from ops.devices import services
from ops.models import Shift, Slot
from ops.rota import services as rota_edits
from ops.routing import presence

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


def announcement_json(announcement: certs.TeamKeyAnnouncement) -> dict:
    """A team key announcement as the staff API takes it (JSON, bytes in base64)."""
    return {
        "suite": announcement.suite,
        "version": announcement.version,
        "pk": b64encode(announcement.pk),
        "not_after": announcement.not_after,
        "sig": b64encode(announcement.sig),
    }


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


# -- routing: a rota, personas on and off shift, visitors ----------------------------------
#
# Rota tests use explicit instants (``paris(...)``), never the wall clock. Personas:
# ``staff_on_shift`` (dora: on Tuesday's afternoon slot, speaks fr and bg, health),
# ``staff_off_shift`` (eve: on no shift, speaks fr), ``colleague_on_shift`` (fred: on the
# same slot, speaks fr and ro, minors), plus ``coordinator`` (alice, on no shift) and
# ``interpreter`` (iris) above. Everyone's dashboard is connected at ``AT``.

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    """An instant given in Paris wall-clock time (fold 0), as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS).astimezone(UTC)


AT = paris(2026, 6, 16, 15)  # a Tuesday, in the middle of the afternoon slot


@pytest.fixture(autouse=True)
def helpline_in_paris(settings) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    settings.HELPLINE_AUTO_ASSIGN = False


@pytest.fixture
def in_memory_layer(settings) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def rota_entry_make(model, when: dict, start: str, end: str, *, staff, label: str, **extra):
    """A weekly slot or a one-off shift, through the coordinator's service."""
    entry, _ = rota_edits.rota_entry_create(
        model,
        fields={
            **when,
            "start": time.fromisoformat(start),
            "end": time.fromisoformat(end),
            "label": label,
            **extra,
        },
        staff_ids=[member.user.pk for member in staff],
        at=AT,
    )
    return entry


def slot_make(weekday: int, start: str, end: str, *, staff=(), label: str = "Permanence", **extra):
    return rota_entry_make(
        Slot, {"weekday": weekday}, start, end, staff=staff, label=label, **extra
    )


def shift_make(day: date, start: str, end: str, *, staff=(), label: str = "Renfort", **extra):
    return rota_entry_make(Shift, {"date": day}, start, end, staff=staff, label=label, **extra)


def routing_member(username: str, *, languages, skills=(), capacity: int = 4, **profile) -> Member:
    member = member_make(username, **profile)
    services.staff_routing_set(
        user_id=member.user.pk,
        languages=list(languages),
        skills=list(skills),
        capacity=capacity,
        at=AT,
    )
    presence.staff_socket(user_id=member.user.pk, event="connected", now=AT)
    member.user.refresh_from_db()
    return member


@pytest.fixture
def afternoon(db) -> Slot:
    """Tuesday 14:00–17:00; the personas on shift join it."""
    return slot_make(1, "14:00", "17:00", label="Permanence de l'après-midi")


def slot_join(slot: Slot, member: Member) -> None:
    staff = [*slot.staff.values_list("pk", flat=True), member.user.pk]
    rota_edits.rota_entry_update(Slot, entry_id=slot.pk, fields={}, staff_ids=staff, at=AT)


@pytest.fixture
def staff_off_shift(db) -> Member:
    return routing_member("eve", languages=["fr"], public_label="Éducatrice")


@pytest.fixture
def staff_on_shift(afternoon) -> Member:
    member = routing_member(
        "dora", languages=["fr", "bg"], skills=["health"], public_label="Infirmière"
    )
    slot_join(afternoon, member)
    return member


@pytest.fixture
def colleague_on_shift(afternoon) -> Member:
    member = routing_member(
        "fred", languages=["fr", "ro"], skills=["minors"], public_label="Médiateur"
    )
    slot_join(afternoon, member)
    return member


@pytest.fixture
def keys_ready(admin, team_key) -> TeamKeyMade:
    """An admin key and team key v1: conversations can open."""
    return team_key()


@dataclass
class Opened:
    conversation_id: str
    events: list


@pytest.fixture
def visitor_opens(keys_ready) -> Callable[..., Opened]:
    """``visitor_opens(language="fr", campaign=None, at=AT)``: a visitor opens a
    conversation through chat's service and writes (the routing hooks run as in
    production; issue 15: the route is made by the first message, whose events these
    are — ``order=0``, the route as the open alone used to leave it)."""

    def run(language: str = "fr", campaign: str | None = None, at: datetime = AT) -> Opened:
        opened = conversation_open(
            suite=1,
            language=language,
            campaign=campaign,
            visitor_kem_pk=suite1.public_bytes(suite1.private_key_generate()),
            visitor_sig_pk=suite1.public_bytes(suite1.private_key_generate()),
            now=at,
        )
        from ops.routing.services import visitor_wrote

        conversation_id = str(opened.conversation.pk)
        events = opened.events + visitor_wrote(conversation_id=conversation_id, order=0, now=at)
        return Opened(conversation_id=conversation_id, events=events)

    return run


def events_named(events: list, name: str) -> list[dict]:
    """The data of the staff events called ``name``; every event goes through JSON first,
    as it would through the channel layer, so a payload that does not serialise fails."""
    round_tripped = json.loads(json.dumps(events))
    return [
        message["data"]
        for _group, message in round_tripped
        if message.get("type") == "staff.event" and message["event"] == name
    ]
