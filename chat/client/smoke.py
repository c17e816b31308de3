"""One full encrypted round trip through a running server: new visitor → staff device
→ visitor. Used by ``manage.py chat_smoke`` and the integration tests."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chat.client.keys import DeviceKeys
from chat.client.staff import StaffClient
from chat.client.visitor import VisitorClient


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
    await staff.start()
    timer.step(f"staff device {device.device_id[:8]} authenticated; team key opened")
    visitor = VisitorClient(
        [base_url], admin_fingerprint=admin_fingerprint, campaign=campaign, auto_reconnect=False
    )
    try:
        await visitor.start()
        report.conversation_id = visitor.conversation_id
        timer.step(f"visitor opened conversation {visitor.conversation_id[:8]} (epoch 0 committed)")
        await staff.subscribe(visitor.conversation_id)
        await staff.wait_for_epoch(visitor.conversation_id)
        timer.step("staff subscribed and opened the epoch secret")
        question = f"Bonjour, test {secrets.token_hex(4)}"
        await visitor.say(question)
        received = await staff.receive()
        if received.text != question:
            raise AssertionError("staff decrypted something else than the visitor wrote")
        timer.step("visitor → staff: encrypted, stored, relayed, decrypted")
        answer = f"Bonjour, ici l'équipe. {secrets.token_hex(4)}"
        await staff.send_text(visitor.conversation_id, answer)
        reply = await visitor.receive()
        if reply.text != answer:
            raise AssertionError("visitor decrypted something else than staff wrote")
        timer.step("staff → visitor: encrypted, stored, relayed, decrypted")
        failures = visitor.failures + staff.failures
        if failures:
            raise AssertionError(f"client failures: {failures}")
    finally:
        await visitor.stop()
        await staff.stop()
    return report
