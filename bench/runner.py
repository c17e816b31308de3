"""``python -m bench [--quick]``: start everything, run W1–W5, print the table, write JSON.

Order of a run: W1 on freshly started servers (memory is measured from their warm
baseline); then W2 and W3 in rounds, each round visiting every system in turn
(interleaved, so a noisy minute hurts all systems alike, and repeated, so the table
can give medians and ranges); then W4 and W5 on the real path with two workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from bench.clients import Helpline
from bench.load import Tracker
from bench.report import report_print
from bench.stack import BASE_DIR, BENCH_RATE, Stack, nofile_raise
from bench.workloads import Context, w1_idle, w2_ramp, w3_rates, w4_storm, w5_expiry
from chat.client.http import staff_login
from chat.crypto.keys import DeviceKeys

RESULTS_DIR = BASE_DIR / "bench" / "results"
SYSTEMS = ["B0", "B1-pubsub×1", "B1-pubsub×2", "B1-core×1", "SUT×1", "SUT×2"]
W1_SYSTEMS = ["B0", "B1-pubsub×1", "B1-core×1", "SUT×1"]


@dataclass
class Plan:
    name: str
    repeats: int
    w1_sockets: list[int]
    w1_idle_s: float
    w2_refine: int  # bisections after the doubling ramp fails
    w2_step_s: float
    w3_step_s: float
    w4_clients: int
    w4_storms: int
    w5_envelopes: int
    drain_s: float = 5.0
    conversations: int = 50  # W2/W3: conversations (pairs or triples) at once
    per_staff_socket: int = 5  # SUT: conversations each staff socket follows
    sizes: list[int] = field(default_factory=lambda: [2, 3])
    w2_start: float = 50  # sends/s; doubled each step up to w2_limit
    w2_limit: float = 102_400
    w3_rates: list[float] = field(default_factory=lambda: [200, 1000])
    w4_rate: float = 100  # staff sends/s into the dropped conversations meanwhile
    w4_per_staff_socket: int = 100
    w4_spread_s: float = 2.0  # visitors notice the drop within this
    w4_timeout_s: float = 90
    w5_per_conversation: int = 100
    w5_rate: float = 200
    w5_baseline_s: float = 10


FULL = Plan(
    name="full",
    repeats=3,
    w1_sockets=[1000, 5000, 10000],
    w1_idle_s=30,
    w2_refine=3,
    w2_step_s=10,
    w3_step_s=20,
    w4_clients=2000,
    w4_storms=3,
    w5_envelopes=1_000_000,
)
QUICK = Plan(
    name="quick",
    repeats=2,
    w1_sockets=[1000],
    w1_idle_s=5,
    w2_refine=1,
    w2_step_s=2,
    w3_step_s=3,
    w4_clients=500,
    w4_storms=1,
    w5_envelopes=100_000,
    drain_s=2,
    w4_timeout_s=60,
    w5_baseline_s=4,
)

started_at = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - started_at:6.0f}s] {message}", file=sys.stderr, flush=True)


async def guarded(label: str, coroutine, stack: Stack, system: str | None = None):
    """Run one measurement; a failure is recorded as a failure, with the server's log."""
    try:
        return await coroutine
    except Exception as exc:  # noqa: BLE001 — the table shows it; the run goes on
        log(f"{label}: FAILED {type(exc).__name__}: {exc}")
        failure = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}
        if system:
            failure["server_log_tail"] = stack.server_log_tail(system, 1500)
        return failure


async def run_all(
    stack: Stack, plan: Plan, systems: list[str], workloads: set[str], profile_dir: Path | None
) -> dict:
    demo = stack.live.demo
    cookie = await asyncio.to_thread(
        staff_login, stack.live.urls[0], demo["username"], demo["password"], demo["totp_secret"]
    )
    helpline = Helpline(cookie=cookie, device=DeviceKeys.load(stack.live.staff_device_path))
    ctx = Context(stack=stack, helpline=helpline, tracker=Tracker(), profile_dir=profile_dir)
    results: dict = {"w1": {}, "w2": {}, "w3": {}, "w4": None, "w5": None}

    if "w1" in workloads:
        for system in [s for s in W1_SYSTEMS if s in systems]:
            log(f"W1 {system}: {plan.w1_sockets} idle sockets")
            results["w1"][system] = await guarded(
                f"W1 {system}",
                w1_idle(ctx, system, plan.w1_sockets, plan.w1_idle_s),
                stack,
                system,
            )

    b0_max: list[float] = []
    for round_index in range(plan.repeats if workloads & {"w2", "w3"} else 0):
        for system in systems:
            for size in plan.sizes:
                label = f"round {round_index + 1} {system} g={size}"
                fleet = await guarded(
                    label,
                    ctx.fleet(system, [size] * plan.conversations, plan.per_staff_socket),
                    stack,
                    system,
                )
                if isinstance(fleet, dict) or not fleet.lanes:
                    failure = fleet if isinstance(fleet, dict) else {"error": fleet.failures[:3]}
                    results["w2"].setdefault(f"{system} g={size}", []).append(failure)
                    continue
                if fleet.failures:
                    log(f"{label}: {len(fleet.failures)} setup failures, e.g. {fleet.failures[0]}")
                if "w2" in workloads:
                    ramp = await guarded(
                        label,
                        w2_ramp(
                            ctx,
                            system,
                            fleet,
                            plan.w2_start,
                            plan.w2_limit,
                            plan.w2_refine,
                            plan.w2_step_s,
                            plan.drain_s,
                        ),
                        stack,
                        system,
                    )
                    ramp["setup_s"] = round(fleet.setup_seconds, 1)
                    ramp["setup_failures"] = len(fleet.failures)
                    results["w2"].setdefault(f"{system} g={size}", []).append(ramp)
                    log(f"W2 {label}: max {ramp.get('max_sends_per_s')} sends/s")
                    if system == "B0" and size == 2 and ramp.get("max_sends_per_s"):
                        b0_max.append(ramp["max_sends_per_s"])
                if "w3" in workloads and size == 2:
                    rates = list(plan.w3_rates)
                    if b0_max:
                        rates.append(round(statistics.median(b0_max) / 2))
                    w3 = await guarded(
                        label,
                        w3_rates(ctx, system, fleet, rates, plan.w3_step_s, plan.drain_s),
                        stack,
                        system,
                    )
                    results["w3"].setdefault(system, []).append(w3)
                    if isinstance(w3, list):
                        log(
                            f"W3 {label}: "
                            + ", ".join(
                                f"{r['rate']:.0f}/s p99 {r['delivery']['p99_ms']} ms "
                                f"lost {r['lost']}"
                                for r in w3
                            )
                        )
                await fleet.close()
        ctx.profile_dir = None  # the first round's profile is enough

    sut = "SUT×2" if "SUT×2" in systems else "SUT×1"
    if "w4" in workloads and sut in systems:
        log(f"W4 {sut}: reconnect storm of {plan.w4_clients} visitors")
        results["w4"] = await guarded(
            "W4",
            w4_storm(
                ctx,
                sut,
                plan.w4_clients,
                plan.w4_per_staff_socket,
                plan.w4_storms,
                plan.w4_rate,
                plan.w4_spread_s,
                plan.w4_timeout_s,
            ),
            stack,
            sut,
        )
    if "w5" in workloads and sut in systems:
        # Live traffic the SUT holds (half its W2 maximum, at most w5_rate), so that what
        # the expiry job does to it shows, not an overload that was there before.
        maxima = [r.get("max_sends_per_s") for r in results["w2"].get(f"{sut} g=2", [])]
        known = [m for m in maxima if m]
        rate = min(plan.w5_rate, statistics.median(known) / 2) if known else plan.w5_rate
        log(f"W5 {sut}: expiry of {plan.w5_envelopes} envelopes under {rate:.0f} sends/s")
        results["w5"] = await guarded(
            "W5",
            w5_expiry(
                ctx,
                sut,
                plan.w5_envelopes,
                plan.w5_per_conversation,
                max(10, rate),
                plan.w5_baseline_s,
                plan.drain_s,
            ),
            stack,
            sut,
        )
    results["w5_system"] = results["w4_system"] = sut
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated subset of {','.join(SYSTEMS)}",
    )
    parser.add_argument("--workloads", default="w1,w2,w3,w4,w5")
    parser.add_argument("--repeats", type=int, help="override the plan's repeats")
    parser.add_argument(
        "--postgres-url",
        help="admin URL of an existing PostgreSQL server "
        "(default: a private cluster made with initdb)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy a SUT worker during the first round's W3 steps",
    )
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    if arguments.repeats:
        plan.repeats = arguments.repeats
    systems = [s for s in arguments.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    workloads = set(arguments.workloads.split(","))
    nofile = nofile_raise()
    workdir = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    workdir.chmod(0o755)  # the private cluster runs as the postgres user
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    profile_dir = None
    if arguments.profile:
        profile_dir = RESULTS_DIR / f"{stamp}-profiles"
        profile_dir.mkdir(parents=True, exist_ok=True)
    log(f"{plan.name} run; work directory {workdir}; open files limit {nofile}")
    stack = Stack(workdir, postgres_url=arguments.postgres_url)
    meta = {
        "plan": asdict(plan),
        "systems": systems,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "open_files_limit": nofile,
        },
        "settings": {
            "CHAT_RATE_PER_SECOND": BENCH_RATE,
            "CHAT_RATE_BURST": BENCH_RATE,
            "CHAT_OPENS_PER_MINUTE": BENCH_RATE,
            "CHAT_OPEN_POW_NUMBER": "1",
            "CHAT_SOCKETS_PER_TOKEN": BENCH_RATE,
            "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "600 (default)"),
            "CHAT_DB_THREADS": os.environ.get("CHAT_DB_THREADS", "8 (default)"),
        },
    }
    try:
        log("starting PostgreSQL, Redis, Daphne workers, B0 and B1 servers")
        stack.up()
        meta["postgres"] = "private cluster" if stack.cluster else "existing server"
        results = uvloop.run(run_all(stack, plan, systems, workloads, profile_dir))
    finally:
        stack.close()
        if not arguments.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    meta["loadavg_end"] = os.getloadavg()
    meta["seconds"] = round(time.perf_counter() - started_at)
    document = {"meta": meta, "results": results}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=1, default=str))
    report_print(document)
    print(f"\nJSON: {path.relative_to(BASE_DIR)}")
    return 0
