"""Per-update context: the person (registered on first contact) and their language, private chats
only; every button press answered once; admin commands leave any half-done step."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswer, CallbackAnswerMiddleware

from shop import texts
from shop.i18n import _, in_language, supported_language
from shop.people import People
from shop.referrals import Referrals

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LAST_SEEN_REFRESH_SECONDS = 3600


def full_name(user: User) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part)[:128]


def start_args(event: TelegramObject) -> str | None:
    """What follows /start ("" if nothing) in a message that is a /start; None otherwise."""
    if not isinstance(event, Message) or not event.text:
        return None
    command, *args = event.text.split(maxsplit=1)
    return (args[0] if args else "") if command == "/start" else None


class PersonMiddleware(BaseMiddleware):
    """Loads (or registers) the sender as `person`, sets their language, stops banned people.

    A new person's first /start is registered together with its referral decision, in one
    transaction (`first_start` for the start handler): a launch-day crowd waits for the writer
    once a person, not twice."""

    def __init__(self, people: People, referrals: Referrals) -> None:
        self._people = people
        self._referrals = referrals

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        if sender is None or sender.is_bot:
            return None
        if chat is not None and chat.type != "private":
            return await self._outside_private_chat(event)
        person = await self._people.person(sender.id)
        if person is None and (args := start_args(event)) is not None:
            language = supported_language(sender.language_code)
            first = await self._referrals.first_start(
                sender.id, full_name(sender), sender.username, language, args or None
            )
            person, data["first_start"] = first.person, first
        stale = person is None or (
            person.blocked_bot  # they are writing again: they unblocked the bot
            or person.full_name != full_name(sender)
            or person.username != sender.username
            or time.time() - person.last_seen_at > LAST_SEEN_REFRESH_SECONDS
        )
        if stale:
            language = supported_language(sender.language_code)
            person = await self._people.register_person(
                sender.id, full_name(sender), sender.username, language
            )
        assert person is not None
        data["person"] = person
        with in_language(person.language):
            paid = isinstance(event, Message) and event.successful_payment is not None
            if person.banned and not paid:  # money already paid is always credited
                return await self._banned(event)
            return await handler(event, data)

    async def _outside_private_chat(self, event: TelegramObject) -> None:
        """In groups the bot stays quiet, except one line for a command addressed to it."""
        if isinstance(event, Message) and event.text and event.text.startswith("/start"):
            with in_language(None):
                await event.answer(_("Please write to me in a private chat."))

    async def _banned(self, event: TelegramObject) -> None:
        text = texts.account_suspended()
        if isinstance(event, PreCheckoutQuery):  # refuse before Telegram takes the Stars
            await event.answer(ok=False, error_message=text)
        elif isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        elif isinstance(event, Message):
            await event.answer(text)


class AnswerEveryButton(CallbackAnswerMiddleware):
    """aiogram's CallbackAnswerMiddleware (handlers set `callback_answer.text`), with two changes:
    a query too old to answer is no error, and a handler that failed leaves the answer to the
    errors router, which says sorry in an alert."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        reply = self.construct_callback_answer(properties=get_flag(data, "callback_answer"))
        data["callback_answer"] = reply
        result = await handler(event, data)
        if not reply.disabled:
            await answer_quietly(event, reply.text, reply.show_alert)
        return result


async def answer_now(
    callback: CallbackQuery, reply: CallbackAnswer, text: str | None = None
) -> None:
    """Answer before slow work (the panel), so the button stops spinning at once."""
    reply.disable()
    await answer_quietly(callback, text)


async def answer_quietly(
    callback: CallbackQuery, text: str | None = None, show_alert: bool | None = None
) -> None:
    with contextlib.suppress(TelegramBadRequest):  # too old to answer: nothing to show
        await callback.answer(text, show_alert=show_alert)


class LeaveFlowOnCommand(BaseMiddleware):
    """An admin command ends any half-done step (e.g. an amount asked from a user card), as
    every customer command does."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        is_command = isinstance(event, Message) and (event.text or "").startswith("/")
        if state is not None and is_command:
            await state.clear()
        return await handler(event, data)
