"""The one place that knows every part: builds storage, the panel client, the Bot and Dispatcher,
starts and stops background tasks, and runs long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError

from bot.config import Settings
from bot.logging_setup import setup_logging
from provider.client import PanelClient
from provider.simulator import PanelSimulator
from storage.db import Database

logger = logging.getLogger(__name__)

SIMULATOR_KEY = "demo"
TELEGRAM_RETRY_MAX_SECONDS = 60.0


class Application:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_path)
        self.simulator: PanelSimulator | None = None
        self.panel: PanelClient | None = None
        self.bot = Bot(
            token=settings.bot_token.get_secret_value(),
            session=AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
        self.dispatcher = Dispatcher()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Open storage and the panel; called before polling starts."""
        await self.db.connect()
        self.panel = await self._connect_panel()
        self.dispatcher["app"] = self

    async def _connect_panel(self) -> PanelClient:
        settings = self.settings
        if not settings.uses_simulator:
            return PanelClient(settings.provider_url, settings.provider_key)
        self.simulator = PanelSimulator(key=SIMULATOR_KEY)
        url = await self.simulator.start()
        logger.warning(
            "PROVIDER_URL is empty: using the built-in SIMULATED panel at %s. "
            "Orders are NOT real. Set PROVIDER_URL and PROVIDER_KEY to sell for real.",
            url,
        )
        return PanelClient(url, SIMULATOR_KEY)

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Start a background task kept by reference, cancelled and awaited on stop."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.panel is not None:
            await self.panel.close()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.bot.session.close()
        await self.db.close()

    async def wait_for_telegram(self) -> None:
        """Retry getMe until Telegram answers; a rejected token ends the program clearly."""
        delay = 1.0
        while True:
            try:
                me = await self.bot.get_me()
            except TelegramUnauthorizedError:
                raise SystemExit(
                    "Telegram rejected BOT_TOKEN: check the token from @BotFather."
                ) from None
            except (TelegramNetworkError, TelegramServerError) as error:
                logger.warning("Telegram is unreachable (%s); retrying in %.0fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, TELEGRAM_RETRY_MAX_SECONDS)
            else:
                logger.info("Connected to Telegram as @%s", me.username)
                return

    async def run_polling(self, *, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        await self.start()
        try:
            await self.wait_for_telegram()
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=handle_signals,
                polling_timeout=polling_timeout,
                close_bot_session=False,
            )
        finally:
            await self.stop()


def main(settings: Settings) -> None:
    secrets = [settings.bot_token.get_secret_value(), settings.provider_key.get_secret_value()]
    setup_logging(secrets)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Application(settings).run_polling())
