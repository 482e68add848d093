"""Top-ups in Telegram Stars: Balance -> ⭐ Top up -> an amount (or ✏️ Other amount, typed) -> an
invoice in Stars. Paying it reaches handlers/payments.py; the rules are in shop/payments.py.
/topup lists every method when the shop offers more than Stars (handlers/customer/pay.py)."""

from __future__ import annotations

import logging
from decimal import Decimal

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LabeledPrice, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import MenuCb, TopUpCb
from handlers.common import NOT_A_COMMAND, show
from handlers.states import TopUpInput
from shop import payment_texts
from shop.formatting import format_money, format_number, plain_number
from shop.i18n import _
from shop.order_form import BadInput
from shop.payments import (
    STARS_CURRENCY,
    TOPUP_MAX,
    TOPUP_MIN,
    TOPUP_PRESETS,
    payload_for,
)
from shop.pricing import parse_amount
from shop.services import Services
from shop.topup_input import check_stars_amount
from storage.users import User

logger = logging.getLogger(__name__)


async def show_topup_menu(target: Message | CallbackQuery, services: Services) -> None:
    payments = services.payments
    currency = await payments.currency()
    rate = await payments.stars_per_unit()
    options = [
        (f"{format_money(o.amount, currency)} · {format_number(o.stars)} ⭐", str(o.amount))
        for o in await payments.options()
    ]
    text = _(
        "⭐ <b>Top up with Telegram Stars</b>\n\nRate: 1 {currency} = {rate} ⭐\n"
        "Choose an amount, or press ✏️ Other amount:"
    ).format(currency=currency, rate=plain_number(rate))
    await show(target, text, keyboards.top_up_amounts(options))


async def topup_command(message: Message, state: FSMContext, services: Services) -> None:
    await state.clear()
    methods = await services.topups.offered()
    if not methods:
        await show_topup_menu(message, services)
        return
    await message.answer(
        _("💳 <b>Top up your balance</b>\n\nChoose how you want to pay:"),
        reply_markup=keyboards.topup_methods(methods),
    )


async def topup_button(callback: CallbackQuery, state: FSMContext, services: Services) -> None:
    await state.clear()
    await show_topup_menu(callback, services)


def amount_prompt(currency: str) -> str:
    text = _("How much do you want to add? Send an amount in {currency} from {min} to {max}.")
    return text.format(
        currency=currency,
        min=format_money(TOPUP_MIN, currency),
        max=format_money(TOPUP_MAX, currency),
    )


async def topup_amount(
    callback: CallbackQuery,
    callback_data: TopUpCb,
    state: FSMContext,
    services: Services,
    person: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.amount == "other":
        await state.set_state(TopUpInput.amount)
        currency = await services.payments.currency()
        await show(callback, amount_prompt(currency), keyboards.cancel_to_balance())
        return
    amount = parse_amount(callback_data.amount)
    if amount is None or amount not in TOPUP_PRESETS:
        callback_answer.text = _("This button has expired. Please open the menu again.")
        return
    await state.clear()
    await send_invoice(bot, person, services, amount)


async def other_amount(
    message: Message, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    currency = await services.payments.currency()
    try:
        amount = check_stars_amount(message.text, currency)
    except BadInput as bad:
        await message.answer("⚠️ " + bad.text, reply_markup=keyboards.cancel_to_balance())
        return
    await state.clear()
    await send_invoice(bot, person, services, amount)


async def send_invoice(bot: Bot, person: User, services: Services, amount: Decimal) -> None:
    """The top-up row first, then the invoice naming it."""
    payments = services.payments
    topup = await payments.new_topup(person.id, amount)
    money = format_money(amount, await payments.currency())
    price = LabeledPrice(label=payment_texts.invoice_label(money), amount=topup.stars)
    try:
        await bot.send_invoice(
            chat_id=person.id,
            title=payment_texts.invoice_title(),
            description=payment_texts.invoice_description(money),
            payload=payload_for(topup.id),
            currency=STARS_CURRENCY,
            prices=[price],
        )
    except TelegramBadRequest as error:
        logger.warning("Telegram refused the invoice of top-up %s: %s", topup.id, error.message)
        await bot.send_message(
            person.id,
            payment_texts.invoice_refused(),
            reply_markup=keyboards.back_to_balance(),
        )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(topup_command, Command("topup"))
    router.callback_query.register(topup_button, MenuCb.filter(F.to == "topup"))
    router.callback_query.register(topup_amount, TopUpCb.filter())
    router.message.register(other_amount, TopUpInput.amount, NOT_A_COMMAND)
    return router
