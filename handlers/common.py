"""Helpers shared by the routers: show a screen (edit or send), answer a button quietly."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from handlers import keyboards


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A command gets a new message; a button press edits the message it belongs to."""
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup, disable_web_page_preview=True)
        return
    message = target.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup, disable_web_page_preview=True)
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                # Too old to edit (or deleted): send the screen afresh instead.
                await message.answer(text, reply_markup=markup, disable_web_page_preview=True)
    elif target.bot is not None:
        await target.bot.send_message(
            target.from_user.id, text, reply_markup=markup, disable_web_page_preview=True
        )


async def answer_quietly(callback: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner; an already-expired query is not an error worth showing."""
    with contextlib.suppress(TelegramBadRequest):
        await callback.answer(text)


async def flow_key(state: FSMContext) -> str:
    """The key of the draft being ordered (service or product), "" outside a flow."""
    data = await state.get_data()
    for name in ("draft", "product_draft"):
        raw = data.get(name)
        if isinstance(raw, dict) and raw.get("key"):
            return str(raw["key"])
    return ""


async def cancel_markup(state: FSMContext) -> InlineKeyboardMarkup:
    """A Cancel button that cancels this flow only, not a later one."""
    return keyboards.cancel_flow(await flow_key(state))
