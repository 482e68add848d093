from __future__ import annotations

from handlers.throttling import ThrottleMiddleware


def test_a_burst_passes_then_updates_wait_then_a_flood_is_dropped() -> None:
    throttle = ThrottleMiddleware(burst=3, per_second=2, max_wait=1)
    waits = [throttle.reserve(7) for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0.4 < (waits[3] or 0) <= 0.5  # the 4th waits half a second
    assert 0.9 < (waits[4] or 0) <= 1.0
    assert waits[5] is None  # more than a second of backlog: dropped
    assert throttle.reserve(8) == 0.0  # other people are not affected
