"""The updates being handled right now, so that a stop can let them finish (an order half-placed
must reach the database) before it closes what they use, within a bounded time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
CANCEL_WAIT_SECONDS = 2.0


class UpdatesInFlight(BaseMiddleware):
    """An outer middleware on every update: it knows which tasks are handling one."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is None:  # not run by the event loop's tasks: nothing to wait for
            return await handler(event, data)
        self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            self._tasks.discard(task)

    def __len__(self) -> int:
        return len(self._tasks)

    async def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for the updates in hand; cancel the ones still running
        (a cancelled order placement is held as unconfirmed at the next start)."""
        running = set(self._tasks)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace)
        if not late:
            return
        logger.warning("%d updates still running after %.0fs: cancelled", len(late), grace)
        for task in late:
            task.cancel()
        await asyncio.wait(late, timeout=CANCEL_WAIT_SECONDS)
