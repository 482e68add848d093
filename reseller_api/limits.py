"""Rate limits: a token bucket per key's owner (RESELLER_API_RATE a second, bursts up to
RESELLER_API_BURST), and one per address for requests whose key is wrong, so keys cannot be
guessed at speed. Over the limit the API answers 429 with a JSON error."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

MEMORY = 10_000  # buckets kept before the full ones (idle long enough to refill) are dropped
WRONG_KEYS_PER_SECOND = 2.0
WRONG_KEYS_BURST = 20


@dataclass(slots=True)
class Bucket:
    tokens: float
    at: float


class RateLimit:
    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self.burst: float = burst
        self._clock = clock
        self._buckets: dict[Hashable, Bucket] = {}

    def take(self, who: Hashable) -> float:
        """0 when `who` may go on (a token is spent), else the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.get(who)
        if bucket is None:
            if len(self._buckets) >= MEMORY:
                self._forget_idle(now)
            bucket = self._buckets[who] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_second

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.per_second
        self._buckets = {
            who: bucket for who, bucket in self._buckets.items() if now - bucket.at < full_after
        }
