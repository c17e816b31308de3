"""CPU and memory of the processes under test, from /proc (through psutil).

CPU is counted per group ("server", "redis", "postgres", "loadgen") as user + system
seconds. A process may carry its reaped children's time too (the postmaster: its
backends come and go with every ORM call with ``DATABASE_CONN_MAX_AGE=0``), so a group's total
is the sum over its processes of own time, reaped children's time when asked for, and
the time of their live children. On a shared, noisy machine CPU time still holds where
wall-clock throughput does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Watched:
    process: psutil.Process
    with_children: bool = False  # add reaped and live children (the postmaster)


def cpu_seconds(watched: Watched) -> float:
    try:
        times = watched.process.cpu_times()
        total = times.user + times.system
        if watched.with_children:
            total += times.children_user + times.children_system
            for child in watched.process.children():
                try:
                    child_times = child.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += child_times.user + child_times.system
        return total
    except psutil.NoSuchProcess:
        return 0.0


class CpuMeter:
    """``groups`` maps a name to a callable giving the processes to count right now."""

    def __init__(self, groups: dict[str, Callable[[], list[Watched]]]) -> None:
        self.groups = groups

    def snapshot(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(w) for w in get()) for name, get in self.groups.items()}

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}


def memory_kib(process: psutil.Process) -> dict[str, float]:
    """RSS and USS (pages only this process holds) in KiB."""
    info = process.memory_full_info()
    return {"rss_kib": info.rss / 1024, "uss_kib": info.uss / 1024}
