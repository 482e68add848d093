"""Every call to Telegram honours a 429: wait `retry_after`, then try again (a few times).

Without this a handler's reply would be lost when Telegram says "Too Many Requests".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response

if TYPE_CHECKING:
    from aiogram import Bot

logger = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        attempts: int = 3,
        longest_wait: float = 60.0,
        on_retry_after: Callable[[str], None] | None = None,  # told the method (metrics)
    ) -> None:
        self._attempts = attempts
        self._longest_wait = longest_wait
        self._on_retry_after = on_retry_after

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        for attempt in range(1, self._attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if self._on_retry_after is not None:
                    self._on_retry_after(method.__api_method__)
                if attempt == self._attempts or error.retry_after > self._longest_wait:
                    raise
                logger.warning(
                    "Telegram: too many requests on %s; retrying in %ss",
                    type(method).__name__,
                    error.retry_after,
                )
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable")
