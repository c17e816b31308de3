"""Open-loop load: sends at scheduled times, latency measured from the schedule.

A step at R sends/s over C conversations gives each conversation R/C sends/s, at
evenly spaced times with a random phase; the sender rotates among the conversation's
members (visitor, staff, visitor, …), as a chat goes. Every latency is counted from
the *scheduled* send time, so a load generator or server that falls behind shows up
as latency instead of silently sending less (no coordinated omission); how late the
load generator itself sent is reported as ``send_lag``.

A step passes when every message reached every other member (and, on the SUT, was
acknowledged), p99 delivery latency is under 250 ms, and the backlog did not grow:
the messages still in flight when the window ends are at most what 250 ms of sending
leaves in flight (``0.25 × R``, + 10).

A send the server refuses with ``rate_limited`` is sent again after its
``retry_after_ms``, as the clients do; such refusals are counted apart (``refused``),
not as errors, and the message's latency still counts from its first scheduled time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass

from bench.clients import Frame, Socket, Stream
from bench.procstat import CpuMeter
from bench.stats import latency_summary

P99_LIMIT_MS = 250
BACKLOG_SAMPLE_SECONDS = 0.25


class Tracker:
    """Matches deliveries (by envelope stream and seq) and acks (by ref) to sends."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.pending: dict[tuple[str, int], list] = {}  # key → [scheduled, deliveries left]
        self.acks: dict[str, float] = {}
        self.deliver_latency: list[float] = []
        self.ack_latency: list[float] = []
        self.send_lag: list[float] = []
        self.sent = 0
        self.delivered = 0
        self.duplicates = 0
        self.errors: Counter = Counter()
        self.other: Counter = Counter()
        self.outbox: dict[str, tuple[Socket, str]] = {}  # ref → what to send again
        self.refused = 0

    def on_frame(self, socket: Socket, frame: Frame, now: float) -> None:
        kind = frame.type
        if kind in ("envelope", "envelope.send") and frame.envelope is not None:
            entry = self.pending.get((frame.envelope.stream, frame.envelope.seq))
            if entry is None:
                self.duplicates += 1
                return
            self.delivered += 1
            self.deliver_latency.append(now - entry[0])
            entry[1] -= 1
            if entry[1] <= 0:
                del self.pending[(frame.envelope.stream, frame.envelope.seq)]
        elif kind == "ack":
            self.outbox.pop(frame.ref, None)
            scheduled = self.acks.pop(frame.ref, None)
            if scheduled is not None:
                self.ack_latency.append(now - scheduled)
        elif kind == "error" and frame.code == "rate_limited" and frame.ref in self.outbox:
            self.refused += 1
            self.send_again(frame.ref, (frame.retry_after_ms or 1000) / 1000)
        elif kind == "error":
            self.errors[frame.code or "?"] += 1
        else:
            self.other[kind] += 1

    def send_again(self, ref: str, delay: float) -> None:
        socket, text = self.outbox[ref]

        async def later() -> None:
            await asyncio.sleep(delay)
            try:
                await socket.ws.send(text)
            except Exception:  # noqa: BLE001 — a dead socket: the message stays missing
                self.errors["send_failed"] += 1

        asyncio.get_running_loop().create_task(later())


def schedule(lanes: list[list[Stream]], rate: float, duration: float, rng: random.Random):
    """[(offset seconds, stream)] in time order."""
    interval = len(lanes) / rate
    events = []
    for lane in lanes:
        t = rng.uniform(0, interval)
        turn = 0
        while t < duration:
            events.append((t, lane[turn % len(lane)]))
            t += interval
            turn += 1
    events.sort(key=lambda event: event[0])
    return events


@dataclass
class Step:
    rate: float
    duration: float
    drain: float = 5.0
    wants_ack: bool = False


async def run_step(
    lanes: list[list[Stream]],
    step: Step,
    tracker: Tracker,
    meter: CpuMeter,
    *,
    stop: asyncio.Event | None = None,
    seed: int = 1,
) -> dict:
    """Send ``step.rate`` sends/s for ``step.duration`` s (or until ``stop``); wait up to
    ``step.drain`` s for the last deliveries; return the figures of the step."""
    events = schedule(lanes, step.rate, step.duration, random.Random(seed))
    counts = Counter(id(stream) for _, stream in events)
    prep_started = time.perf_counter()
    for stream in {id(s): s for _, s in events}.values():
        stream.fill(counts[id(stream)] - len(stream.frames))
    prep_seconds = time.perf_counter() - prep_started
    tracker.reset()
    backlog: list[tuple[float, int]] = []
    cpu_before = meter.snapshot()
    start = time.perf_counter() + 0.05

    async def sample() -> None:
        while True:
            await asyncio.sleep(BACKLOG_SAMPLE_SECONDS)
            backlog.append((time.perf_counter() - start, len(tracker.pending)))

    sampler = asyncio.create_task(sample())
    sent = 0
    for offset, stream in events:
        if stop is not None and stop.is_set():
            break
        due = start + offset
        delay = due - time.perf_counter()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        seq, ref, text = stream.frames.popleft()
        tracker.pending[(stream.stream_b64, seq)] = [due, stream.recipients]
        if step.wants_ack:
            tracker.acks[ref] = due
            tracker.outbox[ref] = (stream.socket, text)
        tracker.send_lag.append(time.perf_counter() - due)
        sent += 1
        try:
            await stream.socket.ws.send(text)
        except Exception:  # noqa: BLE001 — a dead socket is a failure of the step, counted
            tracker.errors["send_failed"] += 1
    window = time.perf_counter() - start
    in_flight_at_end = len(tracker.pending)
    drain_deadline = time.perf_counter() + step.drain
    while (tracker.pending or tracker.acks) and time.perf_counter() < drain_deadline:
        await asyncio.sleep(0.02)
    sampler.cancel()
    cpu = CpuMeter.delta(cpu_before, meter.snapshot())
    lost = sum(entry[1] for entry in tracker.pending.values())
    delivery = latency_summary(tracker.deliver_latency)
    result = {
        "rate": step.rate,
        "window_s": round(window, 3),
        "sent": sent,
        "achieved_sends_per_s": round(sent / window, 1) if window else None,
        "delivered": tracker.delivered,
        "lost": lost,
        "unacked": len(tracker.acks) if step.wants_ack else 0,
        "duplicates": tracker.duplicates,
        "refused": tracker.refused,
        "errors": dict(tracker.errors),
        "other_frames": dict(tracker.other),
        "delivery": delivery,
        "ack": latency_summary(tracker.ack_latency) if step.wants_ack else None,
        "send_lag": latency_summary(tracker.send_lag),
        "in_flight_at_end": in_flight_at_end,
        "backlog_samples": backlog[-20:],
        "cpu_s": {name: round(value, 4) for name, value in cpu.items()},
        "prep_us_per_envelope": round(prep_seconds / max(1, sent) * 1e6, 1),
    }
    system_cpu = sum(v for k, v in cpu.items() if k != "loadgen")
    result["cpu_us_per_delivered"] = (
        round(system_cpu / tracker.delivered * 1e6, 1) if tracker.delivered else None
    )
    result["loadgen_us_per_delivered"] = (
        round(cpu.get("loadgen", 0) / tracker.delivered * 1e6, 1) if tracker.delivered else None
    )
    result["passed"] = (
        lost == 0
        and result["unacked"] == 0
        and not tracker.errors
        and delivery["p99_ms"] is not None
        and delivery["p99_ms"] < P99_LIMIT_MS
        and in_flight_at_end <= 0.25 * step.rate + 10
    )
    return result
