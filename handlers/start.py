"""Greeting, main menu, help, /cancel, and the fallback for anything unknown."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.referrals import Referrals
from handlers import keyboards
from handlers.callbacks import CancelFlowCb, MenuCb
from handlers.common import answer_quietly, flow_key, show
from handlers.payments import referral_note
from storage.users import User

router = Router(name=__name__)


def greeting(person: User) -> str:
    return _(
        "👋 Hello, {name}!\n\n"
        "Here you can order views, likes, followers and comments for your social accounts, "
        "paid from your balance in this bot.\nChoose what you need:"
    ).format(name=html.quote(person.full_name or _("friend")))


def help_text() -> str:
    return _(
        "<b>How ordering works</b>\n"
        "1. Open 🛒 Services, pick a category and a service.\n"
        "2. Send the link to your post, video or profile (it must be public).\n"
        "3. Send the quantity (or your comments, one per line).\n"
        "4. Check the price and press ✅ Confirm. It is paid from your balance.\n\n"
        "<b>Order statuses</b>\n"
        "• Pending: waiting to start\n"
        "• In progress: being delivered\n"
        "• Completed: all delivered\n"
        "• Partially completed: part delivered, the rest refunded to your balance\n"
        "• Canceled: nothing delivered, fully refunded\n\n"
        "<b>Your balance</b>\n"
        "Top it up with Telegram Stars (/topup), redeem a promo code (/promo), "
        "or invite friends and earn a share of their top-ups (/referral).\n\n"
        "Commands: /services /orders /balance /topup /cancel\n"
        "Questions? Write to the shop's support."
    )


@router.message(CommandStart())
async def start(
    message: Message,
    state: FSMContext,
    person: User,
    command: CommandObject,
    referrals: Referrals,
) -> None:
    await state.clear()
    # The first /start decides who invited the person (`/start ref_<code>`): bot/referrals.py.
    note = referral_note(await referrals.on_start(person.id, command.args))
    text = greeting(person) + (f"\n\n{note}" if note else "")
    await message.answer(text, reply_markup=keyboards.main_menu())


@router.callback_query(MenuCb.filter(F.to == "home"))
async def home(callback: CallbackQuery, state: FSMContext, person: User) -> None:
    await state.clear()
    await show(callback, greeting(person), keyboards.main_menu())
    await answer_quietly(callback)


def help_screen(support_contact: str) -> str:
    """How it works, and who to write to when the shop has set SUPPORT_CONTACT."""
    if not support_contact:
        return help_text()
    contact = _("Support: {contact}").format(contact=html.quote(support_contact))
    return f"{help_text()}\n{contact}"


@router.message(Command("help"))
async def help_command(message: Message, state: FSMContext, support_contact: str) -> None:
    await state.clear()
    await show(message, help_screen(support_contact), keyboards.help_menu())


@router.callback_query(MenuCb.filter(F.to == "help"))
async def help_button(callback: CallbackQuery, support_contact: str) -> None:
    await show(callback, help_screen(support_contact), keyboards.help_menu())
    await answer_quietly(callback)


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled. Nothing was ordered.") if had_flow else _("There is nothing to cancel.")
    await message.answer(text, reply_markup=keyboards.main_menu())


@router.callback_query(CancelFlowCb.filter())
async def cancel_button(
    callback: CallbackQuery, callback_data: CancelFlowCb, state: FSMContext
) -> None:
    if await state.get_state() is None:  # an old prompt's button, after the flow ended
        await answer_quietly(callback, _("There is nothing to cancel."))
        return
    if callback_data.key and callback_data.key != await flow_key(state):
        await answer_quietly(callback, _("This Cancel button belongs to an earlier order."))
        return
    await state.clear()
    await show(callback, _("Cancelled. Nothing was ordered."), keyboards.main_menu())
    await answer_quietly(callback)


# ---- fallbacks: registered last, so they only see what no other router took -------------------

fallback_router = Router(name=f"{__name__}.fallback")


@fallback_router.message(F.text.startswith("/"))
async def unknown_command(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        _("I don't know that command. See /help, or open the menu:"),
        reply_markup=keyboards.main_menu(),
    )


@fallback_router.message()
async def anything_else(message: Message) -> None:
    await message.answer(_("Please choose from the menu:"), reply_markup=keyboards.main_menu())


@fallback_router.callback_query()
async def stale_button(callback: CallbackQuery) -> None:
    await answer_quietly(callback, _("This button has expired. Please open the menu again."))
