"""The updates being handled right now, so that a stop can let them finish (an order half-placed
must reach the database) before it closes what they use, within a bounded time.

In webhook mode an update is ours as soon as Telegram got its 200, which is before the task
handling it has started: the webhook hands that task over (`accept`), and a stop waits for it
too. An accepted task leaves the set when it ends, however it ends (done, failed, cancelled,
even before it started), so a lost entry can never hold a stop for the whole grace."""

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
        self._tasks: set[asyncio.Task[Any]] = set()  # handling an update now (the middleware)
        self._accepted: set[asyncio.Task[Any]] = set()  # answered 200, maybe not started yet

    def accept(self, task: asyncio.Task[Any]) -> None:
        """An update answered 200 will be handled by `task`: a stop waits for it (and cancels
        it after the grace). It is forgotten when the task ends, whatever ends it."""
        self._accepted.add(task)
        task.add_done_callback(self._accepted.discard)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        task = asyncio.current_task()
        if task is not None:  # run by the event loop's tasks: a stop can wait for it
            self._tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            if task is not None:
                self._tasks.discard(task)

    def __len__(self) -> int:
        return len(self._tasks | self._accepted)

    async def wait(self, timeout: float) -> set[asyncio.Future[Any]]:  # noqa: ASYNC109
        """Wait up to `timeout` seconds for the updates in hand; -> those still running."""
        waiting: set[asyncio.Future[Any]] = {*self._tasks, *self._accepted}
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
        running = self._tasks | self._accepted
        logger.warning("%d updates still running after %.0fs: cancelled", len(late), grace)
        for future in {*late, *running}:
            future.cancel()
        if running:
            await asyncio.wait(running, timeout=CANCEL_WAIT_SECONDS)
