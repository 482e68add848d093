"""Webhook mode: Telegram posts each update to our web server instead of us polling for it.

aiogram's `SimpleRequestHandler` does the work (the route, the secret's comparison, handling each
update in a task of its own after answering 200). This module adds what a server facing the
internet needs before an update reaches the dispatcher: a request without the secret header is
refused with 403, a body that is not an update with 400 (a body over the server's limit gets
413 and a GET 405 from aiohttp itself); and every accepted update is announced to
`UpdatesInFlight`, so that a stop right after the 200 still handles it.

The secret comes from WEBHOOK_SECRET, or is generated once and kept in the `settings` table; the
update path is derived from it (a hash, so neither a log of paths nor a guess reveals it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.config import Settings
from bot.in_flight import UpdatesInFlight
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
SECRET_SETTING = "webhook_secret"  # noqa: S105 - a settings key
PATH_PREFIX = "/telegram/"


async def webhook_secret(settings: Settings, stored: SettingsRepository) -> str:
    """WEBHOOK_SECRET, else the one generated at an earlier start, else a new one, kept."""
    given = settings.webhook_secret.get_secret_value()
    if given:
        return given
    kept = await stored.get(SECRET_SETTING)
    if kept:
        return kept
    generated = secrets.token_urlsafe(32)  # A-Z a-z 0-9 _ -: what Telegram accepts
    await stored.set(SECRET_SETTING, generated)
    logger.info("Generated a webhook secret and kept it in the database")
    return generated


def webhook_path(secret: str) -> str:
    """Where Telegram posts updates: not guessable, and not the secret itself."""
    digest = hashlib.sha256(f"webhook-path:{secret}".encode()).hexdigest()
    return PATH_PREFIX + digest[:32]


class TelegramWebhook(SimpleRequestHandler):
    """aiogram's handler behind the checks above. The Bot's session is not closed with the web
    server (as aiogram's would): the updates still in hand use it, and `create_app` closes it."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, secret: str, in_flight: UpdatesInFlight
    ) -> None:
        super().__init__(dispatcher, bot, handle_in_background=True, secret_token=secret)
        self.secret = secret
        self.in_flight = in_flight

    def mount(self, app: web.Application) -> None:
        """The registrar for bot/web.py: POST on the path derived from the secret."""
        self.register(app, path=webhook_path(self.secret))

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            return web.Response(status=403, text="Forbidden")
        update_id = update_id_of(await request.read())  # over the size limit: 413
        if update_id is None:
            return web.Response(status=400, text="Bad Request: not a Telegram update")
        self.in_flight.expect(update_id)
        return await super().handle(request)  # reads the same body again, from memory

    async def close(self) -> None:
        """Nothing: see the class's note."""


def update_id_of(body: bytes) -> int | None:
    """The update's id if the body looks like a Telegram update (a JSON object of objects with
    an integer update_id), else None. aiogram then reads it field by field."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    if not all(isinstance(value, dict) for key, value in data.items() if key != "update_id"):
        return None
    return update_id


async def set_webhook(bot: Bot, dispatcher: Dispatcher, base_url: str, secret: str) -> None:
    """Point Telegram at this bot; updates queued meanwhile are kept and delivered."""
    try:
        await bot.set_webhook(
            url=base_url + webhook_path(secret),
            secret_token=secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
    except TelegramBadRequest as error:
        raise SystemExit(f"Telegram refused WEBHOOK_URL: {error.message}") from None
    logger.info("Webhook mode: Telegram posts updates to %s/telegram/...", base_url)


async def delete_webhook(bot: Bot) -> None:
    """Back to polling: Telegram stops posting, and what it queued comes by getUpdates."""
    await bot.delete_webhook(drop_pending_updates=False)
