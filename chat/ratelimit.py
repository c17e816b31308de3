"""A token bucket per connection: floods are slowed without storing anything."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def retry_after_ms(self) -> int:
        return max(1, math.ceil((1 - self.tokens) / self.rate * 1000))


class RefusalWindow:
    """How a socket's frames were answered over the last ``window`` seconds, in
    one-second slots: a flood is a socket whose refused frames reached ``minimum`` and
    ``percent`` of all its frames. A count of refusals in a row never got there: each
    token the bucket refilled let one frame through and started the count again."""

    def __init__(
        self,
        *,
        window: int,
        minimum: int,
        percent: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.minimum = minimum
        self.percent = percent
        self.clock = clock
        # second → [frames, refused]
        self.slots: dict[int, list[int]] = {}

    def record(self, *, refused: bool, counted: bool = False) -> None:
        """One more frame, refused or not; ``counted``: a frame already recorded as
        accepted when it was queued, refused by its handler (one frame, not two)."""
        second = int(self.clock())
        slot = self.slots.get(second)
        if slot is None:
            for old in [s for s in self.slots if s <= second - self.window]:
                del self.slots[old]
            slot = self.slots[second] = [0, 0]
        slot[0] += int(not counted)
        slot[1] += int(refused)

    def flooding(self) -> bool:
        since = int(self.clock()) - self.window
        frames = refused = 0
        for second, (count, refusals) in self.slots.items():
            if second > since:
                frames += count
                refused += refusals
        return refused >= self.minimum and refused * 100 >= frames * self.percent


# -- limits that several sockets share, in this process's memory only -------------------
# Nothing is stored about who writes: a conversation id (random, already in memory for
# the sockets that follow it) and counts. Each `serve` process keeps its own, so with N
# processes the ceiling is N times the setting: still bounded, and nothing to leak.

SHARED_BUCKETS_MAX = 10_000


class SharedBuckets:
    """One token bucket per key (a conversation id), shared by every socket of this
    process that writes with that key: a second socket on the same conversation does not
    double its allowance. Full buckets are forgotten when the table grows."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, *, rate: float, burst: int) -> int | None:
        """None if allowed; else how many milliseconds until it would be."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= SHARED_BUCKETS_MAX:
                self.prune()
            bucket = self.buckets[key] = TokenBucket(rate=rate, burst=burst, clock=self.clock)
        if bucket.take():
            return None
        return bucket.retry_after_ms()

    def prune(self) -> None:
        now = self.clock()
        for key, bucket in list(self.buckets.items()):
            if bucket.tokens + (now - bucket.updated) * bucket.rate >= bucket.burst:
                del self.buckets[key]
        if len(self.buckets) >= SHARED_BUCKETS_MAX:  # all busy: a flood; start afresh
            self.buckets.clear()


# Frames that write in a conversation, per conversation (CHAT_CONVERSATION_RATE_*).
conversation_buckets = SharedBuckets()


def conversation_frame_admit(conversation_id: str) -> int | None:
    from django.conf import settings

    return conversation_buckets.take(
        conversation_id,
        rate=settings.CHAT_CONVERSATION_RATE_PER_SECOND,
        burst=settings.CHAT_CONVERSATION_RATE_BURST,
    )


# Messages a visitor sends in its conversation (CHAT_VISITOR_MESSAGES_*), close to human
# typing, all its sockets together, so an anonymous script cannot flood staff or the disk;
# under the frames' bucket above.
visitor_message_buckets = SharedBuckets()


def visitor_message_admit(conversation_id: str) -> int | None:
    from django.conf import settings

    return visitor_message_buckets.take(
        conversation_id,
        rate=settings.CHAT_VISITOR_MESSAGES_PER_MINUTE / 60,
        burst=settings.CHAT_VISITOR_MESSAGES_BURST,
    )
