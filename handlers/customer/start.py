"""Greeting, main menu, help and /cancel."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import CancelFlowCb, MenuCb
from handlers.common import flow_key, show
from handlers.customer.referrals import referral_note
from shop.i18n import _
from shop.referrals import FirstStart
from shop.services import Services
from storage.users import User


def greeting(person: User) -> str:
    return _(
        "👋 Hello, {name}!\n\n"
        "Here you can order views, likes, followers and comments for your social accounts, "
        "paid from your balance in this bot.\nChoose what you need:"
    ).format(name=html.quote(person.full_name or _("friend")))


def help_text() -> str:
    return _(
        "<b>How ordering works</b>\n"
        "1. Open 🛒 Services, pick a category and a service, or just type what you are "
        "looking for (e.g. <i>youtube views</i>) or the service's number.\n"
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
        "Commands: /services /search /orders /balance /topup /cancel\n"
        "Questions? Write to the shop's support."
    )


async def start(
    message: Message,
    state: FSMContext,
    person: User,
    command: CommandObject,
    services: Services,
    first_start: FirstStart | None = None,
    miniapp_url: str = "",
) -> None:
    await state.clear()
    # The first /start decides who invited the person (`/start ref_<code>`): shop/referrals.py.
    # A newcomer's was decided as they were registered (PersonMiddleware), in one transaction.
    if first_start is not None:
        outcome = first_start.outcome
    else:
        outcome = await services.referrals.on_start(person.id, command.args)
    note = referral_note(outcome)
    text = greeting(person) + (f"\n\n{note}" if note else "")
    await message.answer(text, reply_markup=keyboards.main_menu(miniapp_url))


async def home(
    callback: CallbackQuery, state: FSMContext, person: User, miniapp_url: str = ""
) -> None:
    await state.clear()
    await show(callback, greeting(person), keyboards.main_menu(miniapp_url))


def help_screen(support_contact: str) -> str:
    """How it works, and who to write to when the shop has set SUPPORT_CONTACT."""
    if not support_contact:
        return help_text()
    contact = _("Support: {contact}").format(contact=html.quote(support_contact))
    return f"{help_text()}\n{contact}"


async def help_command(message: Message, state: FSMContext, services: Services) -> None:
    await state.clear()
    await show(message, help_screen(services.support_contact), keyboards.help_menu())


async def help_button(callback: CallbackQuery, services: Services) -> None:
    await show(callback, help_screen(services.support_contact), keyboards.help_menu())


async def cancel_command(message: Message, state: FSMContext) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled. Nothing was ordered.") if had_flow else _("There is nothing to cancel.")
    await message.answer(text, reply_markup=keyboards.main_menu())


async def cancel_button(
    callback: CallbackQuery,
    callback_data: CancelFlowCb,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    if await state.get_state() is None:  # an old prompt's button, after the flow ended
        callback_answer.text = _("There is nothing to cancel.")
        return
    if callback_data.key and callback_data.key != await flow_key(state):
        callback_answer.text = _("This Cancel button belongs to an earlier order.")
        return
    await state.clear()
    await show(callback, _("Cancelled. Nothing was ordered."), keyboards.main_menu())


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.callback_query.register(home, MenuCb.filter(F.to == "home"))
    router.message.register(help_command, Command("help"))
    router.callback_query.register(help_button, MenuCb.filter(F.to == "help"))
    router.message.register(cancel_command, Command("cancel"))
    router.callback_query.register(cancel_button, CancelFlowCb.filter())
    return router
