"""A proof of work before each new conversation (docs/protocol.md §8.3.1).

An open costs the server a row and a little work, and nothing about the client tells a
visitor from a flood: no address is seen, nothing identifying is kept. A shared budget of
opens (one per process per second) kept floods out of the database but let a
trickle of 8 opens a second keep genuine visitors out too. Here every open pays instead,
in the visitor's own processor, and nobody can spend anybody else's allowance:

- each visitor socket is sent an ``open.challenge`` after ``hello``: an ALTCHA (v1)
  challenge, SHA-256 of a salt and a secret number in [0, max_number], signed with a key
  derived from SECRET_KEY (so any worker checks what another issued), expiring after
  CHAT_OPEN_CHALLENGE_SECONDS. The client finds the number (about max_number / 2
  hashes; the widget does it in a Web Worker while the visitor types) and sends it in
  ``conversation.open``;
- a solution is taken once: its challenge is remembered until it expires (Redis, the
  channel layer's, shared by every worker; this process's memory on the embedded
  default or while Redis is away);
- max_number rises with the rate of opens of the last minute, every worker together:
  CHAT_OPEN_POW_NUMBER while at most CHAT_OPENS_PER_MINUTE, doubled for each further
  CHAT_OPENS_PER_MINUTE, up to CHAT_OPEN_POW_NUMBER_MAX. A flood costs its sender
  hashes in proportion to its rate; a visitor pays the same price as anybody at that
  moment, and is never refused for what others did.

What is kept: counts of opens per ten seconds and the hashes of challenges in use, both
expiring within minutes. Nothing about who solved them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.asyncio as redis
from altcha import create_challenge_v1, verify_solution_v1
from django.conf import settings
from django.utils.crypto import salted_hmac

from chat.events import layer_redis_url
from chat.protocol import frames as f
from chat.protocol.errors import ErrorCode, ProtocolError
from chat.redis_loop import RedisPerLoop

logger = logging.getLogger(__name__)

ALGORITHM = "SHA-256"
SALT_BYTES = 12
WINDOW_SECONDS = 10
WINDOWS = 6  # the last minute
KEY_PREFIX = "helpline:opens:"
USED_PREFIX = "helpline:open-challenge-used:"
# The difficulty is read from the counts at most this often per process.
DIFFICULTY_CACHE_SECONDS = 1.0
WARN_EVERY_SECONDS = 10


def hmac_key() -> str:
    return salted_hmac("chat.open_challenge", "altcha", algorithm="sha256").hexdigest()


def difficulty_for(opens_last_minute: int) -> int:
    """max_number for a challenge issued when the last minute saw that many opens."""
    base, ceiling = settings.CHAT_OPEN_POW_NUMBER, settings.CHAT_OPEN_POW_NUMBER_MAX
    doublings = max(0, opens_last_minute - 1) // settings.CHAT_OPENS_PER_MINUTE
    return min(ceiling, base << min(doublings, 32))


def challenge_make(*, max_number: int, now: datetime) -> f.OpenChallenge:
    expires = now + timedelta(seconds=settings.CHAT_OPEN_CHALLENGE_SECONDS)
    challenge = create_challenge_v1(
        algorithm=ALGORITHM,
        max_number=max_number,
        salt_length=SALT_BYTES,
        hmac_key=hmac_key(),
        salt="",
        number=None,
        expires=expires,
        params=None,
    )
    return f.OpenChallenge(
        algorithm=ALGORITHM,
        challenge=challenge.challenge,
        max_number=challenge.max_number,
        salt=challenge.salt,
        hmac=challenge.signature,
    )


def solution_valid(solution: f.OpenPow) -> bool:
    """Signed by us, not expired, and the number hashes to the challenge."""
    valid, _ = verify_solution_v1(
        {
            "algorithm": solution.algorithm,
            "challenge": solution.challenge,
            "number": solution.number,
            "salt": solution.salt,
            "signature": solution.hmac,
        },
        hmac_key(),
        True,
    )
    return valid


# -- where the counts and the used challenges live ---------------------------------------


class MemoryStore:
    """This process's counts and used challenges (embedded default; Redis away)."""

    def __init__(self) -> None:
        self.windows: dict[int, int] = {}
        self.used: dict[str, float] = {}

    async def opens(self, window: int) -> int:
        return sum(self.windows.get(window - back, 0) for back in range(WINDOWS))

    async def take(self, challenge: str, window: int, *, ttl: int) -> bool:
        clock = time.time()
        self.used = {key: until for key, until in self.used.items() if until > clock}
        if challenge in self.used:
            return False
        self.used[challenge] = clock + ttl
        self.windows = {w: n for w, n in self.windows.items() if w > window - WINDOWS}
        self.windows[window] = self.windows.get(window, 0) + 1
        return True


class RedisStore(RedisPerLoop):
    """Every worker's counts and used challenges, in Redis: SET NX, then INCR."""

    def __init__(self, address: str) -> None:
        super().__init__(address, timeout=1)

    async def opens(self, window: int) -> int:
        keys = [f"{KEY_PREFIX}{window - back}" for back in range(WINDOWS)]
        return sum(int(count or 0) for count in await self.client().mget(keys))

    async def take(self, challenge: str, window: int, *, ttl: int) -> bool:
        client = self.client()
        if not await client.set(f"{USED_PREFIX}{challenge}", 1, nx=True, ex=ttl):
            return False
        async with client.pipeline(transaction=True) as pipe:
            pipe.incr(f"{KEY_PREFIX}{window}")
            pipe.expire(f"{KEY_PREFIX}{window}", WINDOW_SECONDS * (WINDOWS + 1))
            await pipe.execute()
        return True


memory_store = MemoryStore()
redis_stores: dict[str, RedisStore] = {}


def store() -> MemoryStore | RedisStore:
    address = layer_redis_url()
    if address is None:
        return memory_store
    if address not in redis_stores:
        redis_stores[address] = RedisStore(address)
    return redis_stores[address]


class Unavailable:
    warned = float("-inf")


def redis_failed(exc: Exception) -> None:
    if time.monotonic() - Unavailable.warned >= WARN_EVERY_SECONDS:  # not one line per open
        Unavailable.warned = time.monotonic()
        logger.warning("open challenges: Redis unavailable (%s), counted here", type(exc).__name__)


def window_now() -> int:
    return int(time.time()) // WINDOW_SECONDS


@dataclass
class Difficulty:
    """The last difficulty read, and when (per process)."""

    max_number: int = 0
    read_at: float = float("-inf")


difficulty = Difficulty()


async def difficulty_now() -> int:
    clock = time.monotonic()
    if clock - difficulty.read_at < DIFFICULTY_CACHE_SECONDS and difficulty.max_number:
        return difficulty.max_number
    try:
        opens = await store().opens(window_now())
    except (redis.RedisError, OSError) as exc:
        redis_failed(exc)
        opens = await memory_store.opens(window_now())
    difficulty.max_number, difficulty.read_at = difficulty_for(opens), clock
    return difficulty.max_number


async def challenge_issue(now: datetime) -> f.OpenChallenge:
    return challenge_make(max_number=await difficulty_now(), now=now)


async def solution_take(solution: f.OpenPow | None, *, ref: str | None) -> None:
    """Admit an open whose solution is valid and new; else `pow_required` (the caller
    sends a fresh challenge)."""
    if solution is None or not solution_valid(solution):
        raise ProtocolError(
            ErrorCode.POW_REQUIRED, "solve the latest open.challenge and send it", ref=ref
        )
    ttl = settings.CHAT_OPEN_CHALLENGE_SECONDS + 60
    try:
        taken = await store().take(solution.challenge, window_now(), ttl=ttl)
    except (redis.RedisError, OSError) as exc:
        redis_failed(exc)
        taken = await memory_store.take(solution.challenge, window_now(), ttl=ttl)
    if not taken:
        raise ProtocolError(
            ErrorCode.POW_REQUIRED, "this challenge was used already; solve the new one", ref=ref
        )
