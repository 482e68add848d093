"""How fast one person may call the Mini App's API: the chat's token buckets (shop/rate_limit.py),
answered with 429 at once instead of a wait."""

from __future__ import annotations

from shop.rate_limit import RateBuckets

# A burst for the first screen and a search typed quickly, then a steady rate; placing orders,
# opening top-ups, changing a key and asking the panel have their own, slower rate.
REQUESTS = (40.0, 10.0)
ACTIONS = (10.0, 1.0)


class Rates:
    def __init__(self) -> None:
        self._requests = RateBuckets(*REQUESTS)
        self._actions = RateBuckets(*ACTIONS)

    def allowed(self, user_id: int, action: bool) -> bool:
        """Whether this call may go on now; an `action` counts against both rates."""
        if self._requests.wait(user_id, 0) is None:
            return False
        return not action or self._actions.wait(user_id, 0) is not None
