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
