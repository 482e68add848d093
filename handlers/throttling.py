"""Flood protection: each person gets a small burst, then a steady rate.

Updates beyond the rate wait their turn (a fast typist loses nothing); beyond a few seconds of
backlog they are dropped, so one flooding client cannot make the bot hammer the database and
Telegram for them alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, User

from shop.i18n import _
from shop.rate_limit import RateBuckets

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ThrottleMiddleware(BaseMiddleware):
    def __init__(self, burst: float = 8, per_second: float = 4, max_wait: float = 5) -> None:
        self._buckets = RateBuckets(burst, per_second)
        self._max_wait = max_wait

    def reserve(self, user_id: int) -> float | None:
        """Seconds this update must wait for its turn, or None to drop it."""
        return self._buckets.wait(user_id, self._max_wait)

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
