"""The person's language: /language (or 🌐 Language in Help) offers a button per language.

The choice is stored with the person, so later screens and the notifications background tasks
write (bot/texts.py in_language) follow it. `/language ru` switches at once.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import available_languages, language_name
from bot.shop import Shop
from handlers import keyboards
from handlers.callbacks import LanguageCb, MenuCb
from handlers.common import answer_quietly, show
from storage.users import User

router = Router(name=__name__)


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
    target: Message | CallbackQuery, shop: Shop, person: User, i18n: I18n, code: str
) -> None:
    """Store the choice; the answer is already in the new language."""
    await shop.users.set_language(person.id, code)
    with i18n.use_locale(code):
        await show(target, switched_text(), keyboards.main_menu())
        if isinstance(target, CallbackQuery):
            await answer_quietly(target)


@router.message(Command("language"))
async def language_command(
    message: Message,
    state: FSMContext,
    command: CommandObject,
    shop: Shop,
    person: User,
    i18n: I18n,
) -> None:
    await state.clear()
    code = (command.args or "").strip().lower()
    if code in i18n.available_locales:  # `/language ru`: no need for the buttons
        await switch(message, shop, person, i18n, code)
        return
    await show(message, choice_text(), choices(person.language))


@router.callback_query(MenuCb.filter(F.to == "language"))
async def language_button(callback: CallbackQuery, person: User) -> None:
    await show(callback, choice_text(), choices(person.language))
    await answer_quietly(callback)


@router.callback_query(LanguageCb.filter())
async def language_chosen(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    state: FSMContext,
    shop: Shop,
    person: User,
    i18n: I18n,
) -> None:
    if callback_data.code not in i18n.available_locales:  # a language removed since then
        await answer_quietly(callback, _("This button has expired. Please open the menu again."))
        return
    await state.clear()
    await switch(callback, shop, person, i18n, callback_data.code)
