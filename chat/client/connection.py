"""One websocket to the helpline: frames in and out, replies matched by ``ref``.

A reader task routes every server frame: answers (``ref``) resolve the waiting request;
items (commits, envelopes, receipts, activity) go to ``items`` in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from urllib.parse import urlsplit

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat.protocol import frames as f

_decoder = msgspec.json.Decoder(f.SERVER_FRAMES)
_encoder = msgspec.json.Encoder()
_refs = itertools.count(1)
HELLO_TIMEOUT = 10
# Called with the text of every frame received, before it is decoded: tests register a
# check against the protocol's JSON Schema here (tests/frame_schema.py). Empty otherwise.
RECEIVE_HOOKS: list[Callable[[str], None]] = []


class ServerRefused(Exception):
    """The server answered a request with an error frame."""

    def __init__(self, error: f.Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.code = error.code
        self.error = error


class ConnectionLost(Exception):
    """The socket closed while a request waited for its answer."""


def websocket_url(base_url: str, endpoint: str) -> tuple[str, str]:
    """(ws URL, Origin) for an http(s) base URL and an endpoint like "visitor"."""
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws/{endpoint}", f"{parts.scheme}://{parts.netloc}"


class Connection:
    def __init__(self, base_url: str, endpoint: str, *, cookie: str | None = None) -> None:
        self.url, self.origin = websocket_url(base_url, endpoint)
        self.cookie = cookie
        self.items: asyncio.Queue = asyncio.Queue()
        self.hello: f.Hello | None = None
        # The latest `open.challenge` (visitor sockets), for the next open.
        self.open_challenge: f.OpenChallenge | None = None
        self.open_challenge_came = asyncio.Event()
        self.websocket: ClientConnection | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.closed = asyncio.Event()

    async def open(self) -> f.Hello:
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.websocket = await connect(
            self.url,
            origin=self.origin,
            additional_headers=headers,
            compression=None,  # ciphertext does not compress
            max_size=2**17,
            open_timeout=10,
        )
        self.closed.clear()
        try:
            # A server that accepted the socket but hangs before `hello` (its database
            # hung mid-handshake) must not hold this client: the session tries again.
            hello = self._decode(await asyncio.wait_for(self.websocket.recv(), HELLO_TIMEOUT))
        except BaseException:
            self.websocket.transport.abort()
            raise
        if not isinstance(hello, f.Hello):
            raise ConnectionLost(f"expected hello, got {type(hello).__name__}")
        self.hello = hello
        self._reader = asyncio.create_task(self._read())
        return hello

    async def close(self) -> None:
        if self.websocket is not None:
            await self.websocket.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        try:
            async for raw in self.websocket:
                frame = self._decode(raw)
                # Dashboard news, coalesced: each item as if it came alone.
                for item in frame.items if isinstance(frame, f.News) else [frame]:
                    self._route(item)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionLost("socket closed"))
            self._waiting.clear()
            await self.items.put(None)

    @staticmethod
    def _decode(raw: str):  # noqa: ANN205 — one of f.SERVER_FRAMES
        for hook in RECEIVE_HOOKS:
            hook(raw)
        return _decoder.decode(raw)

    def _route(self, frame) -> None:
        """The first answer with a waited-for ref resolves it; everything else (items,
        unsolicited errors) is queued in order."""
        if isinstance(frame, f.OpenChallenge):
            self.open_challenge = frame
            self.open_challenge_came.set()
            return
        ref = getattr(frame, "ref", None)
        future = self._waiting.pop(ref, None) if ref else None
        # The processor needs a conversation.state before the backlog behind it, and a
        # sync.done to know where a backlog ends, even when they answer a request.
        unanswered = future is None or future.done()
        if unanswered or isinstance(frame, f.ConversationState | f.SyncDone):
            self.items.put_nowait(frame)
        if unanswered:
            return
        if isinstance(frame, f.Error):
            future.set_exception(ServerRefused(frame))
        else:
            future.set_result(frame)

    async def open_challenge_after(
        self, used: f.OpenChallenge | None, *, timeout: float = 30
    ) -> f.OpenChallenge:
        """The latest `open.challenge`, once it is another than ``used``."""
        while self.open_challenge is None or self.open_challenge == used:
            self.open_challenge_came.clear()
            await asyncio.wait_for(self.open_challenge_came.wait(), timeout)
        return self.open_challenge

    async def send(self, frame: f.ClientFrame) -> None:
        await self.websocket.send(_encoder.encode(frame).decode("utf-8"))

    async def request(self, frame: f.ClientFrame, *, timeout: float = 30):
        """Send a frame with a fresh ref and wait for the answer with that ref."""
        ref = f"r{next(_refs)}"
        frame = msgspec.structs.replace(frame, ref=ref)
        future = asyncio.get_running_loop().create_future()
        self._waiting[ref] = future
        try:
            await self.send(frame)
        except ConnectionClosed as exc:
            self._waiting.pop(ref, None)
            raise ConnectionLost("socket closed") from exc
        return await asyncio.wait_for(future, timeout)
