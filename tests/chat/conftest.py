"""Personas and helpline state for the chat tests.

Everything is built the way the helpline builds it: keys through the key ceremonies of
chat/keyring.py, conversations and epochs through the services, ciphertext through the
reference client's ConversationState. Private keys exist only in the test process, as
they would only exist in browsers.

Personas: ``staff`` (alice, a certified staff device, holds the team key), ``colleague``
(bob, another certified staff device), ``interpreter`` (iris, a certified interpreter
device), ``pending_staff`` (charlie, registered but never certified), ``revoked_staff``
(dave, certified then revoked), ``pending_interpreter`` (pavel, never certified),
``visitor`` and ``other_visitor`` (each with an open conversation at epoch 0). The
chat server has no notion of shifts: any certified staff device may read, so there is
no ``staff_off_shift`` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chat import keyring, selectors
from chat.client.open_pow import pow_solve
from chat.client.state import ConversationState
from chat.crypto import certs, commits, suite1
from chat.crypto.certs import device_auth_message
from chat.crypto.commits import SignedCommit
from chat.crypto.encoding import b64encode
from chat.crypto.keys import AdminKeys, DeviceKeys
from chat.crypto.messages import Envelope, message_seal
from chat.models import Device, TeamKey
from chat.parties import INTERPRETER, STAFF, Party, visitor_party
from chat.protocol import frames as f
from chat.services.commits import CommitAccepted, commit_submit
from chat.services.conversations import conversation_open
from chat.services.devices import device_revoke
from config.asgi import application
from tests.frame_schema import frame_check

CERT_DAYS = 365
TEAM_KEY_DAYS = 90


# -- clocks -----------------------------------------------------------------------------


@pytest.fixture
def now() -> datetime:
    """The moment the helpline state is built at: real time (the reference client checks
    certificates and team keys against the wall clock), without microseconds."""
    return timezone.now().replace(microsecond=0)


# -- the helpline's keys ----------------------------------------------------------------


@dataclass
class Person:
    """A user with one device whose private keys only this test holds."""

    user: object
    keys: DeviceKeys
    role: str

    @property
    def device_id(self) -> str:
        return self.keys.device_id

    @property
    def party(self) -> Party:
        return Party(kind=STAFF if self.role == "staff" else INTERPRETER, id=self.device_id)

    def device(self) -> Device:
        return Device.objects.get(pk=self.device_id)

    def member(self, label: str = "") -> tuple[str, bytes, str]:
        """This device as an interpreter entry of ConversationState.epoch_create."""
        return (self.device_id, self.keys.kem_public, label)


@dataclass
class Helpline:
    admin: AdminKeys
    team_key: TeamKey
    # The team private key, as a staff device gets it: opened from its own team wrap.
    team_private: suite1.PrivateKey

    @property
    def admin_pk(self) -> bytes:
        return self.admin.public

    @property
    def announcement(self) -> certs.TeamKeyAnnouncement:
        return self.team_key.announcement()


def person_create(
    *, username: str, role: str, admin: AdminKeys | None, now: datetime, certify: bool = True
) -> Person:
    user = get_user_model().objects.create_user(username=username)
    keys = keyring.device_create(
        username=username, role=role, label_text=f"{username}'s browser", now=now
    )
    if certify:
        keyring.device_certify_with(admin=admin, device_id=keys.device_id, days=CERT_DAYS, now=now)
    return Person(user=user, keys=keys, role=role)


@pytest.fixture
def admin(db, now) -> AdminKeys:
    return keyring.admin_create(now=now)


@pytest.fixture
def staff(admin, now) -> Person:
    return person_create(username="alice", role="staff", admin=admin, now=now)


@pytest.fixture
def colleague(admin, now) -> Person:
    return person_create(username="bob", role="staff", admin=admin, now=now)


@pytest.fixture
def interpreter(admin, now) -> Person:
    return person_create(username="iris", role="interpreter", admin=admin, now=now)


def interpreter_invited(person: Person, conversation_id: str, *, language: str = "bg") -> object:
    """Issue 6: the staff side's accepted request that admits this interpreter device
    into the conversation (the server refuses a commit adding it otherwise), made through
    ops' services as the API makes it: a coordinator asks, the interpreter accepts."""
    from ops.interpreting import services as interpreting
    from ops.models import StaffProfile

    StaffProfile.objects.update_or_create(
        user=person.user, defaults={"is_interpreter": True, "languages": [language]}
    )
    coordinator = get_user_model().objects.filter(username="cora").first()
    if coordinator is None:
        coordinator = get_user_model().objects.create_user(username="cora")
        StaffProfile.objects.create(user=coordinator, is_coordinator=True)
    request, _ = interpreting.interpreter_request(
        conversation_id=conversation_id,
        language=language,
        user=coordinator,
        profile=StaffProfile.objects.get(user=coordinator),
        at=timezone.now(),
    )
    accepted, _ = interpreting.interpreter_accept(
        request_id=request.pk,
        user=person.user,
        profile=StaffProfile.objects.get(user=person.user),
        device_id=person.device_id,
        at=timezone.now(),
    )
    return accepted


@pytest.fixture
def pending_staff(admin, now) -> Person:
    return person_create(username="charlie", role="staff", admin=admin, now=now, certify=False)


@pytest.fixture
def pending_interpreter(admin, now) -> Person:
    return person_create(username="pavel", role="interpreter", admin=admin, now=now, certify=False)


@pytest.fixture
def revoked_staff(admin, now) -> Person:
    person = person_create(username="dave", role="staff", admin=admin, now=now)
    assert device_revoke(device_id=person.device_id, now=now)
    return person


@pytest.fixture
def helpline(admin, staff, now) -> Helpline:
    """Admin key, alice's certified device, and team key v1 wrapped to it."""
    team_key = keyring.team_key_create(admin=admin, days=TEAM_KEY_DAYS, now=now)
    return Helpline(admin=admin, team_key=team_key, team_private=team_private(staff, team_key))


def team_private(person: Person, team_key: TeamKey) -> suite1.PrivateKey:
    wraps = dict(selectors.team_keys_for_device(person.device()))
    return certs.team_wrap_open(
        bytes(wraps[team_key].ciphertext),
        device_kem_key=person.keys.kem,
        device_id=person.device_id,
        announcement=team_key.announcement(),
    )


# -- visitors and their conversations ---------------------------------------------------


@dataclass
class Visitor:
    """A visitor's browser: its keys, its token, and its view of the conversation."""

    kem: suite1.PrivateKey
    sig: suite1.PrivateKey
    conversation_id: str = ""
    token: bytes = b""
    state: ConversationState | None = None
    accepted: list[CommitAccepted] = field(default_factory=list)

    @property
    def kem_public(self) -> bytes:
        return suite1.public_bytes(self.kem)

    @property
    def sig_public(self) -> bytes:
        return suite1.public_bytes(self.sig)

    @property
    def party(self) -> Party:
        return visitor_party(self.conversation_id)

    def state_start(self, *, conversation_id: str, admin_pk: bytes) -> ConversationState:
        self.conversation_id = conversation_id
        self.state = ConversationState(
            conversation_id=conversation_id,
            me=commits.VISITOR,
            sign_key=self.sig,
            open_keys={suite1.key_id(self.kem_public): self.kem},
            admin_pk=admin_pk,
            visitor_sig_pk=self.sig_public,
        )
        return self.state

    def epoch_zero(self, announcement: certs.TeamKeyAnnouncement) -> SignedCommit:
        return self.state.epoch_create(
            reason="open", team=announcement, visitor_kem_pk=self.kem_public, interpreters=[]
        )

    def seal(self, text: str) -> Envelope:
        return self.state.seal(text.encode("utf-8"))


def visitor_keys() -> Visitor:
    return Visitor(kem=suite1.private_key_generate(), sig=suite1.private_key_generate())


def visitor_arrives(
    helpline: Helpline, now: datetime, *, campaign: str | None = None, commit: bool = True
) -> Visitor:
    """Open a conversation through the service and, unless told not to, commit epoch 0
    as the visitor's browser does right after."""
    visitor = visitor_keys()
    opened = conversation_open(
        suite=1,
        language="fr",
        campaign=campaign,
        visitor_kem_pk=visitor.kem_public,
        visitor_sig_pk=visitor.sig_public,
        now=now,
    )
    visitor.token = opened.token
    visitor.state_start(
        conversation_id=str(opened.conversation.pk), admin_pk=bytes(opened.admin_key.public_key)
    )
    if commit:
        signed = visitor.epoch_zero(opened.team_key.announcement())
        visitor.accepted.append(commit_signed(visitor.party, signed, now))
    return visitor


def commit_signed(party: Party, signed: SignedCommit, now: datetime) -> CommitAccepted:
    return commit_submit(
        party=party,
        conversation_id=signed.commit.conversation_id,
        commit=signed.commit,
        signature=signed.signature,
        wraps=signed.wraps,
        now=now,
    )


@pytest.fixture
def visitor(helpline, now) -> Visitor:
    return visitor_arrives(helpline, now)


@pytest.fixture
def other_visitor(helpline, now) -> Visitor:
    return visitor_arrives(helpline, now)


@pytest.fixture
def visitor_factory(helpline, now) -> Callable[..., Visitor]:
    return lambda **options: visitor_arrives(helpline, now, **options)


# -- staff views of a conversation ------------------------------------------------------


def staff_view(person: Person, helpline: Helpline, conversation_id: str) -> ConversationState:
    """A staff or interpreter device's ConversationState, caught up from the server's
    backlog as its browser would be after ``conversation.subscribe``. Staff devices open
    epochs through the team key, interpreters through their own KEM key."""
    conversation = selectors.conversation_get(conversation_id)
    if person.role == "staff":
        open_keys = {suite1.key_id(helpline.announcement.pk): helpline.team_private}
    else:
        open_keys = {suite1.key_id(person.keys.kem_public): person.keys.kem}
    state = ConversationState(
        conversation_id=conversation_id,
        me=person.device_id,
        sign_key=person.keys.sig,
        open_keys=open_keys,
        admin_pk=helpline.admin_pk,
        visitor_sig_pk=bytes(conversation.visitor_sig_public_key),
    )
    for device in Device.objects.exclude(cert_signature=None):
        state.cert_add(device.certificate())
    backlog = selectors.backlog_page(party=person.party, conversation_id=conversation_id, after=0)
    for item in backlog:
        if isinstance(item, selectors.BacklogCommit):
            state.commit_accept(item.commit, item.signature, item.wrap)
    return state


@pytest.fixture
def view_as(helpline) -> Callable[[Person, str], ConversationState]:
    return lambda person, conversation_id: staff_view(person, helpline, conversation_id)


@pytest.fixture
def submit() -> Callable[..., CommitAccepted]:
    """``submit(party, signed, now)``: hand a signed commit to commit_submit."""
    return commit_signed


# -- one valid frame of every client type -----------------------------------------------


@pytest.fixture(scope="session")
def frame_examples() -> dict[str, dict]:
    """A valid JSON object for every client frame type, keyed by type, each with a ref.
    Built with the real crypto so that nested objects are what clients send."""
    conversation_id = str(uuid.uuid4())
    visitor_kem, visitor_sig = suite1.private_key_generate(), suite1.private_key_generate()
    team = suite1.private_key_generate()
    signed = commits.commit_create(
        conversation_id=conversation_id,
        epoch=0,
        prev_commit_hash=commits.ZERO_HASH,
        author=commits.VISITOR,
        author_key=visitor_sig,
        reason="open",
        team_key_version=1,
        recipients=[
            commits.Recipient("team", "1", suite1.public_bytes(team)),
            commits.Recipient("visitor", commits.VISITOR, suite1.public_bytes(visitor_kem)),
        ],
        now=1_800_000_000,
    )
    envelope = message_seal(
        epoch_secret=signed.epoch_secret,
        commit_hash=signed.commit_hash,
        conversation_id=conversation_id,
        epoch=0,
        sender=commits.VISITOR,
        stream=bytes(16),
        seq=0,
        content_type="text",
        content=b"bonjour",
        sender_key=visitor_sig,
    )
    typing = message_seal(
        epoch_secret=signed.epoch_secret,
        commit_hash=signed.commit_hash,
        conversation_id=conversation_id,
        epoch=0,
        sender=commits.VISITOR,
        stream=bytes(16),
        seq=1,
        content_type="event",
        content=b'{"kind":"typing"}',
        sender_key=visitor_sig,
    )
    encode = msgspec.json.encode
    examples = {
        "conversation.open": {
            "suite": 1,
            "language": "fr",
            "campaign": "sticker-2026",
            "visitor_kem_pk": b64encode(suite1.public_bytes(visitor_kem)),
            "visitor_sig_pk": b64encode(suite1.public_bytes(visitor_sig)),
        },
        "conversation.resume": {"token": b64encode(bytes(range(32))), "after": 0},
        "conversation.delete": {"conversation_id": conversation_id},
        "return_code.set": {
            "conversation_id": conversation_id,
            "lookup": b64encode(bytes(32)),
            "sealed": b64encode(bytes(300)),
        },
        "return_code.revoke": {"conversation_id": conversation_id},
        "return_code.open": {"lookup": b64encode(bytes(32))},
        "commit.submit": {
            "conversation_id": conversation_id,
            "commit": json.loads(encode(signed.commit)),
            "signature": b64encode(signed.signature),
            "wraps": json.loads(encode(signed.wraps)),
        },
        "envelope.send": {"envelope": json.loads(encode(envelope))},
        "typing": {"envelope": json.loads(encode(typing))},
        "receipt": {"conversation_id": conversation_id, "kind": "read", "order": 3},
        "sync": {"conversation_id": conversation_id, "after": 2},
        "certs.get": {"device_ids": [str(uuid.uuid4())]},
        "ping": {},
        "device.auth": {"device_id": str(uuid.uuid4()), "signature": b64encode(bytes(64))},
        "conversation.list": {},
        "conversation.subscribe": {"conversation_id": conversation_id, "after": 0},
        "conversation.unsubscribe": {"conversation_id": conversation_id},
    }
    return {kind: {"type": kind, "ref": "r-1", **body} for kind, body in examples.items()}


# -- websockets through the real ASGI application ---------------------------------------

# Every server frame is decoded into its documented struct: a frame that does not match
# docs/protocol.md §8.1 fails the test that received it.
server_frame_decoder = msgspec.json.Decoder(f.SERVER_FRAMES)
# The page's own origin, and the host its socket reaches (config/origin.py).
ORIGIN = b"http://127.0.0.1"
HOST = b"127.0.0.1"
WAIT = 5


@dataclass
class Socket:
    """One websocket of a test, speaking frames rather than text."""

    communicator: WebsocketCommunicator
    hello: f.Hello | None = None
    # Frames that arrived while a request waited for its answer (live items, activity).
    passed_over: list = field(default_factory=list)
    unpacked: list = field(default_factory=list)  # the items of a `news` frame still to read
    # Issue 15: the latest `open.challenge` (visitor sockets), kept aside as a client
    # keeps it: tests read the frames around it as they were before it existed.
    open_challenge: f.OpenChallenge | None = None
    _refs: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def send(self, frame) -> None:
        """Send a frame struct, a dict (as JSON) or raw text."""
        if isinstance(frame, str):
            text = frame
        elif isinstance(frame, dict):
            text = json.dumps(frame)
        else:
            text = msgspec.json.encode(frame).decode()
        await self.communicator.send_to(text_data=text)

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def receive(self, timeout: float = WAIT):
        while True:
            frame = await self.receive_any(timeout)
            if not isinstance(frame, f.OpenChallenge):
                return frame
            self.open_challenge = frame

    async def receive_any(self, timeout: float = WAIT):
        if self.unpacked:
            return self.unpacked.pop(0)
        text = await self.communicator.receive_from(timeout)
        frame_check(text)  # the JSON Schema of docs/protocol-v1.schema.json
        frame = server_frame_decoder.decode(text)
        if isinstance(frame, f.News):  # coalesced dashboard news: its items one by one
            self.unpacked = list(frame.items[1:])
            return frame.items[0]
        return frame

    async def pow(self) -> f.OpenPow:
        """The latest `open.challenge`, solved (the tests' price is low: conftest)."""
        while self.open_challenge is None:
            self.passed_over.append(await self.receive())
        return pow_solve(self.open_challenge)

    async def request(self, frame, timeout: float = WAIT):
        """Send ``frame`` with a fresh ref (unless it has one) and return the answer that
        carries that ref; frames before it are kept in ``passed_over``."""
        if isinstance(frame, dict):
            frame = {"ref": f"q{next(self._refs)}", **frame}
            ref = frame["ref"]
        else:
            if frame.ref is None:
                frame = msgspec.structs.replace(frame, ref=f"q{next(self._refs)}")
            ref = frame.ref
        await self.send(frame)
        return await self.answer(ref, timeout)

    async def answer(self, ref: str, timeout: float = WAIT):
        while True:
            received = await self.receive(timeout)
            if getattr(received, "ref", None) == ref:
                return received
            self.passed_over.append(received)

    async def receive_until(self, kind: type, timeout: float = WAIT):
        """The first frame of type ``kind``, looking first at frames passed over."""
        for index, frame in enumerate(self.passed_over):
            if isinstance(frame, kind):
                return self.passed_over.pop(index)
        while True:
            received = await self.receive(timeout)
            if isinstance(received, kind):
                return received
            self.passed_over.append(received)

    async def refused(self, frame, code: str):
        """Send ``frame``; the answer must be an error frame with ``code``."""
        error = await self.request(frame)
        assert isinstance(error, f.Error), error
        assert error.code == code, error
        return error

    async def still_usable(self) -> None:
        """After an error frame the socket stays open and usable (§8.4)."""
        assert isinstance(await self.request(f.Ping()), f.Pong)

    async def drain(self, timeout: float = 0.3) -> list:
        """Every frame that is waiting or arrives within ``timeout``, passed over ones
        included."""
        frames, self.passed_over = self.passed_over, []
        while self.unpacked or not await self.communicator.receive_nothing(timeout):
            frame = await self.receive_any()
            if isinstance(frame, f.OpenChallenge):
                self.open_challenge = frame
            else:
                frames.append(frame)
        return frames

    async def nothing(self, timeout: float = 0.3) -> bool:
        """No frame waiting nor arriving within ``timeout`` (a new `open.challenge` aside);
        a frame that does is left to be received."""
        while not self.unpacked:
            if await self.communicator.receive_nothing(timeout):
                return True
            frame = await self.receive_any()
            if not isinstance(frame, f.OpenChallenge):
                self.unpacked.insert(0, frame)
                return False
            self.open_challenge = frame
        return False

    async def close_code(self, timeout: float = WAIT) -> int:
        """Skip frames until the server closes the socket; return the close code."""
        while True:
            output = await self.communicator.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output.get("code", 1000)
            self.passed_over.append(output)


class Sockets:
    """Opens sockets on the ASGI app of config/asgi.py and disconnects them all at the
    end of the test, whatever happened."""

    def __init__(self) -> None:
        self.opened: list[WebsocketCommunicator] = []

    async def connect(
        self, path: str, *, cookie: str | None = None, origin: bytes | None = ORIGIN
    ) -> tuple[bool, Socket]:
        headers = [(b"host", HOST)] + ([(b"origin", origin)] if origin else [])
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        self.opened.append(communicator)
        connected, _ = await communicator.connect(timeout=WAIT)
        return connected, Socket(communicator)

    async def greeted(self, path: str, *, cookie: str | None = None) -> Socket:
        connected, socket = await self.connect(path, cookie=cookie)
        assert connected
        socket.hello = await socket.receive()
        assert isinstance(socket.hello, f.Hello)
        return socket

    async def visitor(self) -> Socket:
        return await self.greeted("/ws/visitor")

    async def visitor_opened(self, *, campaign: str | None = None) -> tuple[Socket, Visitor]:
        """A visitor's browser: open, then commit epoch 0, as the widget does."""
        socket = await self.visitor()
        visitor = visitor_keys()
        opened = await socket.request(
            f.ConversationOpen(
                suite=1,
                language="fr",
                campaign=campaign,
                visitor_kem_pk=visitor.kem_public,
                visitor_sig_pk=visitor.sig_public,
                pow=await socket.pow(),
            )
        )
        assert isinstance(opened, f.ConversationOpened), opened
        visitor.token = opened.token
        visitor.state_start(conversation_id=opened.conversation_id, admin_pk=opened.admin_pk)
        signed = visitor.epoch_zero(opened.team_key)
        ack = await socket.request(
            f.CommitSubmit(
                conversation_id=opened.conversation_id,
                commit=signed.commit,
                signature=signed.signature,
                wraps=signed.wraps,
            )
        )
        assert isinstance(ack, f.Ack), ack
        assert ack.order == 1
        return socket, visitor

    async def staff(self, person: Person) -> Socket:
        """A staff or interpreter device, logged in and authenticated."""
        socket = await self.greeted("/ws/staff", cookie=await session_cookie(person.user))
        ready = await socket.request(device_auth_frame(person, socket.hello.nonce))
        assert isinstance(ready, f.DeviceReady), ready
        return socket

    async def staff_following(
        self, person: Person, helpline: Helpline, conversation_id: str
    ) -> tuple[Socket, ConversationState]:
        """A device socket subscribed to a conversation from order 0, and the device's
        ConversationState caught up from the backlog, as its browser would hold it."""
        socket = await self.staff(person)
        if person.role == "staff":
            open_keys = {suite1.key_id(helpline.announcement.pk): helpline.team_private}
        else:
            open_keys = {suite1.key_id(person.keys.kem_public): person.keys.kem}
        state = ConversationState(
            conversation_id=conversation_id,
            me=person.device_id,
            sign_key=person.keys.sig,
            open_keys=open_keys,
            admin_pk=helpline.admin_pk,
            visitor_sig_pk=b"",
        )
        answer = await socket.request(
            f.ConversationSubscribe(conversation_id=conversation_id, after=0)
        )
        assert isinstance(answer, f.ConversationState), answer
        state.visitor_sig_pk = answer.visitor_sig_pk
        backlog = []
        while not isinstance(item := await socket.receive(), f.SyncDone):
            backlog.append(item)
        for item in backlog:
            if isinstance(item, f.CommitDelivered):
                await certs_fetch(socket, state, item.commit)
                state.commit_accept(item.commit, item.signature, item.wrap)
            else:
                socket.passed_over.append(item)
        return socket, state

    async def disconnect_all(self) -> None:
        for communicator in self.opened:
            # A communicator that timed out has cancelled its application already.
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await communicator.disconnect(timeout=WAIT)


async def certs_fetch(socket: Socket, state: ConversationState, commit) -> None:
    """Ask the server for the certificates a commit needs that ``state`` lacks."""
    parties = [commit.author, *(m.id for m in commit.members if m.kind == "device")]
    missing = state.unknown_devices(parties)
    if missing:
        answer = await socket.request(f.CertsGet(device_ids=missing))
        for cert in answer.certs:
            state.cert_add(cert)


def device_auth_frame(
    person: Person, nonce: bytes, *, device_id: str | None = None
) -> f.DeviceAuth:
    device_id = device_id or person.device_id
    message = device_auth_message(nonce=nonce, device_id=device_id)
    return f.DeviceAuth(device_id=device_id, signature=suite1.sign(person.keys.sig, message))


@database_sync_to_async
def session_cookie(user) -> str:
    """The Cookie header of a browser logged in as ``user`` (a real session row)."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


@pytest.fixture
def device_auth() -> Callable[..., f.DeviceAuth]:
    """``device_auth(person, nonce)``: the device.auth frame of ``person``'s device."""
    return device_auth_frame


@pytest.fixture
def login() -> Callable:
    """``await login(person)``: the Cookie header of ``person`` logged in."""
    return lambda person: session_cookie(person.user)


@pytest.fixture
def in_memory_layer(settings) -> None:
    """Consumer tests use the in-process channel layer, even when REDIS_URL is set."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
async def sockets(in_memory_layer):
    opened = Sockets()
    yield opened
    await opened.disconnect_all()
