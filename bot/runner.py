"""Running the bot as production does: `python -m bot` calls `main`.

In order: Telegram reachable, commands set, memory settled, background tasks, the web server,
then the webhook set (or deleted, and long polling) until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError

from bot.app import create_app
from bot.config import Settings
from bot.logging_setup import setup_logging

logger = logging.getLogger(__name__)

TELEGRAM_RETRY_MAX_SECONDS = 60.0


def main(settings: Settings) -> None:
    setup_logging(settings.secrets)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(run(settings))
    logger.info("Stopped")


async def run(
    settings: Settings, *, handle_signals: bool = True, polling_timeout: int = 30
) -> None:
    if handle_signals:
        # Until polling (or the webhook's wait) installs its own graceful handlers, a stop
        # signal cancels start-up.
        loop, current = asyncio.get_running_loop(), asyncio.current_task()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            if current is not None:
                loop.add_signal_handler(stop_signal, current.cancel)
    async with create_app(settings) as app:
        await wait_for_telegram(app.bot)
        await app.set_commands()
        settle_memory()
        app.start_background()
        await app.serve()
        if settings.uses_webhook:
            await app.receive_by_webhook()
            await wait_for_stop(handle_signals)
        else:
            await app.poll(handle_signals=handle_signals, polling_timeout=polling_timeout)


async def wait_for_telegram(bot: Bot) -> None:
    """Retry getMe until Telegram answers; a rejected token ends the program clearly."""
    delay = 1.0
    while True:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            raise SystemExit("Telegram rejected BOT_TOKEN: check it with @BotFather.") from None
        except (TelegramNetworkError, TelegramServerError) as error:
            logger.warning("Telegram is unreachable (%s); retrying in %.0fs", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, TELEGRAM_RETRY_MAX_SECONDS)
        else:
            logger.info("Connected to Telegram as @%s", me.username)
            return


def settle_memory() -> None:
    """What start-up built lives as long as the bot: keep it out of every later garbage
    collection, whose full passes otherwise paused the bot for 100-300 ms."""
    gc.collect()
    gc.freeze()


async def wait_for_stop(handle_signals: bool) -> None:
    """Until SIGINT or SIGTERM (without signal handling: until cancelled)."""
    stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, stop.set)
    await stop.wait()
    logger.info("Stopping: the web server closes, the updates in hand finish")
