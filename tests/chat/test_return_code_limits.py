"""The lookup budget of return codes (chat/return_code_limits.py, issue 15): taken before
the lookup, every process together in Redis (a number per second with a TTL, nothing
about who guessed), in the process's memory otherwise; a try past the budget waits in a
small queue for a later second, then is refused. A clock and a sleep are passed in, so
the second boundaries are chosen, not waited for."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis as redis_sync

from chat import return_code_limits as limits

SECOND = 1_740_000_000  # some second


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clean_memory(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    limits.memory_budget.second = None
    limits.Queue.waiting = 0
    yield
    limits.memory_budget.second = None


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
    keys = [f"{limits.KEY_PREFIX}{SECOND + i}" for i in range(3)]
    client.delete(*keys)
    yield client
    client.delete(*keys)
    client.close()


async def test_the_budget_is_taken_before_the_lookup_and_waits_for_the_next_second(settings):
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 2
    settings.CHAT_RETURN_CODE_WAIT_MS = 2000
    clock = Clock(SECOND + 0.25)
    assert await limits.return_code_admit(clock, clock.sleep) is None
    assert await limits.return_code_admit(clock, clock.sleep) is None
    # The third waits for the next second, and gets in then.
    assert await limits.return_code_admit(clock, clock.sleep) is None
    assert clock.now == SECOND + 1


async def test_a_full_queue_or_a_wait_that_runs_out_is_refused_with_a_hint(settings):
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 1
    settings.CHAT_RETURN_CODE_WAIT_MS = 200  # ends before the next second
    clock = Clock(SECOND + 0.75)
    assert await limits.return_code_admit(clock, clock.sleep) is None
    assert await limits.return_code_admit(clock, clock.sleep) == 250
    settings.CHAT_RETURN_CODE_QUEUE = 0
    settings.CHAT_RETURN_CODE_WAIT_MS = 5000
    assert await limits.return_code_admit(clock, clock.sleep) == 250


async def test_concurrent_tries_never_take_more_than_the_budget(settings):
    """No check-then-increment: 100 tries at once in one second, 5 get through."""
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 5
    settings.CHAT_RETURN_CODE_QUEUE = 0
    clock = Clock(SECOND + 0.5)
    answers = await asyncio.gather(
        *(limits.return_code_admit(clock, clock.sleep) for _ in range(100))
    )
    assert answers.count(None) == 5


async def test_in_redis_the_budget_is_a_number_per_second_with_a_ttl(settings, redis_store):
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 3
    settings.CHAT_RETURN_CODE_QUEUE = 0
    clock = Clock(SECOND + 0.5)
    answers = await asyncio.gather(
        *(limits.return_code_admit(clock, clock.sleep) for _ in range(10))
    )
    assert answers.count(None) == 3
    key = f"{limits.KEY_PREFIX}{SECOND}"
    assert redis_store.get(key) == b"10"
    assert 0 < redis_store.ttl(key) <= limits.KEY_TTL_SECONDS
    clock.now += 1
    assert await limits.return_code_admit(clock, clock.sleep) is None


async def test_without_redis_the_budget_holds_in_this_process(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0"}]},
        }
    }
    settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND = 1
    settings.CHAT_RETURN_CODE_QUEUE = 0
    limits.Queue.warned = float("-inf")
    clock = Clock(SECOND + 0.5)
    assert await limits.return_code_admit(clock, clock.sleep) is None
    assert await limits.return_code_admit(clock, clock.sleep) == 500
    assert "return-code budget unavailable" in caplog.text
