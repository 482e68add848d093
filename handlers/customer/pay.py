"""Top-ups by crypto, bank transfer and card transfer: Balance -> the method -> an amount (a
button, or ✏️ Other amount typed) -> what to pay: a Crypto Pay button, a VietQR code, or the
shop's instructions and then a proof for the admins. The rules are in shop/*_topups.py."""

from __future__ import annotations

from decimal import Decimal

from aiogram import Bot, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import ManualProofCb, PayAmountCb, PayMethodCb
from handlers.common import NOT_A_COMMAND, interim, show
from handlers.states import PayInput
from payments_api import vietqr
from shop import payment_texts
from shop.crypto_topups import NotOpened
from shop.formatting import format_money, format_number
from shop.i18n import _, ngettext
from shop.manual_topups import MAX_PROOF_TEXT, ProofTaken
from shop.order_form import BadInput
from shop.pricing import parse_amount
from shop.request_expiry import time_is_up
from shop.services import Services
from shop.topup_input import check_method_amount, range_text
from storage.payments import Method, Payment, PaymentStatus
from storage.users import User


def expired(callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This button has expired. Please open the menu again.")


async def offered_method(services: Services, raw: str) -> Method | None:
    """The method a button names, if the shop offers it now (a forged or old one: None)."""
    method = next((m for m in Method if m.value == raw), None)
    return method if method in await services.topups.offered() else None


def method_intro(method: Method, services: Services) -> str:
    topups = services.topups
    if method is Method.CRYPTO and topups.crypto is not None:
        return _(
            "💎 <b>Top up with crypto</b>\n\nYou pay through @CryptoBot in {assets}; the "
            "balance is credited as soon as the payment arrives."
        ).format(assets=", ".join(topups.crypto.assets))
    if method is Method.BANK:
        return _(
            "🏦 <b>Top up by bank transfer</b>\n\nYou get a VietQR code to scan in your bank "
            "app; the transfer is credited automatically."
        )
    return _(
        "💳 <b>Top up by card transfer</b>\n\nYou transfer the money yourself, then send a "
        "photo of the receipt; an admin checks it and credits your balance."
    )


async def choose_method(
    callback: CallbackQuery,
    callback_data: PayMethodCb,
    state: FSMContext,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    await state.clear()
    method = await offered_method(services, callback_data.method)
    if method is None:
        expired(callback_answer)
        return
    currency = await services.catalog.currency()
    limits = services.topups.limits(method)
    options = [(format_money(a, currency), str(a)) for a in limits.shown_presets()]
    text = method_intro(method, services) + "\n\n" + _("Choose an amount, or press ✏️ Other amount:")
    await show(callback, text, keyboards.pay_amounts(method, options))


async def choose_amount(
    callback: CallbackQuery,
    callback_data: PayAmountCb,
    state: FSMContext,
    services: Services,
    person: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    method = await offered_method(services, callback_data.method)
    if method is None:
        expired(callback_answer)
        return
    limits = services.topups.limits(method)
    currency = await services.catalog.currency()
    if callback_data.amount == "other":
        await state.set_state(PayInput.amount)
        await state.update_data(method=method.value)
        prompt = _("How much do you want to add? Send an amount in {currency} {range}.")
        await show(
            callback,
            prompt.format(currency=currency, range=range_text(limits, currency)),
            keyboards.cancel_to_balance(),
        )
        return
    amount = parse_amount(callback_data.amount)
    if amount is None or amount not in limits.shown_presets():
        expired(callback_answer)
        return
    await state.clear()
    async with interim(callback, _("⏳ Preparing your payment…")):
        await start_payment(bot, person, services, state, method, amount)


async def other_amount(
    message: Message, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    method = await offered_method(services, str((await state.get_data()).get("method", "")))
    if method is None:  # the method was switched off meanwhile
        await state.clear()
        await message.answer(
            payment_texts.method_unavailable(),
            reply_markup=keyboards.back_to_balance(),
        )
        return
    limits = services.topups.limits(method)
    currency = await services.catalog.currency()
    try:
        amount = check_method_amount(message.text, limits, currency)
    except BadInput as bad:
        await message.answer("⚠️ " + bad.text, reply_markup=keyboards.cancel_to_balance())
        return
    await state.clear()
    await start_payment(bot, person, services, state, method, amount)


async def start_payment(
    bot: Bot,
    person: User,
    services: Services,
    state: FSMContext,
    method: Method,
    amount: Decimal,
) -> None:
    if method is Method.CRYPTO:
        await open_invoice(bot, person, services, amount)
    elif method is Method.BANK:
        await send_qr(bot, person, services, amount)
    else:
        await send_instructions(bot, person, services, state, amount)


async def not_available(bot: Bot, person: User) -> None:
    await bot.send_message(
        person.id, payment_texts.method_unavailable(), reply_markup=keyboards.back_to_balance()
    )


# ---- crypto -----------------------------------------------------------------------------------


async def open_invoice(bot: Bot, person: User, services: Services, amount: Decimal) -> None:
    crypto = services.topups.crypto
    assert crypto is not None
    result = await crypto.open_invoice(person.id, amount)
    if result is None:
        await not_available(bot, person)
        return
    if isinstance(result, NotOpened):
        await bot.send_message(
            person.id, payment_texts.crypto_not_opened(), reply_markup=keyboards.back_to_balance()
        )
        return
    payment = result.payment
    text = payment_texts.crypto_invoice_text(payment, crypto.assets)
    pay_label = payment_texts.crypto_pay_label(payment)
    try:
        await bot.send_message(
            person.id, text, reply_markup=keyboards.pay_link(result.pay_url, pay_label)
        )
    except TelegramBadRequest:  # a link Telegram will not put on a button (a local simulator)
        await bot.send_message(
            person.id,
            text + "\n" + html.quote(result.pay_url),
            reply_markup=keyboards.back_to_balance(),
        )


# ---- bank transfer ----------------------------------------------------------------------------


async def send_qr(bot: Bot, person: User, services: Services, amount: Decimal) -> None:
    bank = services.topups.bank
    assert bank is not None
    payment = await bank.open_request(person.id, amount)
    if payment is None:
        await not_available(bot, person)
        return
    account = bank.account
    qr = vietqr.png(bank.qr_payload(payment))
    caption = payment_texts.bank_transfer_text(
        payment, vietqr.bank_name(account.bin), account.number, account.name
    )
    caption += "\n" + valid_for(bank.expires_seconds)
    sent = await bot.send_photo(
        person.id,
        BufferedInputFile(qr, filename=f"{payment.code}.png"),
        caption=caption,
        reply_markup=keyboards.back_to_balance(),
    )
    await services.topups.remember_offer(payment.id, sent.message_id)


def valid_for(seconds: int) -> str:
    """ "⌛ Valid for 24 hours." (or minutes, when not whole hours)."""
    minutes = max(1, seconds // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        span = ngettext("{count} hour", "{count} hours", hours).format(count=format_number(hours))
    else:
        span = ngettext("{count} minute", "{count} minutes", minutes).format(
            count=format_number(minutes)
        )
    return _("⌛ Valid for {span}.").format(span=span)


# ---- card transfer checked by an admin --------------------------------------------------------


async def send_instructions(
    bot: Bot, person: User, services: Services, state: FSMContext, amount: Decimal
) -> None:
    manual = services.topups.manual
    assert manual is not None
    payment = await manual.open_request(person.id, amount)
    text = payment_texts.manual_request_text(payment, manual.instructions)
    text += "\n" + valid_for(manual.expires_seconds)
    await state.set_state(PayInput.proof)
    await state.update_data(payment_id=payment.id)
    sent = await bot.send_message(person.id, text, reply_markup=keyboards.send_proof(payment.id))
    await services.topups.remember_offer(payment.id, sent.message_id)


def proof_prompt(payment: Payment) -> str:
    return _(
        "📎 Send a photo of the receipt for {code} (or a text with the transfer's details):"
    ).format(code=payment.code)


async def proof_button(
    callback: CallbackQuery,
    callback_data: ManualProofCb,
    state: FSMContext,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    manual = services.topups.manual
    payment = None if manual is None else await manual.request_of(person.id, callback_data.id)
    if payment is None:
        expired(callback_answer)
        return
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.EXPIRED):
        callback_answer.text = payment_texts.request_closed(payment)
        callback_answer.show_alert = True
        return
    await state.set_state(PayInput.proof)
    await state.update_data(payment_id=payment.id)
    prompt = proof_prompt(payment)
    if time_is_up(payment):
        prompt = (
            _(
                "⌛ The top-up {code} has expired: send a proof only if you paid it already; "
                "the admins will check it."
            ).format(code=payment.code)
            + "\n"
            + prompt
        )
    await show(callback, prompt, keyboards.cancel_to_balance())


def proof_of(message: Message) -> tuple[str, str] | None:
    """(kind, the Telegram file id or the text) of what the person sent; None if neither."""
    if message.photo:
        return "photo", message.photo[-1].file_id  # the largest size
    if message.document:
        return "document", message.document.file_id
    if message.text and message.text.strip():
        return "text", message.text.strip()
    return None


async def proof_message(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    manual = services.topups.manual
    payment_id = (await state.get_data()).get("payment_id")
    proof = proof_of(message)
    if manual is None or not isinstance(payment_id, int):
        await state.clear()
        await message.answer(
            payment_texts.request_closed(None), reply_markup=keyboards.back_to_balance()
        )
        return
    if proof is None or (proof[0] == "text" and len(proof[1]) > MAX_PROOF_TEXT):
        await message.answer(
            _(
                "⚠️ Please send a photo of the receipt, a file, or a text of up to {max} "
                "characters about the transfer."
            ).format(max=format_number(MAX_PROOF_TEXT)),
            reply_markup=keyboards.cancel_to_balance(),
        )
        return
    result = await manual.submit_proof(person.id, payment_id, *proof)
    await state.clear()
    if isinstance(result, ProofTaken):
        await message.answer(
            payment_texts.proof_taken(result.payment), reply_markup=keyboards.back_to_balance()
        )
        return
    text = payment_texts.request_closed(result.payment)
    await message.answer(text, reply_markup=keyboards.back_to_balance())


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(choose_method, PayMethodCb.filter())
    router.callback_query.register(choose_amount, PayAmountCb.filter())
    router.callback_query.register(proof_button, ManualProofCb.filter())
    router.message.register(other_amount, PayInput.amount, NOT_A_COMMAND)
    router.message.register(proof_message, PayInput.proof, NOT_A_COMMAND)
    return router
