"""W1 idle, W2 throughput, W3 latency, W4 reconnect storm, W5 expiry (see README.md)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg

from bench import profile
from bench.clients import (
    Fleet,
    Helpline,
    SetupFailed,
    Socket,
    Visitor,
    gather_limited,
    relay_fleet,
    sut_fleet,
)
from bench.load import Step, Tracker, run_step
from bench.procstat import CpuMeter, Watched, memory_kib
from bench.stack import BASE_DIR, Stack
from bench.stats import latency_summary
from chat.protocol import frames as f


@dataclass
class Context:
    stack: Stack
    helpline: Helpline
    tracker: Tracker
    profile_dir: Path | None = None  # --profile: py-spy the SUT's W3 steps once

    def meter(self, system: str) -> CpuMeter:
        watched = self.stack.watched(system)
        groups = {name: (lambda w=w: w) for name, w in watched.items()}
        groups["loadgen"] = lambda: [Watched(psutil.Process())]
        return CpuMeter(groups)

    async def fleet(self, system: str, sizes: list[int], per_staff: int, urls=None) -> Fleet:
        urls = urls or self.stack.urls(system)
        if system.startswith("SUT"):
            return await sut_fleet(urls, self.helpline, sizes, per_staff, self.tracker.on_frame)
        return await relay_fleet(urls, sizes, self.tracker.on_frame)


def sizes_for_sockets(sockets: int, per_staff: int | None) -> list[int]:
    """Conversations of 2 and 3 members alternately, about ``sockets`` sockets in all:
    one socket per member on the relays; on the SUT one visitor socket per conversation
    plus one staff socket per ``per_staff`` staff members (1.5 per conversation)."""
    if per_staff is None:
        sizes: list[int] = []
        while sum(sizes) < sockets - 1:
            sizes.append(2 if len(sizes) % 2 == 0 else 3)
        return sizes
    conversations = max(2, round(sockets / (1 + 1.5 / per_staff)))
    return [2 if i % 2 == 0 else 3 for i in range(conversations)]


# -- W1 idle ---------------------------------------------------------------------------

W1_PER_STAFF = 50  # a staff device follows this many conversations (a busy shift)
SETTLE_CPU = 0.05  # the server is idle once it uses less than this share of a core


async def w1_idle(ctx: Context, system: str, counts: list[int], idle_seconds: float) -> list[dict]:
    """Open ``counts`` sockets (cumulatively) on one worker; memory and idle CPU each time.

    On the SUT, staff sockets each follow ``W1_PER_STAFF`` conversations, as the few
    devices of a shift do: every staff socket also gets every conversation's activity
    (the ``staff.activity`` group), so hundreds of staff sockets would measure that
    broadcast instead of idle sockets. Idle is measured once the server has settled
    (its CPU under 5 % of a core for a second, or after 120 s)."""
    sut = system.startswith("SUT")
    per_staff = W1_PER_STAFF if sut else None
    url = ctx.stack.urls(system)[:1]
    process = ctx.stack.server_processes(system)[0]
    meter = CpuMeter({"server": lambda: [Watched(process)]})
    for db in ("1", "2"):  # B1's databases: keys the core layer left expire on their own
        ctx.stack.live.redis_cli("-n", db, "FLUSHDB")
    warm = await ctx.fleet(system, [2, 2], 1, url)  # imports and caches of a first socket
    await warm.close()
    await asyncio.sleep(1)
    before = memory_kib(process)
    redis_before = 0 if system.startswith("B0") else int(ctx.stack.redis_info()["used_memory"])
    fleets: list[Fleet] = []
    results = []
    for count in counts:
        opened = sum(len(x.sockets) for x in fleets)
        started = time.perf_counter()
        sizes = sizes_for_sockets(count - opened, per_staff)
        fleets.append(await ctx.fleet(system, sizes, per_staff or 1, url))
        setup = time.perf_counter() - started
        sockets = sum(len(x.sockets) for x in fleets)
        settle_started = time.perf_counter()
        while time.perf_counter() - settle_started < 120:
            cpu_before = meter.snapshot()
            await asyncio.sleep(1)
            if CpuMeter.delta(cpu_before, meter.snapshot())["server"] < SETTLE_CPU:
                break
        settle = time.perf_counter() - settle_started
        cpu_before = meter.snapshot()
        await asyncio.sleep(idle_seconds)
        idle_cpu = CpuMeter.delta(cpu_before, meter.snapshot())["server"] / idle_seconds
        after = memory_kib(process)
        redis_after = 0 if system.startswith("B0") else int(ctx.stack.redis_info()["used_memory"])
        failures = [msg for x in fleets for msg in x.failures]
        per_socket = {
            key: round((after[key] - before[key]) / max(1, sockets), 1)
            for key in ("rss_kib", "uss_kib")
        }
        results.append(
            {
                "target_sockets": count,
                "sockets": sockets,
                "conversations": sum(len(x.lanes) for x in fleets),
                "setup_s": round(setup, 1),
                "settle_s": round(settle, 1),
                "rss_kib_per_socket": per_socket["rss_kib"],
                "uss_kib_per_socket": per_socket["uss_kib"],
                "rss_mib": round(after["rss_kib"] / 1024, 1),
                "redis_bytes_per_socket": round((redis_after - redis_before) / max(1, sockets)),
                "idle_cpu_percent": round(idle_cpu * 100, 2),
                "failures": len(failures),
                "failure_sample": failures[:3],
            }
        )
        if sockets < count * 0.5:
            break  # the system stopped taking sockets; larger counts would only fail more
    for fleet in fleets:
        await fleet.close()
    return results


# -- W2 throughput and W3 latency ------------------------------------------------------


async def w2_ramp(
    ctx: Context,
    system: str,
    fleet: Fleet,
    start: float,
    limit: float,
    refine: int,
    duration: float,
    drain: float,
) -> dict:
    """Double the rate from ``start`` until a step fails (or ``limit``), then bisect
    ``refine`` times (geometrically) between the last step that passed and the first that
    failed. The maximum is the highest step that passed."""
    meter = ctx.meter(system)
    results = []

    async def attempt(rate: float) -> bool:
        """A step fails only if it fails twice: on a shared machine one neighbour's burst
        must not end a ramp (both tries are in the JSON)."""
        for seed in (int(rate), int(rate) + 1):
            step = Step(rate, duration, drain, wants_ack=system.startswith("SUT"))
            result = await run_step(fleet.lanes, step, ctx.tracker, meter, seed=seed)
            results.append(result)
            await asyncio.sleep(0.5)
            if result["passed"]:
                return True
        return False

    low, high, rate = 0.0, None, start
    while rate <= limit:
        if not await attempt(rate):
            high = rate
            break
        low, rate = rate, rate * 2
    for _ in range(refine if high else 0):
        middle = round((low * high) ** 0.5) if low else round(high / 2)
        if middle in (low, high) or middle < 1:
            break
        if await attempt(middle):
            low = middle
        else:
            high = middle
    return {"max_sends_per_s": low, "steps": results}


async def w3_rates(
    ctx: Context, system: str, fleet: Fleet, rates: list[float], duration: float, drain: float
) -> list[dict]:
    meter = ctx.meter(system)
    results = []
    for rate in rates:
        step = Step(rate=rate, duration=duration, drain=drain, wants_ack=system.startswith("SUT"))
        sampler = output = None
        if ctx.profile_dir is not None and system.startswith("SUT"):
            output = ctx.profile_dir / f"profile-{system}-{rate:.0f}.txt"
            pid = ctx.stack.server_processes(system)[0].pid
            threads_before, started = profile.thread_cpu_read(pid), time.perf_counter()
            sampler = profile.record(pid, duration, output)
        result = await run_step(fleet.lanes, step, ctx.tracker, meter, seed=int(rate) + 7)
        if sampler is not None:
            threads_cpu = profile.thread_cpu_delta(
                threads_before, profile.thread_cpu_read(pid), time.perf_counter() - started
            )
            await asyncio.to_thread(sampler.wait, 60)
            result["profile"] = {"threads_cpu": threads_cpu}
            if output.exists():
                result["profile"] |= {"file": output.name, **profile.summary(output)}
        results.append(result)
        await asyncio.sleep(0.5)
    return results


# -- W4 reconnect storm ----------------------------------------------------------------

BACKOFF_FIRST = 0.25  # as chat/static/chat/protocol/session.js
BACKOFF_MAX = 10.0


async def visitor_return(
    ctx: Context,
    visitor: Visitor,
    fleet: Fleet,
    urls: list[str],
    dropped_at: float,
    spread: float,
    deadline: float,
    rng: random.Random,
) -> dict:
    """Come back as the widget does: detect the drop within ``spread`` s, reconnect with
    jittered exponential backoff, resume by token with the last order seen."""
    await asyncio.sleep(rng.uniform(0, spread))
    delay, attempts, errors = BACKOFF_FIRST, 0, []
    after = visitor.socket.last_order
    while time.perf_counter() < deadline:
        attempts += 1
        started = time.perf_counter()
        url = urls[(visitor.url_index + attempts) % len(urls)]
        socket = Socket(url, "/ws/visitor", ctx.tracker.on_frame)
        try:
            await socket.open()
            await socket.request(
                f.ConversationResume(token=visitor.token, after=after),
                until="sync.done",
                timeout=30,
            )
        except (OSError, SetupFailed, TimeoutError, Exception) as exc:  # noqa: BLE001
            errors.append(type(exc).__name__)
            await socket.close()
            await asyncio.sleep(delay + rng.uniform(0, delay))
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        socket.last_order = max(socket.last_order, after)
        visitor.socket = socket
        fleet.sockets.append(socket)
        return {
            "handshake_s": time.perf_counter() - started,
            "back_s": time.perf_counter() - dropped_at,
            "failed_attempts": errors,
        }
    return {"handshake_s": None, "back_s": None, "failed_attempts": errors}


async def w4_storm(
    ctx: Context,
    system: str,
    clients: int,
    per_staff: int,
    storms: int,
    rate: float,
    spread: float,
    timeout: float,
) -> dict:
    """Drop every visitor socket at once while staff keep writing to them; every
    visitor must come back and get every message (live or from its resume backlog)."""
    urls = ctx.stack.urls(system)
    fleet = await ctx.fleet(system, [2] * clients, per_staff)
    staff_lanes = [[lane[1]] for lane in fleet.lanes]
    runs = []
    rng = random.Random(4)
    for _ in range(storms):
        stop = asyncio.Event()
        step = Step(rate=rate, duration=timeout + 30, drain=10, wants_ack=True)
        sending = asyncio.create_task(
            run_step(staff_lanes, step, ctx.tracker, ctx.meter(system), stop=stop)
        )
        await asyncio.sleep(1.0)
        dropped_at = time.perf_counter()
        for visitor in fleet.visitors:
            visitor.socket.abort()
        deadline = dropped_at + timeout
        returns = await asyncio.gather(
            *(
                visitor_return(ctx, v, fleet, urls, dropped_at, spread, deadline, rng)
                for v in fleet.visitors
            )
        )
        await asyncio.sleep(1.0)
        stop.set()
        traffic = await sending
        # What fan-out missed, the client's heartbeat recovers: it asks for a sync after
        # the last order it has (docs/protocol.md §7). Loss is what is missing after it.
        await gather_limited([
            lambda v=v: v.socket.request(
                f.Sync(conversation_id=v.conversation_id, after=v.socket.last_order),
                until="sync.done", timeout=60)
            for v in fleet.visitors
        ])  # fmt: skip
        await asyncio.sleep(2)
        missed = sum(entry[1] for entry in ctx.tracker.pending.values())
        back = [r["back_s"] for r in returns if r["back_s"] is not None]
        failed = [e for r in returns for e in r["failed_attempts"]]
        runs.append(
            {
                "clients": len(fleet.visitors),
                "all_back_s": round(max(back), 2) if len(back) == len(returns) and back else None,
                "not_back": len(returns) - len(back),
                "handshake": latency_summary(
                    [r["handshake_s"] for r in returns if r["handshake_s"]]
                ),
                "failed_attempts": len(failed),
                "failed_kinds": {k: failed.count(k) for k in set(failed)},
                "staff_sends": traffic["sent"],
                "missed_live": traffic["lost"],
                "missed": missed,
                "unacked": len(ctx.tracker.acks),
                "refused_then_resent": traffic["refused"],
                "errors": traffic["errors"],
            }
        )
        await asyncio.sleep(2)
    await fleet.close()
    return {
        "setup_s": round(fleet.setup_seconds, 1),
        "setup_failures": fleet.failures[:5],
        "runs": runs,
    }


# -- W5 expiry -------------------------------------------------------------------------


W5_LIVE_MAX_SECONDS = 120


def columns_unfilled_check(db: psycopg.Connection, table: str, columns: str) -> None:
    """Django's defaults live in Python, not in the schema: a column a later migration adds
    NOT NULL must be named here, or COPY fails half-way through a long run. Say which."""
    named = {column.strip().strip('"') for column in columns.split(",")}
    required = {
        name
        for (name,) in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " AND table_schema = current_schema() AND is_nullable = 'NO'"
            " AND column_default IS NULL AND is_identity = 'NO'",
            [table],
        )
    }
    if missing := sorted(required - named):
        raise RuntimeError(f"W5's loader does not fill {table}: {', '.join(missing)}")


def expired_load(database_url: str, envelopes: int, per_conversation: int, idle_days: int) -> dict:
    """COPY expired conversations in (each with a participant, an epoch-0 commit with two
    wraps, and ``per_conversation`` envelopes of the usual size)."""
    started = time.perf_counter()
    conversations = max(1, envelopes // per_conversation)
    old = datetime.now(UTC) - timedelta(days=idle_days + 2)
    ids = [uuid.uuid4() for _ in range(conversations)]
    ct, sig, stream, key = os.urandom(272), os.urandom(64), os.urandom(16), os.urandom(65)
    with psycopg.connect(database_url, autocommit=True) as db:
        first_commit = db.execute("SELECT coalesce(max(id), 0) + 1 FROM chat_commit").fetchone()[0]

        def copy(table: str, columns: str, types: list[str], rows) -> None:
            columns_unfilled_check(db, table, columns)
            statement = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            with db.cursor().copy(statement) as copier:
                copier.set_types(types)
                for row in rows:
                    copier.write_row(row)

        copy(
            "chat_conversation",
            "id, token_hash, campaign_code, language, state, visitor_kem_public_key, "
            "visitor_sig_public_key, current_epoch, current_commit_hash, epoch_started_at, "
            "epochs_closed_through, last_order, created_at, last_activity_at",
            [
                "uuid",
                "bytea",
                "text",
                "text",
                "text",
                "bytea",
                "bytea",
                "int4",
                "bytea",
                "timestamptz",
                "int4",
                "int8",
                "timestamptz",
                "timestamptz",
            ],
            (
                (
                    i,
                    os.urandom(32),
                    "",
                    "fr",
                    "open",
                    key,
                    key,
                    0,
                    sig[:32],
                    old,
                    -1,
                    per_conversation + 1,
                    old,
                    old,
                )
                for i in ids
            ),
        )
        copy(
            "chat_participant",
            "conversation_id, kind, party_id, last_delivered_order, last_read_order, joined_at",
            ["uuid", "text", "text", "int8", "int8", "timestamptz"],
            ((i, "visitor", "visitor", 0, 0, old) for i in ids),
        )
        copy(
            "chat_commit",
            'id, conversation_id, epoch, "order", author, commit_hash, body_json, signature, '
            "received_at",
            ["int8", "uuid", "int4", "int8", "text", "bytea", "bytea", "bytea", "timestamptz"],
            (
                (first_commit + n, i, 0, 1, "visitor", sig[:32], b"{}", sig, old)
                for n, i in enumerate(ids)
            ),
        )
        copy(
            "chat_wrap",
            "commit_id, position, member_kind, member_id, key_id, ciphertext",
            ["int8", "int2", "text", "text", "bytea", "bytea"],
            (
                (first_commit + n, position, kind, kind, key[:16], ct[:113])
                for n in range(conversations)
                for position, kind in enumerate(("team", "visitor"))
            ),
        )
        copy(
            "chat_envelope",
            'conversation_id, "order", epoch, sender, stream, seq, content_type, ciphertext, '
            "signature, received_at",
            [
                "uuid",
                "int8",
                "int4",
                "text",
                "bytea",
                "int8",
                "text",
                "bytea",
                "bytea",
                "timestamptz",
            ],
            (
                (i, n + 2, 0, "visitor", stream, n, "text", ct, sig, old)
                for i in ids
                for n in range(per_conversation)
            ),
        )
        db.execute(
            "SELECT setval(pg_get_serial_sequence('chat_commit', 'id'), "
            "(SELECT max(id) FROM chat_commit))"
        )
        db.execute("ANALYZE")
    return {
        "conversations": conversations,
        "envelopes": conversations * per_conversation,
        "load_s": round(time.perf_counter() - started, 1),
    }


async def w5_expiry(
    ctx: Context,
    system: str,
    envelopes: int,
    per_conversation: int,
    rate: float,
    baseline_s: float,
    drain: float,
) -> dict:
    """The periodic job (chat.expiry.conversations_expire, in its own process as the
    ``worker`` runs it) deletes the loaded envelopes while live traffic goes on."""
    live = ctx.stack.live
    loaded = await asyncio.to_thread(
        expired_load, live.database_url, envelopes, per_conversation, 30
    )
    fleet = await ctx.fleet(system, [2] * 50, 5)
    meter = ctx.meter(system)
    before = await run_step(fleet.lanes, Step(rate, baseline_s, drain, True), ctx.tracker, meter)
    stop = asyncio.Event()
    job = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.expire_run",
        cwd=BASE_DIR,
        env=live.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    # Every envelope of a step is sealed before it starts, on the load generator's loop:
    # an hour of them (180,000 at 50 sends/s) kept the loop busy for longer than the job
    # and its sockets unanswered to the server's pings (the 2026-12-07 quick run sent one
    # message "during" the job). Two minutes of traffic at most; a longer job outlasts it.
    step = Step(rate=rate, duration=W5_LIVE_MAX_SECONDS, drain=drain, wants_ack=True)
    during_task = asyncio.create_task(run_step(fleet.lanes, step, ctx.tracker, meter, stop=stop))
    output, _ = await job.communicate()
    stop.set()
    during = await during_task
    await fleet.close()
    try:
        job_result = json.loads(output.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        job_result = {"error": output.decode()[-2000:]}
    return {
        **loaded,
        "job": job_result,
        "live_rate": rate,
        "live_before": before,
        "live_during": during,
    }
