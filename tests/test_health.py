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
