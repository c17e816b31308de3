"""One full encrypted round trip through a running server: new visitor → staff device
→ visitor. Used by ``manage.py chat_smoke`` and the integration tests.

A step that does not happen fails with ``SmokeFailed``, whose message is a sentence that
says which step and what is missing (never a bare timeout)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from chat.client.staff import StaffClient
from chat.client.visitor import VisitorClient
from chat.crypto.keys import DeviceKeys

T = TypeVar("T")
STEP_SECONDS = 10.0


class SmokeFailed(Exception):
    """A step of the round trip did not happen; the message says what is missing."""


class TeamKeyMissing(SmokeFailed):
    """The staff device does not hold the team key version new conversations use."""

    def __init__(self, *, device_id: str, version: int, held: list[int]) -> None:
        self.device_id, self.version, self.held = device_id, version, held
        held_text = ", ".join(str(v) for v in held) or "none"
        super().__init__(
            f"staff device {device_id} does not hold team key version {version}, the one "
            f"new conversations are encrypted to (it holds: {held_text}), so it cannot read "
            "the visitor. A coordinator gives it the key on /staff/setup/ (step 3, “Give "
            "the team key”); if the page says the device has no wrap key yet, publish one "
            "first (a browser does at its next start; a command-line device: manage.py "
            "helpline_keys publish-wrap-key --device-key <its key file>)."
        )


async def within(awaitable: Awaitable[T], missing: str, seconds: float = STEP_SECONDS) -> T:
    """``awaitable``, or SmokeFailed("<missing> within N s") when it takes longer."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError as exc:
        raise SmokeFailed(f"{missing} within {seconds:.0f} s") from exc


@dataclass
class SmokeReport:
    steps: list[tuple[str, float]] = field(default_factory=list)
    conversation_id: str = ""

    @property
    def total_ms(self) -> float:
        return sum(ms for _, ms in self.steps)


class _Timer:
    def __init__(self, report: SmokeReport, say: Callable[[str], None]) -> None:
        self.report = report
        self.say = say
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        now = time.perf_counter()
        elapsed = (now - self.started) * 1000
        self.started = now
        self.report.steps.append((text, elapsed))
        self.say(f"{elapsed:8.1f} ms  {text}")


async def smoke_round_trip(
    base_url: str,
    *,
    username: str,
    password: str,
    device: DeviceKeys,
    admin_fingerprint: bytes,
    say: Callable[[str], None] = lambda _: None,
    campaign: str | None = None,
    totp_secret: str | None = None,
) -> SmokeReport:
    report = SmokeReport()
    timer = _Timer(report, say)
    staff = StaffClient.login(
        [base_url],
        username=username,
        password=password,
        device=device,
        admin_fingerprint=admin_fingerprint,
        auto_reconnect=False,
        totp_secret=totp_secret,
    )
    timer.step(f"staff {username} signed in")
    device_short = device.device_id[:8]
    await within(
        staff.start(), f"the staff device {device_short} was not connected and authenticated"
    )
    missing = staff.team_key_current_missing(now=int(time.time()))
    if missing is not None:
        await staff.stop()
        raise TeamKeyMissing(
            device_id=device.device_id, version=missing, held=sorted(staff.team_keys)
        )
    timer.step(f"staff device {device_short} authenticated; team key opened")
    visitor = VisitorClient(
        [base_url], admin_fingerprint=admin_fingerprint, campaign=campaign, auto_reconnect=False
    )
    try:
        await within(visitor.start(), "the visitor could not open a conversation")
        conversation = visitor.conversation_id
        report.conversation_id = conversation
        timer.step(f"visitor opened conversation {conversation[:8]} (epoch 0 committed)")
        await staff.subscribe(conversation)
        await within(
            staff.wait_for_epoch(conversation, timeout=STEP_SECONDS + 1),
            f"the staff device did not open the epoch secret of conversation {conversation[:8]}",
        )
        timer.step("staff subscribed and opened the epoch secret")
        question = f"Bonjour, test {secrets.token_hex(4)}"
        await visitor.say(question)
        received = await within(
            staff.receive(timeout=STEP_SECONDS + 1),
            "the visitor's message did not reach the staff device",
        )
        if received.text != question:
            raise SmokeFailed("the staff device decrypted something else than the visitor wrote")
        timer.step("visitor → staff: encrypted, stored, relayed, decrypted")
        answer = f"Bonjour, ici l'équipe. {secrets.token_hex(4)}"
        await staff.send_text(conversation, answer)
        reply = await within(
            visitor.receive(timeout=STEP_SECONDS + 1),
            "the staff's answer did not reach the visitor",
        )
        if reply.text != answer:
            raise SmokeFailed("the visitor decrypted something else than the staff device wrote")
        timer.step("staff → visitor: encrypted, stored, relayed, decrypted")
        failures = visitor.failures + staff.failures
        if failures:
            raise SmokeFailed(f"the clients reported failures: {failures}")
    finally:
        await visitor.stop()
        await staff.stop()
    return report
