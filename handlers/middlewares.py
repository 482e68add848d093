"""Per-update context: the person (registered on first contact), their language; private only."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery, TelegramObject, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import supported_language
from storage.users import UserRepository

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LAST_SEEN_REFRESH_SECONDS = 3600


def full_name(user: User) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part)[:128]


class PersonMiddleware(BaseMiddleware):
    """Loads (or registers) the sender as `person`, sets their language, stops banned people."""

    def __init__(self, users: UserRepository, i18n: I18n) -> None:
        self._users = users
        self._i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        if sender is None or sender.is_bot:
            return None
        if chat is not None and chat.type != "private":
            return await self._outside_private_chat(event)
        person = await self._users.get(sender.id)
        stale = person is None or (
            person.blocked_bot  # they are writing again: they unblocked the bot
            or person.full_name != full_name(sender)
            or person.username != sender.username
            or time.time() - person.last_seen_at > LAST_SEEN_REFRESH_SECONDS
        )
        if stale:
            with self._i18n.context():
                language = supported_language(sender.language_code)
            person = await self._users.register(
                sender.id, full_name(sender), sender.username, language
            )
        assert person is not None
        data["person"] = person
        data["i18n"] = self._i18n
        with self._i18n.context(), self._i18n.use_locale(person.language):
            paid = isinstance(event, Message) and event.successful_payment is not None
            if person.banned and not paid:  # money already paid is always credited
                return await self._banned(event)
            return await handler(event, data)

    async def _outside_private_chat(self, event: TelegramObject) -> None:
        """In groups the bot stays quiet, except one line for a command addressed to it."""
        if isinstance(event, Message) and event.text and event.text.startswith("/start"):
            with self._i18n.context():
                await event.answer(_("Please write to me in a private chat."))

    async def _banned(self, event: TelegramObject) -> None:
        text = _("Your account is suspended. Please contact the shop's support.")
        if isinstance(event, PreCheckoutQuery):  # refuse before Telegram takes the Stars
            await event.answer(ok=False, error_message=text)
        elif isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)
