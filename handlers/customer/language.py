"""The person's language: /language (or 🌐 Language in Help) offers a button per language.

The choice is stored with the person, so later screens and the notifications background tasks
write (shop/i18n.py in_language) follow it. `/language ru` switches at once.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import LanguageCb, MenuCb
from handlers.common import show
from shop.i18n import _, available_languages, in_language, language_name
from shop.services import Services
from storage.users import User


def choice_text() -> str:
    return _("🌐 <b>Language</b>\nChoose the language I speak with you:")


def switched_text() -> str:
    # TRANSLATORS: shown in the language just chosen: name that language.
    return _("✅ From now on I speak English with you.")


def choices(current: str) -> InlineKeyboardMarkup:
    """One button per language with a catalog, each named in its own language."""
    names = [(code, language_name(code)) for code in available_languages()]
    return keyboards.languages(names, current)


async def switch(
    target: Message | CallbackQuery, services: Services, person: User, code: str
) -> None:
    """Store the choice; the answer is already in the new language."""
    await services.people.set_language(person.id, code)
    with in_language(code):
        await show(target, switched_text(), keyboards.main_menu())


async def language_command(
    message: Message,
    state: FSMContext,
    command: CommandObject,
    services: Services,
    person: User,
) -> None:
    await state.clear()
    code = (command.args or "").strip().lower()
    if code in available_languages():  # `/language ru`: no need for the buttons
        await switch(message, services, person, code)
        return
    await show(message, choice_text(), choices(person.language))


async def language_button(callback: CallbackQuery, person: User) -> None:
    await show(callback, choice_text(), choices(person.language))


async def language_chosen(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    state: FSMContext,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.code not in available_languages():  # a language removed since then
        callback_answer.text = _("This button has expired. Please open the menu again.")
        return
    await state.clear()
    await switch(callback, services, person, callback_data.code)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language_button, MenuCb.filter(F.to == "language"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    return router
