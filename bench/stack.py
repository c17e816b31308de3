"""Everything one bench run starts, once, and takes down at the end.

- a private PostgreSQL cluster (bench/pgcluster.py), or a database on the server named
  by ``--postgres-url`` when initdb is not available;
- the real path through ``bench/livestack.py``: a fresh database, its own redis-server
  (nothing saved), ``migrate``, ``demo_seed`` and two ``manage.py serve`` workers (the
  production command); "SUT×1" sends every socket to worker 0, "SUT×2" spreads them;
- B0: ``bench/relay_b0.py``; B1: ``bench/relay_b1.py`` over the pub/sub layer (two
  processes) and over the core layer (one), on the same redis-server, other db numbers.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.livestack import LiveStack, process_stop
from bench.pgcluster import PrivateCluster, port_free
from bench.procstat import Watched

BASE_DIR = Path(__file__).resolve().parent.parent

# The rate limit is for people; the bench sends far faster from one socket on purpose.
BENCH_RATE = "1000000"


def nofile_raise() -> int:
    """Raise the open-file limit to its hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Server:
    """A server process we started (B0 or B1), on 127.0.0.1:port."""

    name: str
    command: list[str]
    port: int
    log_path: Path
    ready_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, env: dict[str, str]) -> None:
        self.ready_path.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 — our own server scripts
                self.command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while not self.ready_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.05)


@dataclass
class Stack:
    workdir: Path
    postgres_url: str | None = None
    cluster: PrivateCluster | None = None
    live: LiveStack | None = None
    servers: dict[str, list[Server]] = field(default_factory=dict)

    def up(self) -> Stack:
        if self.postgres_url is None and PrivateCluster.available():
            self.cluster = PrivateCluster(self.workdir).start()
            admin_url = self.cluster.admin_url
        else:
            admin_url = self.postgres_url or "postgresql://postgres@127.0.0.1:5432/postgres"
        extra = {
            "CHAT_RATE_PER_SECOND": BENCH_RATE,
            "CHAT_RATE_BURST": BENCH_RATE,
            # W1 and W4 open thousands of conversations a minute: each at the lowest
            # price of the proof of work that guards a real helpline against floods
            # (what it costs is measured apart: chat/open_challenge.py).
            "CHAT_OPENS_PER_MINUTE": BENCH_RATE,
            "CHAT_OPEN_POW_NUMBER": "1",
            "CHAT_OPEN_POW_NUMBER_MAX": "1",
            # One demo staff device opens every staff socket of a workload (a real device
            # holds a few: CHAT_SOCKETS_PER_TOKEN).
            "CHAT_SOCKETS_PER_TOKEN": BENCH_RATE,
        }
        self.live = LiveStack(
            self.workdir / "sut", servers=2, postgres_url=admin_url, extra_env=extra
        )
        self.live.up()
        redis = self.live.redis_url.rsplit("/", 1)[0]
        self.servers = {
            "B0": [self._server("b0", ["bench/relay_b0.py"])],
            "B1-pubsub": [
                self._server(
                    f"b1-pubsub-{i}",
                    ["bench/relay_b1.py", "--layer", "pubsub", "--redis", f"{redis}/1"],
                )
                for i in range(2)
            ],
            "B1-core": [
                self._server(
                    "b1-core", ["bench/relay_b1.py", "--layer", "core", "--redis", f"{redis}/2"]
                )
            ],
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
        env["PYTHONPATH"] = str(BASE_DIR)
        for servers in self.servers.values():
            for server in servers:
                server.start(env)
        return self

    def _server(self, name: str, arguments: list[str]) -> Server:
        port = port_free()
        return Server(
            name=name,
            command=[
                sys.executable,
                *arguments,
                "--port",
                str(port),
                "--ready-file",
                str(self.workdir / f"{name}.ready"),
            ],
            port=port,
            log_path=self.workdir / f"{name}.log",
            ready_path=self.workdir / f"{name}.ready",
        )

    def close(self) -> None:
        for servers in self.servers.values():
            for server in servers:
                process_stop(server.process)
        try:
            if self.live is not None:
                self.live.close()
        finally:
            if self.cluster is not None:
                self.cluster.stop()

    # -- what the workloads need -----------------------------------------------------

    @staticmethod
    def parse(system: str) -> tuple[str, int]:
        """ "SUT×2" → ("SUT", 2): which servers, and how many of their processes."""
        base, _, count = system.partition("×")
        return base, int(count or 1)

    def urls(self, system: str) -> list[str]:
        base, count = self.parse(system)
        if base == "SUT":
            return self.live.urls[:count]
        return [server.url for server in self.servers[base]][:count]

    def server_processes(self, system: str) -> list[psutil.Process]:
        base, count = self.parse(system)
        if base == "SUT":
            return [psutil.Process(w.process.pid) for w in self.live.workers[:count]]
        return [psutil.Process(s.process.pid) for s in self.servers[base]][:count]

    def watched(self, system: str) -> dict[str, list[Watched]]:
        """The processes whose CPU a run of ``system`` costs, by group."""
        groups = {
            "server": [Watched(p) for p in self.server_processes(system)],
            "redis": [],
            "postgres": [],
        }
        if not system.startswith("B0"):
            groups["redis"] = [Watched(psutil.Process(self.live.redis_process.pid))]
        if system.startswith("SUT") and self.cluster is not None:
            groups["postgres"] = [Watched(self.cluster.postmaster(), with_children=True)]
        return groups

    def redis_info(self, section: str = "memory") -> dict[str, str]:
        text = self.live.redis_cli("INFO", section)
        pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
        return {key: value.strip() for key, value in pairs}

    def server_log_tail(self, system: str, size: int = 3000) -> str:
        base, _ = self.parse(system)
        if base == "SUT":
            return self.live.logs()[-size:]
        return "\n".join(s.log_path.read_text(errors="replace")[-size:] for s in self.servers[base])
