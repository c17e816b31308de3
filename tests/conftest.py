"""Fixtures every test directory may use. Persona and app fixtures live beside their tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's, then, before the test database is dropped, the connections that
    threads keep open on it (CONN_MAX_AGE: chat/db.py's pool, asgiref's thread) are ended,
    or PostgreSQL would refuse to drop it."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def port_free() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return port_free()


@pytest.fixture
def embedded_env() -> dict[str, str]:
    """The environment of a subprocess on the embedded default (SQLite, in-memory layer).

    Whatever the test run points at (PostgreSQL, Redis, a secret key) is left out, so the
    subprocess sees what `make run` on a fresh clone sees.
    """
    return embedded_environment()


def embedded_environment() -> dict[str, str]:
    """What `embedded_env` gives, for fixtures of a wider scope."""
    leave_out = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE"}
    env = {name: value for name, value in os.environ.items() if name not in leave_out}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Served:
    """A `manage.py serve` subprocess, listening on 127.0.0.1:`port`."""

    process: subprocess.Popen[bytes]
    port: int
    output_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.output_path.read_text()

    def stop(self) -> None:
        """SIGTERM; a server that has not stopped 30 s later is killed, and said so (a
        test that is about stopping cleanly asserts it itself: test_uvloop_serve.py)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"serve on port {self.port} did not stop within 30 s of SIGTERM: killed")
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `manage.py serve` (the production command) and wait until it listens.

    `serve(env, "--jobs")` returns a `Served`; every server still running at the end of
    the test is stopped (SIGTERM).
    """
    started: list[Served] = []

    def start(env: dict[str, str], *arguments: str) -> Served:
        started.append(serve_start(env, tmp_path, *arguments))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def sigint_default() -> None:
    """In the child, SIGINT as a terminal delivers it: a suite run in the background
    (`make test &`) has it ignored, which the child would inherit, and a test sending
    SIGINT would wait for nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve_start(env: dict[str, str], directory: Path, *arguments: str) -> Served:
    """Start `manage.py serve` (its ready file and log in ``directory``) and wait until it
    listens; the caller stops it."""
    port = port_free()
    ready_file = directory / f"serve-{port}.ready"
    output_path = directory / f"serve-{port}.log"
    command = [sys.executable, "manage.py", "serve", "--port", str(port)]
    command += ["--ready-file", str(ready_file), *arguments]
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=sigint_default,  # noqa: PLW1509 — one call, before exec
        )
    served = Served(process=process, port=port, output_path=output_path)
    deadline = time.monotonic() + 180  # slow on a busy machine: a wait, never a timing test
    while not ready_file.exists():
        if process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{served.output()}")
        if time.monotonic() > deadline:
            served.stop()
            raise AssertionError(f"serve did not start:\n{served.output()}")
        time.sleep(0.05)
    return served


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's sync API, once started, leaves an event loop
    marked running in the main thread for the rest of the session, and every later test
    that starts its own loop (pytest-asyncio, ``asyncio.run``) would then fail."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# -- issue 10: signing in takes a password and a second factor ---------------------------


@pytest.fixture(autouse=True)
def force_login_passes_both_factors(monkeypatch: pytest.MonkeyPatch) -> None:
    """In tests, ``client.force_login(user)`` means "signed in", and signing in is the
    password and the second factor: it leaves the session as the real sign-in does
    (tests/two_factor.py). Tests of the sign-in itself go through its pages; tests from
    the wrong side build a password-only session with ``client._login(user, backend)``."""
    from django.test.client import ClientMixin

    from tests.two_factor import two_factor_session

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):  # noqa: ANN001, ANN202
        original(self, user, backend)
        two_factor_session(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def link_opens_fresh() -> Iterator[None]:
    """The per-process budget of counted link opens (widget/link_opens.py), full."""
    from widget.link_opens import link_opens_buckets

    link_opens_buckets.buckets.clear()
    yield
    link_opens_buckets.buckets.clear()


@pytest.fixture(autouse=True)
def open_challenges_cheap(settings) -> None:
    """Issue 15's proof of work at its lowest price: tests open conversations by the
    hundred. Tests of the price set it (tests/chat/test_open_challenge.py)."""
    from chat import open_challenge

    settings.CHAT_OPEN_POW_NUMBER = 1_000
    settings.CHAT_OPEN_POW_NUMBER_MAX = 1_000
    open_challenge.difficulty.read_at = float("-inf")  # read afresh with these


@pytest.fixture(autouse=True)
def visitor_messages_unthrottled(settings) -> None:
    """Issue 15's visitor message rate (30 a minute, burst 10) paces a person; tests that
    send many messages at machine speed are not about it. Tests of the limit set it."""
    settings.CHAT_VISITOR_MESSAGES_BURST = 10_000
