"""``--profile``: py-spy samples a SUT worker during the W3 steps of the first round.

On-CPU only (no ``--idle``): a sample is taken of a thread that is running, so the
shares say where CPU goes, not where threads wait (over wall time, on a loaded machine,
a waiting thread blames ``untilConcludes``). Beside it, ``threads_cpu`` reads each
thread's CPU from /proc over the same window (``thread_cpu_read`` before and after).

The raw (collapsed) stacks go to ``bench/results/<run>-<system>-<rate>.txt`` (flamegraph.pl
or speedscope read them); ``summary`` ranks functions by the share of samples they
appear in (inclusive) and are on top of (self), which is what the report quotes.
"""

from __future__ import annotations

import os
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
    """Sample the running threads of ``pid`` (on-CPU) without stopping it."""
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
            "--threads",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def thread_cpu_read(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each thread of ``pid`` from /proc/<pid>/task/*/stat,
    by "main" (the event loop's thread) or "<comm> <tid>" (Python 3.11 does not name
    its OS threads: the ORM pool's, asgiref's and the jobs' threads are told by tid)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: Counter = Counter()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        name = "main" if task.name == str(pid) else f"{name} {task.name}"
        seconds[name] += (int(fields[11]) + int(fields[12])) / ticks
    return dict(seconds)


def thread_cpu_delta(before: dict[str, float], after: dict[str, float], window: float) -> list:
    """[(thread name, CPU seconds, share of one core over ``window``)], largest first."""
    used = {name: after[name] - before.get(name, 0.0) for name in after}
    return [
        (name, round(value, 3), round(value / window, 3) if window else None)
        for name, value in sorted(used.items(), key=lambda item: -item[1])
        if value > 0
    ]


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
