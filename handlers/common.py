"""Helpers shared by the routers: show a screen (edit or send), a notice for slow work, the
current flow's Cancel button."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiogram import F
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from handlers import keyboards

# Commands typed mid-flow leave it and run (other routers see them first); steps take the rest.
NOT_A_COMMAND = ~F.text.startswith("/")


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


# Work that answers within this long replaces the button's message once; slower work first
# shows what is going on. One API call fewer for a panel that answers at once.
INTERIM_AFTER_SECONDS = 0.5


@contextlib.asynccontextmanager
async def interim(
    callback: CallbackQuery, text: str, after: float = INTERIM_AFTER_SECONDS
) -> AsyncIterator[None]:
    """Show `text` in place of the button's message only if the block takes longer than
    `after` seconds. The block's own result is shown after it, never before it."""
    started = False

    async def show_later() -> None:
        nonlocal started
        await asyncio.sleep(after)
        started = True
        await show(callback, text)

    notice = asyncio.create_task(show_later())
    try:
        yield
    finally:
        if started:  # an edit on its way: let it land before the result replaces it
            with contextlib.suppress(TelegramAPIError):  # the result matters, not the notice
                await notice
        else:
            notice.cancel()


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
