"""Delivers the outbox to Telegram within its limits, and never loses a message.

About 25 messages a second overall and one a second per chat; a 429 pauses everything for its
`retry_after`; a network error postpones the message; a 403 (the person blocked the bot) marks
the person and drops what was waiting for them. A message is marked sent right after Telegram
accepts it, so a restart re-sends nothing that was delivered in normal running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)

from storage.notifications import Notification, NotificationRepository
from storage.users import UserRepository

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 5.0
MAX_RETRY_SECONDS = 600.0
PACING_MEMORY = 10_000  # chats remembered for per-chat pacing before old ones are pruned


class Notifier:
    def __init__(
        self,
        bot: Bot,
        outbox: NotificationRepository,
        users: UserRepository,
        *,
        per_second: float = 25.0,
        per_chat_interval: float = 1.0,
        on_outcome: Callable[[str], None] | None = None,  # sent, dropped, ... (metrics)
    ) -> None:
        self._bot = bot
        self._on_outcome = on_outcome
        self.outbox = outbox
        self._users = users
        self._spacing = 1.0 / per_second
        self._per_chat_interval = per_chat_interval
        self._last_send = 0.0
        self._last_by_chat: dict[int, float] = {}

    async def run(self) -> None:
        while True:
            # Cleared before looking, so a row committed while we look still wakes us below.
            self.outbox.added.clear()
            try:
                sent = await self.deliver_due()
            except Exception:
                logger.exception("Notifier round failed")
                sent = 0
            if sent == 0:
                # Sleep until something is added (or a postponed message comes due).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.outbox.added.wait(), IDLE_CHECK_SECONDS)

    async def deliver_due(self) -> int:
        """Send what is due, paced; returns how many were handled (sent or given up)."""
        handled = 0
        for notification in await self.outbox.due(limit=200):
            wait = self._per_chat_interval - (
                time.monotonic() - self._last_by_chat.get(notification.chat_id, -1e9)
            )
            if wait > 0:
                continue  # this chat had a message less than a second ago: next round
            handled += await self._deliver(notification)
        if handled == 0 and await self.outbox.due(limit=1):
            await asyncio.sleep(min(self._per_chat_interval, 0.2))
            return 1  # per-chat pacing held everything back: go round again soon
        return handled

    async def _pace(self) -> None:
        delay = self._last_send + self._spacing - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last_send = time.monotonic()

    async def _deliver(self, notification: Notification) -> int:
        outcome, handled = await self._send(notification)
        if outcome and self._on_outcome is not None:
            self._on_outcome(outcome)
        return handled

    async def _send(self, notification: Notification) -> tuple[str, int]:
        """-> (what became of it, "" if nothing was tried; 1 if it was handled, 0 if not)."""
        await self._pace()
        if notification.broadcast_id is not None and not await self.outbox.is_pending(
            notification.id
        ):
            return "", 1  # the broadcast was canceled while this round was under way
        chat_id = notification.chat_id
        try:
            await self._bot.send_message(chat_id, notification.text, disable_web_page_preview=True)
        except TelegramRetryAfter as error:
            logger.warning("Telegram asks to wait %ss", error.retry_after)
            await asyncio.sleep(error.retry_after)
            return "rate_limited", 0
        except TelegramForbiddenError:
            await self._users.set_blocked_bot(chat_id, True)
            dropped = await self.outbox.drop_for_chat(chat_id, "blocked the bot")
            logger.info("User %s blocked the bot; %d notifications dropped", chat_id, dropped)
            return "dropped", 1
        except (TelegramBadRequest, TelegramNotFound) as error:
            # Retrying cannot fix a message Telegram rejects (chat gone, bad markup): keep it
            # in the table with the reason, for admins to see.
            await self.outbox.drop(notification.id, f"rejected: {error.message}"[:500])
            logger.error("Telegram rejected notification %s: %s", notification.id, error.message)
            return "dropped", 1
        except (TelegramNetworkError, TelegramServerError) as error:
            delay = min(2.0 ** (notification.attempts + 1), MAX_RETRY_SECONDS)
            await self.outbox.postpone(notification.id, delay)
            logger.warning(
                "Notification %s not sent (%s); retry in %.0fs", notification.id, error, delay
            )
            return "postponed", 1
        now = time.monotonic()
        self._last_by_chat[chat_id] = now
        if len(self._last_by_chat) > PACING_MEMORY:  # forget chats that are past their pause
            horizon = now - self._per_chat_interval
            self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > horizon}
        await self.outbox.mark_sent(notification.id)
        return "sent", 1
