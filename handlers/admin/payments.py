"""The owner's side of Stars payments: the Stars rate and Stars refunds."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import ambiguity, is_ambiguous
from shop.formatting import format_money, format_number, plain_number
from shop.payments import (
    MAX_STARS_RATE,
    Refunded,
    RefundRefused,
    RefundReverted,
    RefundUncertain,
    parse_stars_rate,
)
from shop.services import Services

STARS_RATE_USAGE = (
    "Usage: /stars_rate RATE (Stars per 1 unit of the panel currency, more than 0 and at most "
    f"{format_number(int(MAX_STARS_RATE))}), e.g. /stars_rate 50"
)
REFUND_STARS_USAGE = "Usage: /refund_stars CHARGE_ID (the telegram_payment_charge_id)"
MAX_CHARGE_ID = 256


# ---- the Stars rate ----------------------------------------------------------------------------


async def stars_rate(message: Message, command: CommandObject, services: Services) -> None:
    payments = services.payments
    currency = await payments.currency()
    if not command.args:
        current = await payments.stars_per_unit()
        await message.answer(
            f"Stars rate: {plain_number(current)} ⭐ per 1 {currency}.\n{STARS_RATE_USAGE}"
        )
        return
    rate = parse_stars_rate(command.args)
    if rate is None:
        problem = (
            ambiguity(command.args)
            if is_ambiguous(command.args)
            else f"⚠️ {html.quote(command.args[:50])} is not a rate."
        )
        await message.answer(f"{problem} {STARS_RATE_USAGE}")
        return
    await payments.set_stars_per_unit(rate)
    await message.answer(
        f"✅ Stars rate set to {plain_number(rate)} ⭐ per 1 {currency}. New invoices use it; "
        "invoices already sent keep their price."
    )


# ---- refunds -----------------------------------------------------------------------------------


async def refund_stars(message: Message, command: CommandObject, services: Services) -> None:
    payments = services.payments
    charge_id = (command.args or "").strip()
    if not charge_id or len(charge_id) > MAX_CHARGE_ID or len(charge_id.split()) != 1:
        await message.answer(REFUND_STARS_USAGE)
        return
    currency = await payments.currency()
    result = await payments.refund(charge_id)
    if isinstance(result, RefundRefused):
        await message.answer(f"⚠️ Not refunded: {html.quote(result.reason)}.")
        return
    topup = result.topup
    what = (
        f"top-up #{topup.id} of user {topup.user_id}: {format_number(topup.stars)} ⭐ = "
        f"{format_money(topup.amount, currency)}"
    )
    if isinstance(result, Refunded):
        await message.answer(
            f"✅ Refunded {what}. The user's balance is now "
            f"{format_money(result.balance, currency)}; they were told."
        )
    elif isinstance(result, RefundReverted):
        await message.answer(
            f"❌ Telegram refused to refund {what}: {html.quote(result.reason)}. "
            "The money was put back on the user's balance."
        )
    elif isinstance(result, RefundUncertain):
        await message.answer(
            f"⚠️ Telegram did not answer clearly about {what} ({html.quote(result.reason)}). "
            f"The money stays taken from the balance; run /refund_stars {html.quote(charge_id)} "
            "again to finish."
        )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(stars_rate, Command("stars_rate"))
    router.message.register(refund_stars, Command("refund_stars"))
    return router
