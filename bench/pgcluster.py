"""A private PostgreSQL cluster for one bench run (initdb + pg_ctl on a free port).

Why not just a database on the shared server: with ``DATABASE_CONN_MAX_AGE=0`` every ORM
call opens a new backend that lives a few milliseconds, so sampling the backends of
pg_stat_activity misses most of PostgreSQL's work. In a private cluster the postmaster
reaps only our backends, and its children's CPU (``cutime``/``cstime``) plus its live
children give the whole cost, whatever the settings. Other engineers' test runs on the
shared server then do not share our WAL either.

Settings are initdb's defaults (fsync and synchronous_commit on, shared_buffers 128 MB,
autovacuum on), as a small production server would start; only ``max_connections``
is raised so that many workers never run out.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import psutil

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def port_free() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_bin(name: str) -> str | None:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


class PrivateCluster:
    """``start()`` makes and starts it; ``stop()`` stops it and deletes its files."""

    def __init__(self, workdir: Path) -> None:
        self.datadir = workdir / "pg" / "data"
        self.port = port_free()
        self.user = None
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.user = "postgres"
        self.process_owner = self.user or pwd.getpwuid(os.geteuid()).pw_name

    @staticmethod
    def available() -> bool:
        return pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.process_owner}@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        # Our own arguments: PostgreSQL's binaries, our data directory and port.
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)  # noqa: S603

    def start(self) -> PrivateCluster:
        self.datadir.mkdir(parents=True)
        if self.user:
            shutil.chown(self.datadir.parent, self.user)
            shutil.chown(self.datadir, self.user)
        self._run(
            pg_bin("initdb"),
            "-D",
            str(self.datadir),
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.datadir} -c max_connections=300"
        )
        self._run(
            pg_bin("pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-w",
            "-l",
            str(self.datadir / "server.log"),
            "start",
        )
        return self

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._run(pg_bin("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self.datadir, ignore_errors=True)

    def postmaster(self) -> psutil.Process:
        pid = int((self.datadir / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid)
