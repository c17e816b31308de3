"""The live stack (bench/livestack.py), started once for every integration test, and the
conversations the tests hold on it with the Python reference clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.livestack import LiveStack
from chat.client import DeviceKeys, Message, StaffClient, VisitorClient
from chat.client.connection import RECEIVE_HOOKS
from tests.frame_schema import ServerFrameCheck

# The reference client sends as fast as the server acknowledges and does not pace itself
# to the per-connection token bucket (20 frames/s, burst 60): a 1,000-message stream would
# be refused (`rate_limited`) long before the end. The limiter is not what these tests are
# about, so the stack lets a connection send 1,000 frames a second.
LIVESTACK_ENV = {
    "CHAT_RATE_PER_SECOND": "1000",
    "CHAT_RATE_BURST": "1000",
    # Issue 15: the visitor's message rate paces a person; not what these tests are about.
    "CHAT_VISITOR_MESSAGES_PER_MINUTE": "60000",
    "CHAT_VISITOR_MESSAGES_BURST": "1000",
}

# Correctness, not speed: how long to wait for a stream to arrive before failing. The
# reference client's heartbeat asks for missed items every 10 s.
DELIVERY_TIMEOUT_SECONDS = 60

VISITOR = "visitor"
STAFF = "staff"


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    stack = LiveStack(tmp_path_factory.mktemp("livestack"), servers=2, extra_env=LIVESTACK_ENV)
    stack.up()
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(autouse=True)
def frames_follow_the_schema() -> Iterator[ServerFrameCheck]:
    """Every frame a live server sends to the reference clients of a test is checked
    against docs/protocol-v1.schema.json; the test fails if one is not what it says."""
    check = ServerFrameCheck()
    RECEIVE_HOOKS.append(check)
    try:
        yield check
    finally:
        RECEIVE_HOOKS.remove(check)
    assert check.failures == [], check.failures[:5]


@pytest.fixture(scope="session")
def demo(live_stack: LiveStack) -> dict:
    """What demo_seed wrote: username, password, campaign, admin fingerprint (hex)."""
    return live_stack.demo


@pytest.fixture(scope="session")
def admin_fingerprint(demo: dict) -> bytes:
    return bytes.fromhex(demo["fingerprint"])


@pytest.fixture(scope="session")
def staff_device_path(live_stack: LiveStack) -> Path:
    return live_stack.staff_device_path


@dataclass
class Pair:
    """A visitor and a staff device in one conversation, and what each side sent."""

    stack: LiveStack
    visitor: VisitorClient
    staff: StaffClient
    # side → [(order acknowledged by the server, text)], in the order sent
    sent: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: {VISITOR: [], STAFF: []})

    @property
    def conversation_id(self) -> str:
        return self.visitor.conversation_id

    def client(self, side: str) -> VisitorClient | StaffClient:
        return self.visitor if side == VISITOR else self.staff

    def sender_id(self, side: str) -> str:
        return VISITOR if side == VISITOR else self.staff.device.device_id

    def worker_of(self, side: str) -> int:
        """The stack worker this side's socket is connected to right now."""
        return self.stack.worker_of(self.client(side).connection.url)

    async def say(self, side: str, text: str) -> int:
        """Send one text and wait for its ack (re-sent across reconnections)."""
        order = await self.client(side).send_text(self.conversation_id, text)
        self.sent[side].append((order, text))
        return order

    async def stream(
        self,
        side: str,
        count: int,
        *,
        label: str,
        after_each: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """Send ``count`` numbered texts one after the other; ``after_each(i)`` runs after
        the i-th is acknowledged (tests hook failures in there)."""
        for i in range(count):
            await self.say(side, f"{label} {side} {i:04d}")
            if after_each is not None:
                await after_each(i)
            # Let the other side's stream and the receivers run between two sends.
            await asyncio.sleep(0)

    def received(self, side: str) -> list[Message]:
        """The other side's messages as this side decrypted them, in processing order."""
        other = self.sender_id(STAFF if side == VISITOR else VISITOR)
        return [m for m in self.client(side).history if m.sender == other]

    def last_order_stored(self) -> int:
        rows = self.stack.sql(
            "SELECT last_order FROM chat_conversation WHERE id = %s", [self.conversation_id]
        )
        return rows[0][0]

    def caught_up(self) -> bool:
        last = self.last_order_stored()
        return all(
            self.client(side).conversations[self.conversation_id].last_order == last
            and len(self.received(side)) >= len(self.sent[other])
            for side, other in ((VISITOR, STAFF), (STAFF, VISITOR))
        )

    async def wait_caught_up(self, timeout: float = DELIVERY_TIMEOUT_SECONDS) -> None:
        """Wait until both sides processed everything the database holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.caught_up():
            if loop.time() > deadline:
                raise AssertionError(f"not caught up after {timeout} s: {self.progress()}")
            await asyncio.sleep(0.1)

    def progress(self) -> str:
        parts = [f"stored last_order={self.last_order_stored()}"]
        for side in (VISITOR, STAFF):
            client = self.client(side)
            followed = client.conversations[self.conversation_id]
            parts.append(
                f"{side}: sent={len(self.sent[side])} received={len(self.received(side))} "
                f"last_order={followed.last_order} pending={sorted(followed.pending)[:10]} "
                f"reconnections={client.reconnections} failures={client.failures[:5]}"
            )
        return "; ".join(parts)

    def assert_delivered_exactly_once_in_order(self) -> None:
        """Every acknowledged message reached the other side once, decrypted, in order,
        and the orders of the conversation have no gap and no repeat."""
        for side, other in ((VISITOR, STAFF), (STAFF, VISITOR)):
            received = self.received(side)
            orders = [m.order for m in received]
            assert all(a < b for a, b in zip(orders, orders[1:], strict=False)), (
                f"{side} processed orders out of order"
            )
            assert [m.text for m in received] == [text for _, text in self.sent[other]], (
                f"{side} did not receive exactly what {other} sent"
            )
            assert orders == [order for order, _ in self.sent[other]], (
                f"{side} saw other orders than the server acknowledged to {other}"
            )
            assert all(m.content_type == "text" for m in received)
        acknowledged = [order for side in (VISITOR, STAFF) for order, _ in self.sent[side]]
        assert len(acknowledged) == len(set(acknowledged)), "one order acknowledged twice"
        # Order 1 is the visitor's epoch-0 commit; every message after it is one of ours.
        assert sorted(acknowledged) == list(range(2, self.last_order_stored() + 1))
        assert self.visitor.failures == []
        assert self.staff.failures == []

    def pubsub_subscribers(self) -> int:
        """How many workers' channel layers listen to this conversation's group in Redis."""
        group = f"asgi__group__conv.{uuid.UUID(self.conversation_id).hex}"
        lines = self.stack.redis_cli("PUBSUB", "NUMSUB", group).split()
        return int(lines[1])


@pytest.fixture
async def pair_open(
    live_stack: LiveStack, demo: dict, admin_fingerprint: bytes, staff_device_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Pair]]]:
    """``await pair_open(visitor_urls, staff_urls)``: a new visitor opens a conversation on
    the first of its URLs, the demo staff device (connected to the first of its URLs)
    subscribes and holds the epoch secret. Both reconnect through their URL lists."""
    pairs: list[Pair] = []

    async def open_pair(visitor_urls: list[str], staff_urls: list[str]) -> Pair:
        staff = StaffClient.login(
            staff_urls,
            username=demo["username"],
            password=demo["password"],
            totp_secret=demo["totp_secret"],
            device=DeviceKeys.load(staff_device_path),
            admin_fingerprint=admin_fingerprint,
        )
        await staff.start()
        visitor = VisitorClient(
            visitor_urls, admin_fingerprint=admin_fingerprint, campaign=demo["campaign"]
        )
        pair = Pair(stack=live_stack, visitor=visitor, staff=staff)
        pairs.append(pair)
        await visitor.start()
        await staff.subscribe(visitor.conversation_id)
        await staff.wait_for_epoch(visitor.conversation_id)
        return pair

    yield open_pair
    for pair in pairs:
        await pair.visitor.stop()
        await pair.staff.stop()
