"""The updates being handled right now, so that a stop can let them finish (an order half-placed
must reach the database) before it closes what they use, within a bounded time.

In webhook mode an update is ours as soon as Telegram got its 200, which is before the task
handling it has started: the webhook announces it (`expect`), and a stop waits for it too."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
CANCEL_WAIT_SECONDS = 2.0


class UpdatesInFlight(BaseMiddleware):
    """An outer middleware on every update: it knows which tasks are handling one."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # update_id -> done once handled: accepted by the webhook, maybe not started yet.
        self._expected: dict[int, asyncio.Future[None]] = {}

    def expect(self, update_id: int) -> None:
        """An update was accepted (answered 200) and will be handled: a stop waits for it."""
        if update_id not in self._expected:
            self._expected[update_id] = asyncio.get_running_loop().create_future()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        expected = self._expected.pop(event.update_id, None) if isinstance(event, Update) else None
        task = asyncio.current_task()
        if task is not None:  # run by the event loop's tasks: a stop can wait for it
            self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            if task is not None:
                self._tasks.discard(task)
            if expected is not None and not expected.done():
                expected.set_result(None)

    def __len__(self) -> int:
        return len(self._tasks) + len(self._expected)

    async def wait(self, timeout: float) -> set[asyncio.Future[Any]]:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for the updates in hand; -> those still running."""
        waiting: set[asyncio.Future[Any]] = {*self._tasks, *self._expected.values()}
        if not waiting:
            return set()
        _, late = await asyncio.wait(waiting, timeout=timeout)
        return late

    async def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for the updates in hand; cancel the ones still running
        (a cancelled order placement is held as unconfirmed at the next start)."""
        late = await self.wait(grace)
        if not late:
            return
        # Updates accepted meanwhile have tasks of their own by now: cancel those too.
        running = set(self._tasks)
        logger.warning("%d updates still running after %.0fs: cancelled", len(late), grace)
        for future in {*late, *running}:
            future.cancel()
        self._expected.clear()
        if running:
            await asyncio.wait(running, timeout=CANCEL_WAIT_SECONDS)
