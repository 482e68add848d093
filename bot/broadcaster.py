"""Keeps each running broadcast's progress message up to date (sent / failed / blocked)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from shop import texts
from shop.console import Console

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 3.0


class BroadcastFollower:
    def __init__(self, bot: Bot, console: Console, every: float = PROGRESS_SECONDS) -> None:
        self._bot = bot
        self._console = console
        self._every = every
        self._shown: dict[int, str] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.update_once()
            except Exception:
                logger.exception("Broadcast progress update failed")
            await asyncio.sleep(self._every)

    async def update_once(self) -> None:
        for broadcast_id in await self._console.broadcasts.running():
            await self.update(broadcast_id)

    async def update(self, broadcast_id: int) -> None:
        """Show one running broadcast's figures in its progress message (its final state once;
        /broadcast cancel shows the canceled state itself)."""
        progress = await self._console.broadcast_progress(broadcast_id)
        if progress is None or progress.progress_chat_id is None:
            return
        text = texts.broadcast_progress_line(broadcast_id, progress)
        if self._shown.get(broadcast_id) == text or progress.progress_message_id is None:
            return
        with contextlib.suppress(TelegramAPIError):
            await self._bot.edit_message_text(
                text,
                chat_id=progress.progress_chat_id,
                message_id=progress.progress_message_id,
            )
        self._shown[broadcast_id] = text
        if progress.status != "running":
            self._shown.pop(broadcast_id, None)
