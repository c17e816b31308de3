"""The count of unknown return codes per minute (chat/return_code_limits.py): in Redis
when the channel layer uses it, shared by every process, a number with a TTL and nothing
about who guessed; in the process's memory otherwise. A clock is passed in, so the
minute boundaries are chosen, not waited for."""

from __future__ import annotations

import os

import pytest
import redis as redis_sync

from chat import return_code_limits as limits

MINUTE = 60 * 29_000_000  # some minute, on a boundary


@pytest.fixture
def clean_memory():
    limits.memory_failures.counts.clear()
    yield
    limits.memory_failures.counts.clear()


@pytest.fixture
def redis_store(settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": url}]},
        }
    }
    client = redis_sync.Redis.from_url(url)
    keys = [f"{limits.KEY_PREFIX}{MINUTE // 60 + i}" for i in range(2)]
    client.delete(*keys)
    yield client
    client.delete(*keys)
    client.close()


async def fail_and_admit(settings, count: int, at: float) -> int | None:
    settings.CHAT_RETURN_CODE_FAILURES_PER_MINUTE = 3
    for _ in range(count):
        await limits.return_code_failed(clock=lambda: at)
    return await limits.return_code_admit(clock=lambda: at)


async def test_in_memory_the_limit_holds_until_the_next_minute(settings, clean_memory):
    assert await fail_and_admit(settings, 2, MINUTE + 10) is None
    assert await fail_and_admit(settings, 1, MINUTE + 10) == 50_000
    assert await limits.return_code_admit(clock=lambda: MINUTE + 60) is None


async def test_in_redis_the_count_is_a_number_per_minute_with_a_ttl(settings, redis_store):
    assert await fail_and_admit(settings, 3, MINUTE + 45.5) == 14_500
    key = f"{limits.KEY_PREFIX}{MINUTE // 60}"
    assert redis_store.get(key) == b"3"
    assert 0 < redis_store.ttl(key) <= 2 * limits.WINDOW_SECONDS
    assert await limits.return_code_admit(clock=lambda: MINUTE + 61) is None


async def test_without_redis_guesses_are_still_answered(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},
        }
    }
    await limits.return_code_failed(clock=lambda: MINUTE)
    assert await limits.return_code_admit(clock=lambda: MINUTE) is None
    assert "return-code failures unavailable" in caplog.text
