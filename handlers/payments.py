"""The person's side of money coming in: top-ups in Telegram Stars, promo codes, invitations.

Top-up: Balance -> ⭐ Top up -> an amount (or ✏️ Other amount, typed) -> an invoice in Stars ->
pre-checkout (answered at once) -> successful payment -> credited once, the person told through
the outbox. The rules live in bot/payments.py, bot/promos.py and bot/referrals.py.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from aiogram import Bot, F, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.i18n import gettext as _

from bot.formatting import format_money, format_number
from bot.payments import (
    STARS_CURRENCY,
    TOPUP_MAX,
    TOPUP_MIN,
    TOPUP_PRESETS,
    AlreadyCredited,
    CheckoutProblem,
    Payments,
    amount_allowed,
    payload_for,
)
from bot.pricing import parse_amount
from bot.promos import PromoProblem, PromoRefused, Promos, Redeemed, normalize_code
from bot.referrals import ReferralOutcome, Referrals
from handlers import keyboards
from handlers.callbacks import MenuCb, TopUpCb
from handlers.common import answer_quietly, show
from handlers.states import PromoInput, TopUpInput
from storage.users import User

router = Router(name=__name__)
logger = logging.getLogger(__name__)
# Commands typed mid-flow leave it and run (other routers see them first); here only the rest.
NOT_A_COMMAND = ~F.text.startswith("/")


def plain(value: Decimal) -> str:
    """A rate as people write it: 50, 45.5, 1,000."""
    return f"{value.normalize():,f}"


# ---- the payment itself: registered first, so no step of any flow can swallow it --------------


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, payments: Payments) -> None:
    """Telegram waits at most 10 seconds: a read, then the answer."""
    problem = await payments.check_checkout(
        query.from_user.id, query.invoice_payload, query.currency, query.total_amount
    )
    if problem is None:
        await query.answer(ok=True)
        return
    await query.answer(ok=False, error_message=checkout_error(problem))


def checkout_error(problem: CheckoutProblem) -> str:
    texts = {
        CheckoutProblem.UNKNOWN: _(
            "This invoice is not valid. Please open 💰 Balance → ⭐ Top up for a new one."
        ),
        CheckoutProblem.PAID: _("This invoice was paid already. Your balance has the money."),
        CheckoutProblem.MISMATCH: _(
            "The amount does not match this invoice. Please open 💰 Balance → ⭐ Top up "
            "for a new one."
        ),
    }
    return texts[problem]


@router.message(F.successful_payment)
async def successful_payment(message: Message, payments: Payments, person: User) -> None:
    payment = message.successful_payment
    assert payment is not None
    result = await payments.credit_payment(
        person.id,
        payment.invoice_payload,
        payment.currency,
        payment.total_amount,
        payment.telegram_payment_charge_id,
    )
    # Credited or not matched: the person is told through the outbox, written in the same
    # transaction as the credit. A repeated delivery of the same payment says nothing again.
    if isinstance(result, AlreadyCredited):
        logger.info("Top-up %s: its payment was delivered again", result.topup_id)


# ---- top-up: amounts and the invoice -----------------------------------------------------------


async def show_topup_menu(target: Message | CallbackQuery, payments: Payments) -> None:
    currency = await payments.currency()
    rate = await payments.stars_per_unit()
    options = [
        (f"{format_money(o.amount, currency)} · {format_number(o.stars)} ⭐", str(o.amount))
        for o in await payments.options()
    ]
    text = _(
        "⭐ <b>Top up with Telegram Stars</b>\n\nRate: 1 {currency} = {rate} ⭐\n"
        "Choose an amount, or press ✏️ Other amount:"
    ).format(currency=currency, rate=plain(rate))
    await show(target, text, keyboards.top_up_amounts(options))


@router.message(Command("topup"))
async def topup_command(message: Message, state: FSMContext, payments: Payments) -> None:
    await state.clear()
    await show_topup_menu(message, payments)


@router.callback_query(MenuCb.filter(F.to == "topup"))
async def topup_button(callback: CallbackQuery, state: FSMContext, payments: Payments) -> None:
    await state.clear()
    await show_topup_menu(callback, payments)
    await answer_quietly(callback)


def amount_prompt(currency: str) -> str:
    text = _("How much do you want to add? Send an amount in {currency} from {min} to {max}.")
    return text.format(
        currency=currency,
        min=format_money(TOPUP_MIN, currency),
        max=format_money(TOPUP_MAX, currency),
    )


@router.callback_query(TopUpCb.filter())
async def topup_amount(
    callback: CallbackQuery,
    callback_data: TopUpCb,
    state: FSMContext,
    payments: Payments,
    person: User,
    bot: Bot,
) -> None:
    if callback_data.amount == "other":
        await state.set_state(TopUpInput.amount)
        currency = await payments.currency()
        await show(callback, amount_prompt(currency), keyboards.cancel_to_balance())
        await answer_quietly(callback)
        return
    amount = parse_amount(callback_data.amount)
    if amount is None or amount not in TOPUP_PRESETS:
        await answer_quietly(callback, _("This button has expired. Please open the menu again."))
        return
    await state.clear()
    await answer_quietly(callback)
    await send_invoice(bot, person, payments, amount)


@router.message(TopUpInput.amount, NOT_A_COMMAND)
async def other_amount(
    message: Message, state: FSMContext, payments: Payments, person: User, bot: Bot
) -> None:
    currency = await payments.currency()
    amount = parse_amount(message.text or "")
    if amount is None:
        await message.answer(
            _("⚠️ That is not an amount. Send a number from {min} to {max}, e.g. 15 or 7.50.")
            .format(min=format_number(int(TOPUP_MIN)), max=format_number(int(TOPUP_MAX))),
            reply_markup=keyboards.cancel_to_balance(),
        )  # fmt: skip
        return
    if not amount_allowed(amount):
        await message.answer(
            _("⚠️ The amount must be from {min} to {max}.").format(
                min=format_money(TOPUP_MIN, currency), max=format_money(TOPUP_MAX, currency)
            ),
            reply_markup=keyboards.cancel_to_balance(),
        )
        return
    await state.clear()
    await send_invoice(bot, person, payments, amount)


async def send_invoice(bot: Bot, person: User, payments: Payments, amount: Decimal) -> None:
    """The top-up row first, then the invoice naming it."""
    topup = await payments.new_topup(person.id, amount)
    money = format_money(amount, await payments.currency())
    price = LabeledPrice(label=_("Top-up {amount}").format(amount=money), amount=topup.stars)
    try:
        await bot.send_invoice(
            chat_id=person.id,
            title=_("Balance top-up"),
            description=_("{amount} added to your balance in this bot.").format(amount=money),
            payload=payload_for(topup.id),
            currency=STARS_CURRENCY,
            prices=[price],
        )
    except TelegramBadRequest as error:
        logger.warning("Telegram refused the invoice of top-up %s: %s", topup.id, error.message)
        await bot.send_message(
            person.id,
            _("⚠️ Telegram did not accept this invoice. Please try a smaller amount."),
            reply_markup=keyboards.back_to_balance(),
        )


# ---- promo codes -------------------------------------------------------------------------------


def promo_prompt() -> str:
    return _("🎟 Send your promo code:")


def promo_refusal(problem: PromoProblem, code: str) -> str:
    texts = {
        PromoProblem.BAD_FORMAT: _(
            "⚠️ That is not a promo code: a code is 3 to 32 letters, digits, _ or -. "
            "Check it and send it again."
        ),
        PromoProblem.UNKNOWN: _("⚠️ There is no promo code {code}. Check it and send it again."),
        PromoProblem.OFF: _("⚠️ The promo code {code} is no longer active."),
        PromoProblem.EXPIRED: _("⚠️ The promo code {code} has expired."),
        PromoProblem.USED_UP: _("⚠️ The promo code {code} has been used up."),
        PromoProblem.ALREADY_USED: _("You have already used the promo code {code}."),
    }
    return texts[problem].format(code=f"<b>{html.quote(code)}</b>")


async def redeem(
    message: Message, state: FSMContext, promos: Promos, payments: Payments, person: User, text: str
) -> None:
    result = await promos.redeem(person.id, text)
    if isinstance(result, PromoRefused):
        code = normalize_code(text) or text.strip()[:32]
        # The person stays at the step: they can send another code or cancel.
        await state.set_state(PromoInput.code)
        await message.answer(
            promo_refusal(result.problem, code), reply_markup=keyboards.cancel_to_balance()
        )
        return
    assert isinstance(result, Redeemed)
    await state.clear()
    currency = await payments.currency()
    await message.answer(
        _("🎟 Promo code {code} applied: {amount} added to your balance.\nBalance now: {balance}.")
        .format(
            code=f"<b>{html.quote(result.code)}</b>",
            amount=format_money(result.amount, currency),
            balance=format_money(result.balance, currency),
        ),
        reply_markup=keyboards.back_to_balance(),
    )  # fmt: skip


@router.message(Command("promo"))
async def promo_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    promos: Promos,
    payments: Payments,
    person: User,
) -> None:
    if not command.args:
        await state.set_state(PromoInput.code)
        await message.answer(promo_prompt(), reply_markup=keyboards.cancel_to_balance())
        return
    await redeem(message, state, promos, payments, person, command.args)


@router.callback_query(MenuCb.filter(F.to == "promo"))
async def promo_button(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(PromoInput.code)
    await show(callback, promo_prompt(), keyboards.cancel_to_balance())
    await answer_quietly(callback)


@router.message(PromoInput.code, NOT_A_COMMAND)
async def promo_input(
    message: Message, state: FSMContext, promos: Promos, payments: Payments, person: User
) -> None:
    await redeem(message, state, promos, payments, person, message.text or "")


# ---- invitations -------------------------------------------------------------------------------


def referral_note(outcome: ReferralOutcome | None) -> str:
    """A line under the greeting when /start carried an invitation; "" otherwise."""
    if outcome is None:
        return ""
    texts = {
        ReferralOutcome.TIED: _("🤝 You joined through a friend's invitation. Welcome!"),
        ReferralOutcome.NOT_NEW: _(
            "Invitation links work only for people who are new to this bot."
        ),
        ReferralOutcome.SELF: _(
            "That is your own invitation link: share it with friends instead (see /referral)."
        ),
        ReferralOutcome.UNKNOWN: _("This invitation link is not valid."),
    }
    return texts[outcome]


async def show_referral(
    target: Message | CallbackQuery,
    referrals: Referrals,
    payments: Payments,
    person: User,
    bot: Bot,
) -> None:
    stats = await referrals.stats(person.id)
    link = await create_start_link(bot, stats.payload)
    currency = await payments.currency()
    text = _(
        "🤝 <b>Invite friends</b>\n\n"
        "Share your link. When someone new opens the bot through it, you earn {percent}% "
        "of every top-up they pay in Stars.\n\n"
        "Your link: {link}\nPeople invited: {count}\nEarned: {earned}"
    ).format(
        percent=plain(stats.percent),
        link=html.quote(link),
        count=format_number(stats.referred),
        earned=format_money(stats.earned, currency),
    )
    await show(target, text, keyboards.back_to_balance())


@router.message(Command("referral"))
async def referral_command(
    message: Message,
    state: FSMContext,
    referrals: Referrals,
    payments: Payments,
    person: User,
    bot: Bot,
) -> None:
    await state.clear()
    await show_referral(message, referrals, payments, person, bot)


@router.callback_query(MenuCb.filter(F.to == "referral"))
async def referral_button(
    callback: CallbackQuery,
    state: FSMContext,
    referrals: Referrals,
    payments: Payments,
    person: User,
    bot: Bot,
) -> None:
    await state.clear()
    await show_referral(callback, referrals, payments, person, bot)
    await answer_quietly(callback)
