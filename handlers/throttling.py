"""Flood protection: each person gets a small burst, then a steady rate.

Updates beyond the rate wait their turn (a fast typist loses nothing); beyond a few seconds of
backlog they are dropped, so one flooding client cannot make the bot hammer the database and
Telegram for them alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, User

from shop.i18n import _

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
MEMORY = 50_000  # people remembered before idle ones are forgotten


class ThrottleMiddleware(BaseMiddleware):
    def __init__(self, burst: float = 8, per_second: float = 4, max_wait: float = 5) -> None:
        self._burst = burst
        self._rate = per_second
        self._max_wait = max_wait
        self._buckets: dict[int, tuple[float, float]] = {}  # user -> (tokens, updated)

    def reserve(self, user_id: int) -> float | None:
        """Seconds this update must wait for its turn, or None to drop it."""
        now = time.monotonic()
        tokens, updated = self._buckets.get(user_id, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate) - 1
        wait = max(0.0, -tokens / self._rate)
        if wait > self._max_wait:
            return None
        self._buckets[user_id] = (tokens, now)
        if len(self._buckets) > MEMORY:
            full_after = self._burst / self._rate
            self._buckets = {u: v for u, v in self._buckets.items() if now - v[1] < full_after}
        return wait

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: User | None = data.get("event_from_user")
        if sender is None:
            return await handler(event, data)
        wait = self.reserve(sender.id)
        if wait is None:
            if isinstance(event, CallbackQuery):  # still answered: no spinning button
                await event.answer(_("Too fast. Please wait a moment."))
            return None
        if wait:
            await asyncio.sleep(wait)
        return await handler(event, data)
