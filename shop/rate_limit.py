"""How fast one person may ask: a small burst, then a steady rate (a token bucket per person).

The chat makes a fast typist wait their turn (handlers/throttling.py); the Mini App's API answers
429 at once (miniapp/rates.py). Both count the same way.
"""

from __future__ import annotations

import time

MEMORY = 50_000  # people remembered before idle ones are forgotten


class RateBuckets:
    def __init__(self, burst: float, per_second: float) -> None:
        self._burst = burst
        self._rate = per_second
        self._buckets: dict[int, tuple[float, float]] = {}  # person -> (tokens, updated)

    def wait(self, person: int, max_wait: float) -> float | None:
        """Seconds this request must wait for its turn (0: none), or None when that would be
        longer than `max_wait`: the request is refused and costs nothing."""
        now = time.monotonic()
        tokens, updated = self._buckets.get(person, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate) - 1
        wait = max(0.0, -tokens / self._rate)
        if wait > max_wait:
            return None
        self._buckets[person] = (tokens, now)
        if len(self._buckets) > MEMORY:
            full_after = self._burst / self._rate
            self._buckets = {p: v for p, v in self._buckets.items() if now - v[1] < full_after}
        return wait
