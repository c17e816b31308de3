"""How fast return codes may be looked up (docs/protocol.md §10.4).

A code has 129 random bits: that is what protects the visitor, and guessing one online
is hopeless whatever the rate. The limits here protect the database, and must never
lock a genuine returner out because strangers guess. So there is no lock on a code and
no count of failures: every lookup, right or wrong, takes its place in a budget.

- Per socket, a token bucket (CHAT_RETURN_CODE_TRIES_BURST, then
  CHAT_RETURN_CODE_TRIES_PER_MINUTE): one socket cannot take the whole budget.
- Every lookup of every socket of every process takes one unit of the second's budget
  (CHAT_RETURN_CODE_LOOKUPS_PER_SECOND) BEFORE the lookup: an INCR of a counter for
  this clock second in Redis (the channel layer's), and the value the INCR returns
  decides — there is no check-then-increment, so no race, and a fresh socket brings no
  extra lookups. On the embedded default (no Redis), or while Redis cannot be reached,
  the same counter lives in this process's memory (then the budget is per process).
- A try that finds the second's budget spent waits in this process's small queue for a
  later second (at most CHAT_RETURN_CODE_QUEUE waiting, each at most
  CHAT_RETURN_CODE_WAIT_MS): a burst is smoothed, not refused. A full queue, or a wait
  that runs out, is answered `rate_limited` with `retry_after_ms`, before any lookup,
  so the answer says nothing about the code.

Under a flood of A lookups a second above the budget R, a returner's try gets through
with a chance of about R / A, and the client retries as told: the flood delays a
returner by about A / R tries, it does not lock them out. Nothing about who guessed is
kept: a number per second, which expires.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from django.conf import settings

from chat.events import layer_redis_url
from chat.redis_loop import RedisPerLoop

logger = logging.getLogger(__name__)

KEY_PREFIX = "helpline:return-code-lookups:"
KEY_TTL_SECONDS = 10
WARN_EVERY_SECONDS = 10


class MemoryBudget:
    """Lookups taken in the current second, in this process."""

    def __init__(self) -> None:
        self.second: int | None = None
        self.taken = 0

    async def take(self, second: int) -> int:
        if second != self.second:
            self.second, self.taken = second, 0
        self.taken += 1
        return self.taken


class RedisBudget(RedisPerLoop):
    """Lookups taken in a second, every process together: INCR, which is atomic."""

    def __init__(self, address: str) -> None:
        super().__init__(address, timeout=2)

    async def take(self, second: int) -> int:
        key = f"{KEY_PREFIX}{second}"
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, KEY_TTL_SECONDS)
            taken, _ = await pipe.execute()
        return int(taken)


memory_budget = MemoryBudget()
redis_budgets: dict[str, RedisBudget] = {}


def budget_store() -> MemoryBudget | RedisBudget:
    """Redis when the channel layer uses it (REDIS_URL), else this process."""
    address = layer_redis_url()
    if address is None:
        return memory_budget
    if address not in redis_budgets:
        redis_budgets[address] = RedisBudget(address)
    return redis_budgets[address]


async def lookup_take(now: float) -> bool:
    """One unit of this second's budget, taken now; False if it was spent."""
    second = int(now)
    try:
        taken = await budget_store().take(second)
    except (redis.RedisError, OSError) as exc:
        if time.monotonic() - Queue.warned >= WARN_EVERY_SECONDS:  # not one line per try
            Queue.warned = time.monotonic()
            logger.warning("return-code budget unavailable in Redis (%s)", type(exc).__name__)
        taken = await memory_budget.take(second)
    return taken <= settings.CHAT_RETURN_CODE_LOOKUPS_PER_SECOND


class Queue:
    """How many tries of this process wait for a later second."""

    waiting = 0
    warned = float("-inf")


def retry_hint(now: float) -> int:
    """Milliseconds to wait: until the next second's budget (a refusal costs no lookup,
    and the flood close, 4429, stops a socket that only gets refusals)."""
    return max(1, math.ceil((math.floor(now) + 1 - now) * 1000))


async def return_code_admit(
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int | None:
    """None once a unit of the budget is taken (the lookup may go on); else how many
    milliseconds to wait before trying again."""
    if await lookup_take(clock()):
        return None
    if Queue.waiting >= settings.CHAT_RETURN_CODE_QUEUE:
        return retry_hint(clock())
    Queue.waiting += 1
    try:
        deadline = clock() + settings.CHAT_RETURN_CODE_WAIT_MS / 1000
        while True:
            now = clock()
            next_second = math.floor(now) + 1
            if next_second >= deadline:
                return retry_hint(now)
            await sleep(next_second - now)
            if await lookup_take(clock()):
                return None
    finally:
        Queue.waiting -= 1
