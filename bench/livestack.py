"""A live helpline stack for the integration and browser tests and the benchmarks:
PostgreSQL, Redis and two Daphne workers, for real. (In bench/ so that both can import
it: the benchmarks import nothing from tests/.)

What ``LiveStack.up()`` brings up, all private to one test run and all on 127.0.0.1:

- a fresh PostgreSQL database ``helpline_it_<random hex>`` on the server that
  ``postgres_url`` points at (created with psycopg, dropped by ``close()``);
- its own ``redis-server`` on a free port, nothing saved to disk, which tests may stop and
  start again on the same port (``redis_stop()`` / ``redis_start()``); never the shared
  Redis on 6379;
- ``manage.py migrate`` (once per process: later stacks copy a migrated template
  database) and, unless ``seed=False`` (a helpline with no keys, to be set up
  through its pages), ``manage.py demo_seed`` (the demo's keys and password land in
  ``<workdir>/demo``: ``demo`` holds demo.json, ``staff_device_path`` the device keys);
- ``servers`` (two by default) ``manage.py serve --host 127.0.0.1 --port <free>`` processes,
  the production command of docker-compose.yml's ``web`` service, each writing stdout and
  stderr to ``<workdir>/server-<i>.log``; a worker is up once it wrote its ready file and
  answers ``GET /healthz`` with 200. ``kill(i)`` SIGKILLs one, ``stop(i)`` SIGTERMs it,
  ``start(i)`` brings it back on the same port. With ``metrics=True`` each
  also answers /metrics on a port of its own (``Worker.metrics_port``).

Every subprocess gets the same environment (``env``): DATABASE_URL, REDIS_URL,
SECRET_KEY, CHAT_DEMO_DIR, ALLOWED_HOSTS, LOG_LEVEL=INFO, plus ``extra_env``; whatever the
calling shell had for these is left out. Tests inspect what the servers keep and say
through ``sql()``, ``pg_dump()``, ``logs()`` (with ``log_mark()`` to read only what came
after a point) and ``monitor()`` (``redis-cli MONITOR`` in the background).

Nothing outlives the stack: ``close()`` (idempotent, also registered with ``atexit``)
stops every process it started and drops the database, even after a failed test; while
the stack is up, SIGTERM interrupts like Ctrl-C so that teardown runs then too (only
SIGKILL of the test process leaves things behind). Ports come from binding to port 0;
the small window before a server binds its port is accepted.

The module needs no Django: browser tests can use it as it is.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT_SECONDS = 180  # a shared 2-core machine at load 20 took 40–80 s to start one
STOP_TIMEOUT_SECONDS = 15
# What the calling environment may hold that would change what the servers do.
ENV_LEFT_OUT = frozenset(
    {
        "DATABASE_URL",
        "DATABASE_PASSWORD",
        "DATABASE_PASSWORD_FILE",
        "REDIS_URL",
        "SECRET_KEY",
        "SECRET_KEY_FILE",
        "CHAT_DEMO_DIR",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "DEBUG",
        "LOG_LEVEL",
        "HOST",
        "PORT",
        "METRICS_PORT",
        "METRICS_HOST",
        "HTTP_BODY_MAX_BYTES",
    }
)


# One migrated database per PostgreSQL server and process, copied for every stack by
# ``CREATE DATABASE … TEMPLATE`` (under a second): ``migrate`` runs once per test run
# instead of once per stack, where it took a minute and more on a busy 2-core machine.
# Each stack's database is still its own, dropped by ``close()``; the template at exit.
_MIGRATED: dict[str, str] = {}
_MIGRATED_LOCK = threading.Lock()


class StackError(RuntimeError):
    """A part of the stack did not start or stop as it should."""


def port_free() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_admin_url() -> str:
    """The maintenance database of the PostgreSQL server the test run points at.

    ``LIVESTACK_POSTGRES_URL`` if set; else the server of DATABASE_URL (as `make test`
    sets it) with the ``postgres`` database; else the local superuser on 127.0.0.1.
    """
    explicit = os.environ.get("LIVESTACK_POSTGRES_URL")
    if explicit:
        return explicit
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        return urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    return DEFAULT_POSTGRES_URL


def process_stop(process: subprocess.Popen | None, *, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL) a process we started and reap it; SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    if kill:
        process.kill()
    else:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _database_run(admin_url: str, statement: str, name: str) -> None:
    """One statement about a database (CREATE, DROP) on the server's maintenance db."""
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as db:
        db.execute(pgsql.SQL(statement).format(pgsql.Identifier(name)))


def _template_drop(admin_url: str, name: str) -> None:
    """At exit: drop a migrated template, unless its server is gone (a private cluster a
    test made and removed takes its databases with it)."""
    with contextlib.suppress(psycopg.OperationalError):
        _database_run(admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


@dataclass
class Worker:
    """One ``manage.py serve`` process of the stack."""

    index: int
    port: int
    log_path: Path
    ready_path: Path
    process: subprocess.Popen | None = None
    # Its own /metrics port (METRICS_PORT), when the stack was made with ``metrics=True``.
    metrics_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class RedisMonitor:
    """``redis-cli MONITOR`` running in the background, writing to ``path``.

    ``stop()`` first sends a sentinel through Redis and waits until MONITOR printed it,
    so everything Redis saw before ``stop()`` is in ``text()``.
    """

    stack: LiveStack
    path: Path
    process: subprocess.Popen
    _text: str | None = None

    def stop(self) -> str:
        if self._text is None:
            if self.process.poll() is None:
                sentinel = f"monitor-sentinel-{secrets.token_hex(8)}"
                with contextlib.suppress(StackError, subprocess.SubprocessError):
                    self.stack.redis_cli("ECHO", sentinel)
                    self._wait_for(sentinel)
            process_stop(self.process)
            self._text = self.path.read_bytes().decode("utf-8", errors="replace")
        return self._text

    def text(self) -> str:
        return self._text if self._text is not None else self.stop()

    def _wait_for(self, needle: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.path.read_text(errors="replace"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise StackError(f"redis-cli MONITOR did not show {needle!r}")
            time.sleep(0.02)


@dataclass(frozen=True)
class LogMark:
    """Where each server log ended at one moment (see ``LiveStack.log_mark``)."""

    offsets: dict[int, int] = field(default_factory=dict)


class LiveStack:
    def __init__(
        self,
        workdir: Path,
        *,
        servers: int = 2,
        postgres_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        seed: bool = True,
        metrics: bool = False,
    ) -> None:
        self.workdir = Path(workdir)
        self.seed = seed
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.demo_dir = self.workdir / "demo"
        self.postgres_admin_url = postgres_url or postgres_admin_url()
        self.database_name = f"helpline_it_{secrets.token_hex(6)}"
        parts = urlsplit(self.postgres_admin_url)
        self.database_url = urlunsplit(
            ("postgresql", parts.netloc, f"/{self.database_name}", "", "")
        )
        self.redis_port = port_free()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.redis_process: subprocess.Popen | None = None
        self.workers = [
            Worker(
                index=i,
                port=port_free(),
                log_path=self.workdir / f"server-{i}.log",
                ready_path=self.workdir / f"server-{i}.ready",
                metrics_port=port_free() if metrics else None,
            )
            for i in range(servers)
        ]
        self.monitors: list[RedisMonitor] = []
        self.database_created = False
        self.closed = False
        self._sigterm_previous: Any = None
        self.env = self._environment(extra_env or {})

    def _environment(self, extra_env: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ENV_LEFT_OUT}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY="livestack-" + secrets.token_urlsafe(32),
            CHAT_DEMO_DIR=str(self.demo_dir),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="INFO",
        )
        env.update(extra_env)
        return env

    # -- the whole stack -------------------------------------------------------------

    def up(self) -> LiveStack:
        """Bring everything up; on any failure, take down what was started and raise."""
        atexit.register(self.close)
        self._sigterm_interrupts()
        try:
            self._database_create()
            self.redis_start()
            if self.seed:
                self.manage("demo_seed", "--url", "http://127.0.0.1")
            for worker in self.workers:
                self._worker_spawn(worker)
            for worker in self.workers:
                self._worker_wait(worker)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every process and drop the database. Safe to call more than once."""
        if self.closed:
            return
        self.closed = True
        steps = [lambda m=m: process_stop(m.process) for m in self.monitors]
        steps += [lambda w=w: process_stop(w.process) for w in self.workers]
        steps.append(lambda: process_stop(self.redis_process))
        if self.database_created:
            steps.append(self._database_drop)
        failures = []
        for step in steps:  # each one, whatever the others did
            try:
                step()
            except Exception as exc:  # noqa: BLE001 — reported below, after the rest
                failures.append(exc)
        atexit.unregister(self.close)
        if self._sigterm_previous is not None:
            signal.signal(signal.SIGTERM, self._sigterm_previous)
            self._sigterm_previous = None
        if failures:
            raise StackError(f"the stack did not close cleanly: {failures!r}")

    def _sigterm_interrupts(self) -> None:
        """Make SIGTERM (a cancelled CI job) an interrupt, as Ctrl-C is: fixtures' teardown
        and ``atexit`` then run, where the default action would leave everything behind."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # someone else decided what SIGTERM does

        def interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        self._sigterm_previous = signal.signal(signal.SIGTERM, interrupt)

    def __enter__(self) -> LiveStack:
        return self.up()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def manage(
        self, *arguments: str, timeout: float = 120, database_url: str | None = None
    ) -> subprocess.CompletedProcess:
        """Run a management command with the stack's environment (on another database
        with ``database_url``); raise if it fails."""
        env = self.env if database_url is None else {**self.env, "DATABASE_URL": database_url}
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise StackError(
                f"manage.py {' '.join(arguments)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    @property
    def demo(self) -> dict[str, str]:
        """demo.json: username, password, device_id, campaign, fingerprint (hex)."""
        return json.loads((self.demo_dir / "demo.json").read_text())

    @property
    def staff_device_path(self) -> Path:
        """The demo staff device's private keys (``DeviceKeys.load`` reads them)."""
        return self.demo_dir / "staff.device.json"

    # -- Daphne workers --------------------------------------------------------------

    @property
    def urls(self) -> list[str]:
        return [worker.url for worker in self.workers]

    def worker_of(self, url: str) -> int:
        """Which worker serves a URL (http:// or ws://, any path)."""
        port = urlsplit(url).port
        for worker in self.workers:
            if worker.port == port:
                return worker.index
        raise ValueError(f"no worker of this stack serves {url}")

    def kill(self, index: int) -> None:
        """SIGKILL a worker, as a crash or an OOM kill would."""
        process_stop(self.workers[index].process, kill=True)

    def stop(self, index: int) -> None:
        """SIGTERM a worker: Daphne's own orderly shutdown."""
        process_stop(self.workers[index].process)

    def start(self, index: int) -> None:
        """(Re)start a worker on its port and wait until it serves."""
        worker = self.workers[index]
        if worker.running:
            raise StackError(f"worker {index} is running")
        self._worker_spawn(worker)
        self._worker_wait(worker)

    def _worker_spawn(self, worker: Worker) -> None:
        worker.ready_path.unlink(missing_ok=True)
        command = [
            sys.executable,
            "manage.py",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(worker.port),
            "--ready-file",
            str(worker.ready_path),
        ]
        env = dict(self.env)
        if worker.metrics_port is not None:
            env["METRICS_PORT"] = str(worker.metrics_port)
        with worker.log_path.open("ab") as log:
            worker.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def _worker_wait(self, worker: Worker) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if not worker.running:
                raise StackError(f"worker {worker.index} exited:\n{self._log_tail(worker)}")
            if worker.ready_path.exists() and self._healthy(worker):
                return
            if time.monotonic() > deadline:
                raise StackError(f"worker {worker.index} did not start:\n{self._log_tail(worker)}")
            time.sleep(0.05)

    @staticmethod
    def _healthy(worker: Worker) -> bool:
        try:
            with urllib.request.urlopen(worker.url + "/healthz", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    @staticmethod
    def _log_tail(worker: Worker, size: int = 4000) -> str:
        if not worker.log_path.exists():
            return ""
        return worker.log_path.read_bytes()[-size:].decode("utf-8", errors="replace")

    # -- server logs -----------------------------------------------------------------

    def log_mark(self) -> LogMark:
        """The current end of every server log, to read only what comes after it."""
        return LogMark(
            {w.index: w.log_path.stat().st_size if w.log_path.exists() else 0 for w in self.workers}
        )

    def logs(self, since: LogMark | None = None) -> str:
        """The text of every server log (since ``since`` if given), worker by worker."""
        texts = []
        for worker in self.workers:
            if not worker.log_path.exists():
                continue
            data = worker.log_path.read_bytes()
            if since is not None:
                data = data[since.offsets.get(worker.index, 0) :]
            texts.append(data.decode("utf-8", errors="replace"))
        return "\n".join(texts)

    # -- Redis -----------------------------------------------------------------------

    def redis_start(self) -> None:
        """Start (or restart) the stack's Redis on its port; wait until it answers."""
        if self.redis_process is not None and self.redis_process.poll() is None:
            raise StackError("redis is running")
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise StackError("redis-server is not installed")
        command = [
            redis_server,
            "--port", str(self.redis_port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.workdir),
        ]  # fmt: skip
        with (self.workdir / "redis.log").open("ab") as log:
            self.redis_process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._redis_answers():
            if self.redis_process.poll() is not None:
                log_text = (self.workdir / "redis.log").read_text(errors="replace")
                raise StackError(f"redis-server exited:\n{log_text[-2000:]}")
            if time.monotonic() > deadline:
                raise StackError("redis-server did not answer PING")
            time.sleep(0.02)

    def redis_stop(self, *, kill: bool = False) -> None:
        """Stop the stack's Redis (SIGTERM: shutdown; ``kill=True``: SIGKILL, a crash)."""
        process_stop(self.redis_process, kill=kill)

    def _redis_answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def redis_cli(self, *arguments: str) -> str:
        """Run ``redis-cli -p <port> <arguments>`` and return its output."""
        result = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *arguments],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise StackError(f"redis-cli {' '.join(arguments)} failed: {result.stderr}")
        return result.stdout

    def monitor(self) -> RedisMonitor:
        """Start ``redis-cli MONITOR`` in the background; returns once it is listening."""
        path = self.workdir / f"monitor-{len(self.monitors)}.txt"
        with path.open("wb") as output:
            process = subprocess.Popen(
                ["redis-cli", "-p", str(self.redis_port), "MONITOR"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        monitor = RedisMonitor(stack=self, path=path, process=process)
        self.monitors.append(monitor)
        monitor._wait_for("OK")
        return monitor

    @contextlib.contextmanager
    def monitoring(self) -> Iterator[RedisMonitor]:
        """``with stack.monitoring() as monitor: ...`` then ``monitor.text()``."""
        monitor = self.monitor()
        try:
            yield monitor
        finally:
            monitor.stop()

    # -- PostgreSQL ------------------------------------------------------------------

    def _database_create(self) -> None:
        """The stack's database: a copy of the process's migrated template."""
        template = self._migrated_template()
        with psycopg.connect(self.postgres_admin_url, autocommit=True, connect_timeout=10) as db:
            db.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(self.database_name), pgsql.Identifier(template)
                )
            )
        self.database_created = True

    def _migrated_template(self) -> str:
        """The name of a database ``migrate`` ran on, made on first use (see _MIGRATED)."""
        with _MIGRATED_LOCK:
            name = _MIGRATED.get(self.postgres_admin_url)
            if name is not None:
                return name
            name = f"helpline_it_migrated_{secrets.token_hex(6)}"
            _database_run(self.postgres_admin_url, "CREATE DATABASE {}", name)
            try:
                parts = urlsplit(self.postgres_admin_url)
                url = urlunsplit(("postgresql", parts.netloc, f"/{name}", "", ""))
                self.manage("migrate", "--noinput", timeout=600, database_url=url)
            except BaseException:
                _database_run(
                    self.postgres_admin_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name
                )
                raise
            _MIGRATED[self.postgres_admin_url] = name
            atexit.register(_template_drop, self.postgres_admin_url, name)
            return name

    def _database_drop(self) -> None:
        # FORCE: a killed worker may leave a backend behind for a moment.
        with psycopg.connect(self.postgres_admin_url, autocommit=True, connect_timeout=10) as db:
            db.execute(
                pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(self.database_name)
                )
            )
        self.database_created = False

    def sql(self, query: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement on the stack's database; return its rows (if any)."""
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=10) as db:
            cursor = db.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def pg_dump(self) -> str:
        """A full plain-text dump of the stack's database: ``pg_dump`` if it is installed
        (and works with this server), else every table's rows in COPY text format."""
        if shutil.which("pg_dump"):
            result = subprocess.run(
                ["pg_dump", "--no-owner", "--no-privileges", "--dbname", self.database_url],
                capture_output=True,
                timeout=120,
            )
            if result.returncode == 0:
                return result.stdout.decode("utf-8")
        return self._dump_with_copy()

    def _dump_with_copy(self) -> str:
        parts: list[bytes] = []
        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=10) as db:
            tables = db.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY 1, 2"
            ).fetchall()
            for schema, table in tables:
                name = pgsql.Identifier(schema, table)
                parts.append(f"-- {schema}.{table}\n".encode())
                with db.cursor().copy(pgsql.SQL("COPY {} TO STDOUT").format(name)) as copy:
                    parts.extend(bytes(chunk) for chunk in copy)
        # Decoded once: a chunk may end in the middle of a character.
        return b"".join(parts).decode("utf-8")
