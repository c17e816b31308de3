"""Issue 7, acceptance: a database dump taken before expiry, restored after the team key
it was written under was destroyed, holds nothing that anything left can decrypt.

A real PostgreSQL dump (``pg_dump -Fc``) of the test database is restored with
``pg_restore`` into a fresh database, and read with plain SQL as a thief holding the
backup would. "Everything that remains" is: the live database, the current team key's
private key (opened from the live database's wrap with a device's remaining keys),
every staff device's remaining private keys (KEM and signing), and the admin key. The
guard test reads the same kind of dump through the same code with the keys held before
the destruction, and does recover the messages, so the main test can fail.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from chat import keyring, selectors
from chat.client.rotation import epoch_rotate
from chat.client.state import ConversationState
from chat.crypto import certs, commits, suite1
from chat.crypto.errors import CryptoError
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.crypto.messages import Envelope, message_open
from chat.expiry import conversations_expire
from chat.models import Conversation, Device, TeamKey
from chat.parties import STAFF, Party, visitor_party
from chat.services.conversations import conversation_open
from chat.services.envelopes import envelope_submit
from chat.services.shredding import team_keys_shred
from tests.chat.conftest import commit_signed

pytestmark = pytest.mark.django_db(transaction=True)

SECOND = timedelta(seconds=1)
TEAM_KEY_DAYS = 90
MESSAGES = ["je suis à la gare", "merci, on vous rappelle", "d'accord"]


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a real dump needs PostgreSQL (DATABASE_URL=postgres://…)")


# -- the helpline before the rotation --------------------------------------------------


@dataclass
class World:
    admin: AdminKeys
    devices: dict[str, DeviceKeys]
    visitor_kem: suite1.PrivateKey
    visitor_sig: suite1.PrivateKey
    conversation_id: str = ""
    states: dict[str, ConversationState] = field(default_factory=dict)


def staff_device(username: str, admin: AdminKeys, now: datetime) -> DeviceKeys:
    get_user_model().objects.create_user(username=username)
    keys = keyring.device_create(username=username, role="staff", label_text=username, now=now)
    keyring.device_certify_with(admin=admin, device_id=keys.device_id, days=365, now=now)
    return keys


def team_private(keys: DeviceKeys, version: int) -> suite1.PrivateKey:
    """A team key version as a staff device gets it: from its wrap in the live database."""
    device = Device.objects.get(pk=keys.device_id)
    wraps = {
        team_key.version: (team_key, wrap)
        for team_key, wrap in selectors.team_keys_for_device(device)
    }
    team_key, wrap = wraps[version]
    return keys.team_wrap_open(
        bytes(wrap.ciphertext), team_key.announcement(), kem_pk=bytes(wrap.kem_public_key)
    )


def staff_state(world: World, username: str) -> ConversationState:
    """alice's browser after subscribing: every commit of the backlog checked and opened
    with the team key versions she holds."""
    keys = world.devices[username]
    device = Device.objects.get(pk=keys.device_id)
    open_keys = {}
    for team_key, wrap in selectors.team_keys_for_device(device):
        if wrap is not None:
            private = keys.team_wrap_open(
                bytes(wrap.ciphertext), team_key.announcement(), kem_pk=bytes(wrap.kem_public_key)
            )
            open_keys[suite1.key_id(bytes(team_key.public_key))] = private
    conversation = Conversation.objects.get(pk=world.conversation_id)
    state = ConversationState(
        conversation_id=world.conversation_id,
        me=keys.device_id,
        sign_key=keys.sig,
        open_keys=open_keys,
        admin_pk=world.admin.public,
        visitor_sig_pk=bytes(conversation.visitor_sig_public_key),
    )
    for other in Device.objects.exclude(cert_signature=None):
        state.cert_add(other.certificate())
    party = Party(kind=STAFF, id=keys.device_id)
    for item in selectors.backlog_page(party=party, conversation_id=world.conversation_id, after=0):
        if isinstance(item, selectors.BacklogCommit):
            state.commit_accept(item.commit, item.signature, item.wrap)
    return state


def helpline_with_a_conversation(now: datetime) -> World:
    """Admin key, alice and bob's certified devices, team key v1, and a conversation in
    which the visitor and alice wrote under v1."""
    admin = keyring.admin_create(now=now)
    devices = {name: staff_device(name, admin, now) for name in ("alice", "bob")}
    keyring.team_key_create(admin=admin, days=TEAM_KEY_DAYS, now=now)
    world = World(
        admin=admin,
        devices=devices,
        visitor_kem=suite1.private_key_generate(),
        visitor_sig=suite1.private_key_generate(),
    )
    opened = conversation_open(
        suite=1,
        language="fr",
        campaign=None,
        visitor_kem_pk=suite1.public_bytes(world.visitor_kem),
        visitor_sig_pk=suite1.public_bytes(world.visitor_sig),
        now=now,
    )
    world.conversation_id = str(opened.conversation.pk)
    visitor = ConversationState(
        conversation_id=world.conversation_id,
        me=commits.VISITOR,
        sign_key=world.visitor_sig,
        open_keys={suite1.key_id(suite1.public_bytes(world.visitor_kem)): world.visitor_kem},
        admin_pk=admin.public,
        visitor_sig_pk=suite1.public_bytes(world.visitor_sig),
    )
    signed = visitor.epoch_create(
        reason="open",
        team=opened.team_key.announcement(),
        visitor_kem_pk=suite1.public_bytes(world.visitor_kem),
        interpreters=[],
    )
    commit_signed(visitor_party(world.conversation_id), signed, now)
    world.states = {"visitor": visitor, "alice": staff_state(world, "alice")}
    send(world, "visitor", MESSAGES[0], now)
    send(world, "alice", MESSAGES[1], now)
    return world


def send(world: World, who: str, text: str, now: datetime) -> None:
    state = world.states[who]
    party = (
        visitor_party(world.conversation_id)
        if who == "visitor"
        else Party(kind=STAFF, id=world.devices[who].device_id)
    )
    envelope_submit(party=party, envelope=state.seal(text.encode()), now=now)


def rotate(world: World, now: datetime) -> None:
    """Every device has published a wrap key (as a staff browser does at start); the
    coordinator rotates; alice's browser moves the conversation to v2; the visitor
    writes in the new epoch."""
    for keys in world.devices.values():
        keyring.wrap_key_publish(keys=keys, now=now)
    team_key = keyring.team_key_create(admin=world.admin, days=TEAM_KEY_DAYS, now=now)
    alice = staff_state(world, "alice")
    signed = epoch_rotate(
        alice,
        team=team_key.announcement(),
        visitor_kem_pk=suite1.public_bytes(world.visitor_kem),
    )
    commit_signed(Party(kind=STAFF, id=world.devices["alice"].device_id), signed, now)
    visitor = world.states["visitor"]
    visitor.cert_add(Device.objects.get(pk=world.devices["alice"].device_id).certificate())
    visitor.team_key_add(team_key.announcement())
    visitor.commit_accept(
        signed.commit,
        signed.signature,
        commits.Wrap(key_id=signed.wraps[1].key_id, ct=signed.wraps[1].ct),
    )
    send(world, "visitor", MESSAGES[2], now)


# -- a real dump, restored into a fresh database -----------------------------------------


def database_url(name: str) -> str:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{name}"


def dump_take(path: Path) -> Path:
    subprocess.run(
        [
            "pg_dump",
            "-Fc",
            "--no-owner",
            "-f",
            str(path),
            database_url(connection.settings_dict["NAME"]),
        ],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture
def restored() -> Iterator[Callable[[Path], str]]:
    """``restore(dump) -> url`` of a fresh database holding the dump; dropped after."""
    names: list[str] = []
    admin_url = database_url("postgres")

    def restore(dump: Path) -> str:
        name = f"helpline_i7b_restore_{uuid.uuid4().hex[:12]}"
        names.append(name)
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", database_url(name), str(dump)],
            check=True,
            capture_output=True,
        )
        return database_url(name)

    yield restore
    with psycopg.connect(admin_url, autocommit=True) as db:
        for name in names:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- what a thief holding the dump and the remaining keys can open ------------------------


@dataclass
class Opened:
    team_keys: list[suite1.PrivateKey] = field(default_factory=list)
    # (conversation, epoch) → (epoch secret, commit hash)
    epoch_secrets: dict[tuple[str, int], tuple[bytes, bytes]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    tried: int = 0
    # How many rows of each kind the dump holds.
    rows: dict[str, int] = field(default_factory=dict)


def hpke_try(keys: list[suite1.PrivateKey], info: bytes, ct: bytes, opened: Opened) -> bytes | None:
    """Every key on every ciphertext: no shortcut by key id, the info is what the row
    itself says."""
    for key in keys:
        opened.tried += 1
        try:
            return suite1.hpke_open(key, info, ct)
        except CryptoError:
            continue
    return None


def dump_open(url: str, keys: list[suite1.PrivateKey]) -> Opened:
    opened = Opened()
    with psycopg.connect(url) as db:
        team_wraps = db.execute(
            "SELECT w.ciphertext, w.device_id, w.kem_public_key, t.version, t.public_key"
            " FROM chat_teamkeywrap w JOIN chat_teamkey t ON t.id = w.team_key_id"
        ).fetchall()
        for ct, device_id, kem_pk, version, team_pk in team_wraps:
            info = certs.team_wrap_info(
                version=version,
                team_key_id=suite1.key_id(bytes(team_pk)),
                device_id=str(device_id),
                device_kem_key_id=suite1.key_id(bytes(kem_pk)),
            )
            scalar = hpke_try(keys, info, bytes(ct), opened)
            if scalar is not None:
                opened.team_keys.append(suite1.private_key_from_scalar(scalar))
        candidates = keys + opened.team_keys
        epoch_wraps = db.execute(
            "SELECT c.body_json, w.key_id, w.ciphertext FROM chat_wrap w"
            " JOIN chat_commit c ON c.id = w.commit_id"
        ).fetchall()
        for body_json, key_id, ct in epoch_wraps:
            commit = msgspec.json.decode(bytes(body_json), type=commits.Commit)
            info = commits.wrap_info(
                conversation_id=commit.conversation_id,
                epoch=commit.epoch,
                key_id=bytes(key_id),
                commit_hash=commits.commit_hash(commit),
            )
            secret = hpke_try(candidates, info, bytes(ct), opened)
            if secret is not None:
                opened.epoch_secrets[(commit.conversation_id, commit.epoch)] = (
                    secret,
                    commits.commit_hash(commit),
                )
        envelopes = db.execute(
            "SELECT e.conversation_id, e.epoch, e.sender, e.stream, e.seq, e.content_type,"
            " e.ciphertext, e.signature, v.visitor_sig_public_key"
            " FROM chat_envelope e JOIN chat_conversation v ON v.id = e.conversation_id"
            " ORDER BY e.order"
        ).fetchall()
        opened.rows = {
            "team wraps": len(team_wraps),
            "epoch wraps": len(epoch_wraps),
            "envelopes": len(envelopes),
        }
        certs_by_device = {
            str(device_id): bytes(sig_pk)
            for device_id, sig_pk in db.execute("SELECT id, sig_public_key FROM chat_device")
        }
    for conversation_id, epoch, sender, stream, seq, kind, ct, sig, visitor_pk in envelopes:
        entry = opened.epoch_secrets.get((str(conversation_id), epoch))
        if entry is None:
            continue
        envelope = Envelope(
            conversation_id=str(conversation_id),
            epoch=epoch,
            sender=sender,
            stream=bytes(stream),
            seq=seq,
            content_type=kind,
            ct=bytes(ct),
            sig=bytes(sig),
        )
        sender_pk = bytes(visitor_pk) if sender == commits.VISITOR else certs_by_device[sender]
        text = message_open(
            envelope, epoch_secret=entry[0], commit_hash=entry[1], sender_sig_pk=sender_pk
        )
        opened.texts.append(text.decode())
    return opened


def keys_remaining(world: World) -> list[suite1.PrivateKey]:
    """Everything the helpline's side still holds: the admin key, each device's private
    keys, and every team key version the live database still lets a device open."""
    keys = [world.admin.sig]
    for keys_of in world.devices.values():
        keys += [keys_of.sig, *keys_of.kem_keys()]
    for team_key in TeamKey.objects.filter(destroyed_at__isnull=True):
        for keys_of in world.devices.values():
            try:
                keys.append(team_private(keys_of, team_key.version))
            except (CryptoError, KeyError, TypeError):
                continue
    return keys


# -- the tests ----------------------------------------------------------------------------


def test_a_dump_from_before_expiry_holds_nothing_readable_once_its_team_key_is_destroyed(
    tmp_path, restored
):
    now = timezone.now().replace(microsecond=0)
    world = helpline_with_a_conversation(now)
    dump = dump_take(tmp_path / "before-expiry.dump")
    rotate(world, now)

    limit = now + timedelta(days=30)
    assert team_keys_shred(now=limit) == [], "v1 is in use while the conversation lives"
    assert conversations_expire(now=limit + SECOND) == 1
    assert team_keys_shred(now=limit + SECOND) == [1]
    assert TeamKey.objects.get(version=1).destroyed_at == limit + SECOND
    # Each staff browser, told, deletes the KEM keys v1 was sealed to.
    for keys in world.devices.values():
        retired = Device.objects.get(pk=keys.device_id).retired_wrap_key_ids
        assert keys.wrap_keys_retire(retired) == 1
        assert keys.kem is None

    opened = dump_open(restored(dump), keys_remaining(world))

    # v1 wrapped to alice and bob; epoch 0 to the team and the visitor; two messages.
    assert opened.rows == {"team wraps": 2, "epoch wraps": 2, "envelopes": 2}
    assert opened.tried > 0
    assert opened.team_keys == []
    assert opened.epoch_secrets == {}
    assert opened.texts == []


def test_the_same_dump_is_readable_while_the_old_team_key_lives(tmp_path, restored):
    now = timezone.now().replace(microsecond=0)
    world = helpline_with_a_conversation(now)
    dump = dump_take(tmp_path / "before-expiry.dump")
    rotate(world, now)

    opened = dump_open(restored(dump), keys_remaining(world))

    assert len(opened.team_keys) == 2  # v1 as wrapped to alice and to bob
    assert opened.texts == MESSAGES[:2]
