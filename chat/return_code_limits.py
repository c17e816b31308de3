"""How fast return codes may be tried (issue 7, docs/protocol.md §10.4).

A code has 129 random bits, so guessing one online is hopeless anyway; these limits
keep it that way against a guesser with many sockets, and keep guesses from loading the
database. Two limits:

- per socket, a token bucket (CHAT_RETURN_CODE_TRIES_BURST, then
  CHAT_RETURN_CODE_TRIES_PER_MINUTE);
- wrong codes per minute, every socket of every process together
  (CHAT_RETURN_CODE_FAILURES_PER_MINUTE): a counter per minute in Redis (the channel
  layer's) with a TTL, or in this process's memory on the embedded default. More
  sockets do not buy more guesses. Nothing about who guessed is kept: a number per
  minute. A limit per lookup prefix would not help: the guesser chooses the lookups, so
  it would spread its guesses over every prefix.

A correct code is never counted as a failure. Once the minute's failures are used up,
every try — right or wrong — is told `rate_limited` before any lookup, so the answer
says nothing about the code. If Redis cannot be reached the socket's bucket still holds
and a warning is logged (a Redis outage must not lock visitors out of their
conversations).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import redis.asyncio as redis
from django.conf import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
KEY_PREFIX = "helpline:return-code-failures:"


class MemoryFailures:
    """Failures per minute window in this process (the embedded default)."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    async def count(self, window: int) -> int:
        return self.counts.get(window, 0)

    async def add(self, window: int) -> None:
        self.counts = {window: self.counts.get(window, 0) + 1}  # older windows dropped


class RedisFailures:
    """Failures per minute window in Redis, shared by every process; keys expire."""

    def __init__(self, address: str) -> None:
        self.address = address

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.address, socket_timeout=2, socket_connect_timeout=2)

    async def count(self, window: int) -> int:
        async with self.client() as client:
            value = await client.get(f"{KEY_PREFIX}{window}")
        return int(value or 0)

    async def add(self, window: int) -> None:
        async with self.client() as client, client.pipeline(transaction=True) as pipe:
            pipe.incr(f"{KEY_PREFIX}{window}")
            pipe.expire(f"{KEY_PREFIX}{window}", 2 * WINDOW_SECONDS)
            await pipe.execute()


memory_failures = MemoryFailures()


def failures_store() -> MemoryFailures | RedisFailures:
    """Redis when the channel layer uses it (REDIS_URL), else this process."""
    layer = settings.CHANNEL_LAYERS["default"]
    if "redis" in layer["BACKEND"]:
        return RedisFailures(layer["CONFIG"]["hosts"][0]["address"])
    return memory_failures


async def return_code_admit(clock: Callable[[], float] = time.time) -> int | None:
    """None if a try may go on; else how many milliseconds until the next minute."""
    now = clock()
    window = int(now // WINDOW_SECONDS)
    try:
        failures = await failures_store().count(window)
    except (redis.RedisError, OSError) as exc:
        logger.warning("return-code failures unavailable (%s)", type(exc).__name__)
        return None
    if failures < settings.CHAT_RETURN_CODE_FAILURES_PER_MINUTE:
        return None
    return max(1, math.ceil(((window + 1) * WINDOW_SECONDS - now) * 1000))


async def return_code_failed(clock: Callable[[], float] = time.time) -> None:
    try:
        await failures_store().add(int(clock() // WINDOW_SECONDS))
    except (redis.RedisError, OSError) as exc:
        logger.warning("return-code failures unavailable (%s)", type(exc).__name__)
