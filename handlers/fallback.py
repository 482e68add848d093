"""What no other router took: an unknown command, a message no step wanted (text typed outside
any step is a search: handlers/customer/search.py), an expired button. Last in line."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from shop.i18n import _


async def unknown_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        _("I don't know that command. See /help, or open the menu:"),
        reply_markup=keyboards.main_menu(),
    )


async def anything_else(message: Message) -> None:
    await message.answer(_("Please choose from the menu:"), reply_markup=keyboards.main_menu())


async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This button has expired. Please open the menu again.")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(anything_else)
    router.callback_query.register(stale_button)
    return router
