from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.db import OperationalError
from django.test import Client

import chat.health
import chat.views

if TYPE_CHECKING:
    from conftest import Served

# What a driver's error message may contain: never for the response body.
LEAKY_MESSAGE = "connection to server at 10.0.0.5 failed: password=hunter2"


class FailingCursor:
    def __enter__(self) -> FailingCursor:
        raise OperationalError(LEAKY_MESSAGE)

    def __exit__(self, *exc_info: object) -> None:
        return None


class FailingConnection:
    def cursor(self) -> FailingCursor:
        return FailingCursor()


class FailingLayer:
    async def new_channel(self) -> str:
        raise ConnectionError(LEAKY_MESSAGE)


@pytest.fixture(autouse=True)
def fresh_checks():
    """Each test sees its own checks, not the answer a previous one left (kept 1 s)."""
    chat.health.checks_forget()
    yield
    chat.health.checks_forget()


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_and_the_channel_layer_answer(
    client: Client,
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails_without_saying_why(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(chat.views, "connection", FailingConnection())
    with caplog.at_level(logging.WARNING, logger="chat.views"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "channel_layer": "ok"}
    assert "hunter2" not in response.content.decode()
    assert "10.0.0.5" not in response.content.decode()
    # The operator still learns why, from the log.
    assert "OperationalError" in caplog.text


@pytest.mark.django_db
def test_healthz_answers_503_when_the_channel_layer_fails_without_saying_why(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat.views, "get_channel_layer", lambda: FailingLayer())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "channel_layer": "error"}
    assert "hunter2" not in response.content.decode()


def test_healthz_refuses_anything_but_get(client: Client) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405


@pytest.mark.integration
def test_healthz_leaves_no_subscription_behind_in_redis(
    serve: Callable[..., Served], embedded_env: dict[str, str]
) -> None:
    """Each check makes a channel; on the pub/sub layer it must not outlive the check."""
    import redis

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL")
    served = serve({**embedded_env, "REDIS_URL": redis_url})
    client = redis.Redis.from_url(redis_url)
    try:
        before = set(client.pubsub_channels("asgispecific.*"))
        for _ in range(3):
            with urllib.request.urlopen(f"{served.url}/healthz", timeout=10) as response:
                assert json.load(response)["channel_layer"] == "ok"
        assert set(client.pubsub_channels("asgispecific.*")) <= before
    finally:
        client.close()


class HungCursor:
    """A database that accepted the connection and then stopped answering (SIGSTOP)."""

    released = None

    def __enter__(self) -> HungCursor:
        HungCursor.released.wait(30)
        raise OperationalError("no answer")

    def __exit__(self, *exc_info: object) -> None:
        return None


class HungConnection:
    def cursor(self) -> HungCursor:
        return HungCursor()


def test_healthz_says_the_database_is_sick_while_it_hangs_and_livez_still_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Answered by chat/health.py's ASGI front (as Daphne serves it): the hung probe is
    given up after its deadline, one probe at a time, and the answer names the part."""
    import asyncio
    import threading

    from chat.health import HealthEndpoints

    HungCursor.released = threading.Event()
    monkeypatch.setattr(chat.views, "connection", HungConnection())

    async def channel_layer_fine() -> None:
        return None

    monkeypatch.setattr(chat.views, "channel_layer_round_trip", channel_layer_fine)

    async def django_hangs(scope, receive, send) -> None:  # noqa: ANN001 — never reached
        await asyncio.Event().wait()

    app = HealthEndpoints(django_hangs)

    async def get(path: str) -> tuple[int, dict]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "path": path, "method": "GET", "headers": []}
        # Bounded: a hanging answer fails the test instead of hanging it.
        await asyncio.wait_for(app(scope, receive, send), 10)
        return sent[0]["status"], json.loads(sent[1]["body"])

    async def scenario() -> list[tuple[int, dict]]:
        return [await get("/healthz"), await get("/healthz"), await get("/livez")]

    try:
        first, second, live = asyncio.run(scenario())
    finally:
        HungCursor.released.set()
    sick = {"status": "error", "database": "error", "channel_layer": "ok"}
    assert first == (503, sick)
    assert second == (503, sick)  # the probe still hung is not started again
    assert live == (200, {"status": "ok"})


@pytest.mark.django_db
def test_livez_answers_without_asking_anything(client: Client, monkeypatch) -> None:
    monkeypatch.setattr(chat.views, "connection", FailingConnection())
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


class BrokenOnceConnection:
    """A connection a PostgreSQL restart broke: it fails until it is closed."""

    def __init__(self) -> None:
        self.closed = 0

    def cursor(self) -> FailingCursor | WorkingCursor:
        if self.closed:
            return WorkingCursor()
        return FailingCursor()

    def close(self) -> None:
        self.closed += 1


class WorkingCursor:
    def __enter__(self) -> WorkingCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def execute(self, sql: str) -> None:
        return None

    def fetchone(self) -> tuple:
        return (1,)


def test_a_failed_database_check_opens_a_new_connection_for_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = BrokenOnceConnection()
    monkeypatch.setattr(chat.views, "connection", broken)
    assert chat.views.database_check() is False
    assert chat.views.database_check() is True  # the broken one was closed
