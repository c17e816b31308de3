"""The load generator's sockets and senders: one code path for B0, B1 and the SUT.

Every message the load generator sends is a real protocol frame, ``envelope.send``
holding an envelope sealed by ``chat.crypto.messages.message_seal`` (AES-256-GCM under
the conversation's epoch secret, ECDSA-signed), a ~60-byte text in the 256-byte
bucket: 672 bytes on the wire. B0 and B1 relay exactly those frames, so all three
systems move frames of the same size. The server refuses a second envelope under the
same (epoch, sender, stream, seq), so each sender pre-seals a pool with fresh seqs
before a timed step; that sealing is timed apart and reported (``prep_us_per_envelope``)
and never falls inside a measured window.

Receiving stays cheap: a lenient decoder reads only type, ref, order and the
envelope's stream and seq (what latency matching needs); frames the load generator waits
for during setup are decoded fully with the protocol's own ``SERVER_FRAMES``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat.client.open_pow import pow_solve
from chat.client.state import ConversationState
from chat.crypto import messages, suite1
from chat.crypto.certs import device_auth_message
from chat.crypto.keys import DeviceKeys
from chat.protocol import frames as f

TEXT = "Bonjour, je voudrais parler à quelqu'un ce soir, c'est possible ?".encode()
SETUP_CONCURRENCY = 32
typed_decoder = msgspec.json.Decoder(f.SERVER_FRAMES)
encoder = msgspec.json.Encoder()


class _Envelope(msgspec.Struct):
    stream: str = ""
    seq: int = -1


class Frame(msgspec.Struct):
    """Whatever a server sends, read leniently (unknown fields and types are fine)."""

    type: str = ""
    ref: str | None = None
    order: int = 0
    code: str | None = None
    retry_after_ms: int | None = None
    envelope: _Envelope | None = None


lenient_decoder = msgspec.json.Decoder(Frame)
Sink = Callable[["Socket", Frame, float], None]


class SetupFailed(Exception):
    pass


@dataclass
class _Waiter:
    future: asyncio.Future
    until: str | None


class Socket:
    """One websocket: a reader task, requests answered by ``ref``, everything else to
    ``sink(socket, frame, received_at)``."""

    def __init__(self, base_url: str, path: str, sink: Sink, cookie: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.url = f"ws://{parts.netloc}{path}"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.cookie = cookie
        self.sink = sink
        self.ws: ClientConnection | None = None
        self.last_order = 0
        self._waiting: dict[str, _Waiter] = {}
        self._reader: asyncio.Task | None = None
        self._refs = 0
        self.open_challenge: asyncio.Future | None = None  # visitors: the first one

    async def open(self, *, read_first: bool = True) -> str | None:
        """Connect; return the first frame (``hello``) if the server sends one."""
        self.ws = await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie} if self.cookie else None,
            compression=None,  # ciphertext does not compress (DESIGN §4)
            max_size=2**17,
            ping_interval=None,  # browsers do not ping; the server does
            open_timeout=60,
            close_timeout=2,
        )
        first = await asyncio.wait_for(self.ws.recv(), 60) if read_first else None
        self._reader = asyncio.create_task(self._read())
        return first

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = lenient_decoder.decode(raw)
                if frame.order > self.last_order and frame.type in ("envelope", "commit"):
                    self.last_order = frame.order
                waiter = self._waiting.get(frame.ref) if frame.ref else None
                if frame.type == "open.challenge":
                    self.challenge_keep(raw)
                elif waiter is not None and (
                    waiter.until in (None, frame.type) or frame.type == "error"
                ):
                    del self._waiting[frame.ref]
                    if not waiter.future.done():
                        waiter.future.set_result(raw)
                else:
                    self.sink(self, frame, now)
        except ConnectionClosed:
            pass
        finally:
            for waiter in self._waiting.values():
                if not waiter.future.done():
                    waiter.future.set_exception(SetupFailed("socket closed"))
            self._waiting.clear()

    def challenge_keep(self, raw: str) -> None:
        if self.open_challenge is None or self.open_challenge.done():
            self.open_challenge = asyncio.get_running_loop().create_future()
        self.open_challenge.set_result(typed_decoder.decode(raw))

    async def open_pow(self) -> f.OpenPow:
        """The first `open.challenge`, solved (the bench runs at the lowest price)."""
        while self.open_challenge is None:
            await asyncio.sleep(0.01)
        return pow_solve(await asyncio.wait_for(self.open_challenge, 60))

    async def request(self, frame: f.ClientFrame, *, until: str | None = None, timeout: float = 60):
        """Send with a fresh ref; return the typed answer (``until``: wait for that type)."""
        self._refs += 1
        ref = f"q{self._refs}"
        future = asyncio.get_running_loop().create_future()
        self._waiting[ref] = _Waiter(future, until)
        await self.ws.send(encoder.encode(msgspec.structs.replace(frame, ref=ref)).decode())
        answer = typed_decoder.decode(await asyncio.wait_for(future, timeout))
        if isinstance(answer, f.Error):
            raise SetupFailed(f"{type(frame).__name__}: {answer.code}: {answer.message}")
        return answer

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)
            self.ws.transport.abort()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    def abort(self) -> None:
        """Drop the connection as a lost network would (no close handshake)."""
        if self.ws is not None:
            self.ws.transport.abort()


@dataclass
class Stream:
    """One sender in one conversation, with pre-sealed ``envelope.send`` frames."""

    index: int
    socket: Socket
    conversation_id: str
    sender: str
    sign_key: suite1.PrivateKey
    epoch_secret: bytes
    commit_hash: bytes
    recipients: int  # envelope deliveries expected per send
    stream: bytes = field(default_factory=lambda: suite1.random_bytes(messages.STREAM_LEN))
    next_seq: int = 0
    frames: deque = field(default_factory=deque)
    stream_b64: str = ""

    def __post_init__(self) -> None:
        self.stream_b64 = encoder.encode(self.stream).decode().strip('"')

    def fill(self, count: int) -> None:
        count = max(0, count)
        for seq in range(self.next_seq, self.next_seq + count):
            envelope = messages.message_seal(
                epoch_secret=self.epoch_secret,
                commit_hash=self.commit_hash,
                conversation_id=self.conversation_id,
                epoch=0,
                sender=self.sender,
                stream=self.stream,
                seq=seq,
                content_type="text",
                content=TEXT,
                sender_key=self.sign_key,
            )
            ref = f"s{self.index}-{seq}"
            self.frames.append(
                (seq, ref, encoder.encode(f.EnvelopeSend(ref=ref, envelope=envelope)).decode())
            )
        self.next_seq += count


@dataclass
class Fleet:
    """The sockets of one trial and the senders of each conversation (``lanes``)."""

    lanes: list[list[Stream]] = field(default_factory=list)
    sockets: list[Socket] = field(default_factory=list)
    visitors: list[Visitor] = field(default_factory=list)
    setup_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def streams(self) -> list[Stream]:
        return [stream for lane in self.lanes for stream in lane]

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)


async def gather_limited(factories: list[Callable], limit: int = SETUP_CONCURRENCY) -> list:
    """Run coroutine factories, at most ``limit`` at once; exceptions are returned."""
    semaphore = asyncio.Semaphore(limit)

    async def one(factory: Callable):
        async with semaphore:
            return await factory()

    return await asyncio.gather(*(one(x) for x in factories), return_exceptions=True)


# -- B0 and B1: relay pairs ------------------------------------------------------------

_relay_key = suite1.private_key_generate()


async def relay_fleet(urls: list[str], sizes: list[int], sink: Sink) -> Fleet:
    """Groups of ``sizes[i]`` sockets on ``/pair/<id>``, members spread over the URLs."""
    started = time.perf_counter()
    fleet = Fleet()
    index = 0
    plans = []
    for size in sizes:
        group = uuid.uuid4().hex
        plans.append([(urls[(len(plans) + m) % len(urls)], group) for m in range(size)])

    async def connect_one(url: str, group: str) -> Socket:
        socket = Socket(url, f"/pair/{group}", sink)
        await socket.open(read_first=False)
        return socket

    flat = [(url, group) for plan in plans for url, group in plan]
    results = await gather_limited([lambda u=u, g=g: connect_one(u, g) for u, g in flat])
    fleet.sockets = [r for r in results if isinstance(r, Socket)]
    fleet.failures = [
        f"connect: {type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)
    ]
    position = 0
    for size in sizes:
        members = results[position : position + size]
        position += size
        if any(isinstance(m, BaseException) for m in members):
            continue
        conversation_id = str(uuid.uuid4())
        lane = []
        for socket in members:
            lane.append(
                Stream(
                    index,
                    socket,
                    conversation_id,
                    "visitor",
                    _relay_key,
                    suite1.random_bytes(32),
                    suite1.random_bytes(32),
                    size - 1,
                )
            )
            index += 1
        fleet.lanes.append(lane)
    fleet.setup_seconds = time.perf_counter() - started
    return fleet


# -- the SUT: visitors and staff devices speaking protocol v1 --------------------------


@dataclass
class Helpline:
    """What the load generator knows of the seeded helpline (demo_seed's files)."""

    cookie: str
    device: DeviceKeys


@dataclass
class Visitor:
    socket: Socket
    url_index: int
    conversation_id: str
    token: bytes
    state: ConversationState
    sig: suite1.PrivateKey


async def visitor_open(url: str, sink: Sink, url_index: int = 0) -> Visitor:
    socket = Socket(url, "/ws/visitor", sink)
    await socket.open()
    kem, sig = suite1.private_key_generate(), suite1.private_key_generate()
    try:
        opened = await socket.request(
            f.ConversationOpen(
                suite=suite1.SUITE_ID,
                language="fr",
                campaign=None,
                visitor_kem_pk=suite1.public_bytes(kem),
                visitor_sig_pk=suite1.public_bytes(sig),
                pow=await socket.open_pow(),
            )
        )
        state = ConversationState(
            conversation_id=opened.conversation_id,
            me="visitor",
            sign_key=sig,
            open_keys={suite1.key_id(suite1.public_bytes(kem)): kem},
            admin_pk=opened.admin_pk,
            visitor_sig_pk=suite1.public_bytes(sig),
        )
        signed = state.epoch_create(
            reason="open",
            team=opened.team_key,
            visitor_kem_pk=suite1.public_bytes(kem),
            interpreters=[],
        )
        ack = await socket.request(
            f.CommitSubmit(
                conversation_id=opened.conversation_id,
                commit=signed.commit,
                signature=signed.signature,
                wraps=signed.wraps,
            )
        )
    except BaseException:
        await socket.close()
        raise
    socket.last_order = ack.order
    return Visitor(socket, url_index, opened.conversation_id, opened.token, state, sig)


async def staff_connect(url: str, helpline: Helpline, sink: Sink) -> Socket:
    socket = Socket(url, "/ws/staff", sink, cookie=helpline.cookie)
    hello = typed_decoder.decode(await socket.open())
    device = helpline.device
    message = device_auth_message(nonce=hello.nonce, device_id=device.device_id)
    try:
        await socket.request(
            f.DeviceAuth(device_id=device.device_id, signature=suite1.sign(device.sig, message))
        )
    except BaseException:
        await socket.close()
        raise
    return socket


async def sut_fleet(
    urls: list[str], helpline: Helpline, sizes: list[int], per_staff_socket: int, sink: Sink
) -> Fleet:
    """One visitor per conversation (conversation i on worker i mod len(urls)) and
    staff sockets that each follow ``per_staff_socket`` conversations (on the next
    worker, so that fan-out crosses processes when there are two); a conversation of 3
    is followed by two different staff sockets. Every staff socket also receives a
    ``conversation.activity`` for every visitor message in any conversation
    (``staff.activity`` group), as the real dashboard does."""
    started = time.perf_counter()
    fleet = Fleet()
    slots = sum(size - 1 for size in sizes)
    staff_count = max(1, -(-slots // per_staff_socket))
    staff_results = await gather_limited(
        [
            lambda j=j: staff_connect(urls[(j + 1) % len(urls)], helpline, sink)
            for j in range(staff_count)
        ]
    )
    visitor_results = await gather_limited(
        [
            lambda i=i: visitor_open(urls[i % len(urls)], sink, i % len(urls))
            for i in range(len(sizes))
        ]
    )
    for result in [*staff_results, *visitor_results]:
        if isinstance(result, BaseException):
            fleet.failures.append(f"setup: {type(result).__name__}: {result}")
        else:
            fleet.sockets.append(result if isinstance(result, Socket) else result.socket)
    staff = [s for s in staff_results if isinstance(s, Socket)]
    if not staff:
        fleet.setup_seconds = time.perf_counter() - started
        return fleet
    follows: list[tuple[Visitor, list[Socket]]] = []
    slot = 0
    for size, visitor in zip(sizes, visitor_results, strict=True):
        members = [staff[(slot + m) % len(staff)] for m in range(size - 1)]
        slot += size - 1
        if not isinstance(visitor, BaseException):
            follows.append((visitor, members))
    subscribe = [
        lambda s=s, v=v: s.request(
            f.ConversationSubscribe(conversation_id=v.conversation_id, after=0), until="sync.done"
        )
        for v, members in follows
        for s in members
    ]
    for result in await gather_limited(subscribe):
        if isinstance(result, BaseException):
            fleet.failures.append(f"subscribe: {type(result).__name__}: {result}")
    device = helpline.device
    index = 0
    for visitor, members in follows:
        secret = visitor.state.secrets[0]
        commit_hash = visitor.state.commits[0][1]
        cid = visitor.conversation_id
        lane = [
            Stream(
                index,
                visitor.socket,
                cid,
                "visitor",
                visitor.sig,
                secret,
                commit_hash,
                len(members),
            )
        ]
        for member in members:
            index += 1
            lane.append(
                Stream(
                    index,
                    member,
                    cid,
                    device.device_id,
                    device.sig,
                    secret,
                    commit_hash,
                    len(members),
                )
            )
        index += 1
        fleet.lanes.append(lane)
        fleet.visitors.append(visitor)
    fleet.setup_seconds = time.perf_counter() - started
    return fleet
