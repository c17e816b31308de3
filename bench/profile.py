"""``--profile``: py-spy samples a SUT worker during the W3 steps of the first round.

The raw (collapsed) stacks go to ``bench/results/<run>-<system>-<rate>.txt`` (flamegraph.pl
or speedscope read them); ``summary`` ranks functions by the share of samples they
appear in (inclusive) and are on top of (self), which is what the report quotes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# Frames every sample of a thread goes through: they say nothing about where time goes.
SCAFFOLD = re.compile(
    r"\((threading|concurrent/futures/thread|manage|django/core/management/.*|daphne/server"
    r"|twisted/internet/asyncioreactor|asyncio/base_events|asyncio/events"
    r"|chat/management/commands/serve|asgiref/sync|channels/db)\.py\)$"
)


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, output: Path) -> subprocess.Popen | None:
    """Sample every thread of ``pid`` (idle ones too: a thread waiting on PostgreSQL
    is where the time goes) without stopping it."""
    binary = py_spy()
    if binary is None:
        return None
    return subprocess.Popen(  # noqa: S603 — py-spy on a pid we started
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "200",
            "--nonblocking",
            "--idle",
            "--threads",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summary(path: Path, top: int = 15) -> dict:
    """Top functions by inclusive and self share of samples, per thread kind."""
    threads: Counter = Counter()
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        thread = frames[0].rpartition(": ")[2]  # "thread (tid): Name" → the name
        thread = "ORM thread" if thread.startswith("ThreadPoolExecutor") else thread
        total += samples
        threads[thread] += samples
        for frame in {f"{thread}: {frame}" for frame in frames[1:] if not SCAFFOLD.search(frame)}:
            inclusive[frame] += samples
        own[f"{thread}: {frames[-1]}"] += samples

    def share(counter: Counter) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "threads_percent": share(threads),
        "inclusive_percent": share(inclusive),
        "self_percent": share(own),
    }
