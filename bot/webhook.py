"""Webhook mode: Telegram posts each update to our web server instead of us polling for it.

A request without the secret header is refused with 403; the body is read whole through webio
(at most 1 MB, else 413; JSON at most 32 deep), and must be an update as aiogram reads it
(`Update.model_validate`), else 400 with a short reason; only then comes the 200, and the
update is handled in a task of its own, handed to `UpdatesInFlight` so that a stop right after
the 200 still handles it (and a task that fails or is cancelled never holds a stop). A GET
gets 405 from aiohttp itself.

The secret comes from WEBHOOK_SECRET, or is generated once and kept in the `settings` table; the
update path is derived from it (a hash, so neither a log of paths nor a guess reveals it).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.config import Settings
from bot.in_flight import UpdatesInFlight
from bot.web import MAX_BODY_BYTES
from storage.settings import SettingsRepository
from webio import BadRequest, read_json

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
SECRET_SETTING = "webhook_secret"  # noqa: S105 - a settings key
PATH_PREFIX = "/telegram/"
MAX_UPDATE_BYTES = MAX_BODY_BYTES  # the web server's own limit
MAX_UPDATE_DEPTH = 32  # an update nests about 8 deep (a reply's message's entities' user)


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


class TelegramWebhook:
    """The update path: the secret header, the body read through webio, the update validated
    as aiogram will read it, then 200 and the update handled in a task of its own (as aiogram's
    `SimpleRequestHandler` does in background mode), handed to `UpdatesInFlight`."""

    def __init__(
        self, dispatcher: Dispatcher, bot: Bot, secret: str, in_flight: UpdatesInFlight
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.secret = secret
        self.in_flight = in_flight

    def mount(self, app: web.Application) -> None:
        """The registrar for bot/web.py: POST on the path derived from the secret."""
        app.router.add_post(webhook_path(self.secret), self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secrets.compare_digest(given, self.secret.encode()):
            return web.Response(status=403, text="Forbidden")
        try:
            update = self.update_in(
                await read_json(request, max_bytes=MAX_UPDATE_BYTES, max_depth=MAX_UPDATE_DEPTH)
            )
        except BadRequest as error:
            logger.warning("Webhook request refused (%s): %s", request.remote, error)
            return web.Response(status=error.status, text=f"Bad Request: {error.reason}")
        self.in_flight.accept(asyncio.create_task(self._feed(update)))
        return web.json_response({})

    def update_in(self, data: dict[str, Any]) -> Update:
        """The update aiogram would build from `data`, or BadRequest 400: an update is judged
        before the 200, never in a task that fails after it. Stricter than pydantic's lax mode
        where Telegram is exact: an integer update_id, and every other field an object."""
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise BadRequest(400, "not a Telegram update (update_id)")
        for key, value in data.items():
            if key != "update_id" and not isinstance(value, dict):
                raise BadRequest(400, f"not a Telegram update ({key[:100]})")
        try:
            return Update.model_validate(data, context={"bot": self.bot})
        except ValidationError as error:
            where = ".".join(str(part) for part in error.errors()[0]["loc"]) or "the update"
            raise BadRequest(400, f"not a Telegram update ({where[:100]})") from None

    async def _feed(self, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(self.bot, update)
            if isinstance(result, TelegramMethod):  # a handler's answer "in the webhook's reply"
                await self.dispatcher.silent_call_request(self.bot, result)
        except Exception:  # the errors router answered what it could; this is a bug of ours
            logger.exception("Update %s failed in the webhook's task", update.update_id)


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
