"""The owner's side of crypto, bank and card top-ups: /payments, /payrate, and the cards of what
admins decide (a card transfer's proof: Approve / Reject with a reason; a bank transfer with no
known code: credit a person / ignore). The first decision wins; every admin's card is edited to
show it, so whoever pressed second sees who decided.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from aiogram import Bot, Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.admin.common import ambiguity, is_ambiguous
from handlers.callbacks import ReviewCb
from handlers.common import NOT_A_COMMAND
from handlers.keyboards import button
from handlers.states import ReviewInput
from shop.bank_topups import REQUEST_EXPIRED
from shop.formatting import format_money, plain_number, quote
from shop.manual_topups import MAX_REASON
from shop.services import Services
from shop.topups import (
    RATE_CURRENCIES,
    AlreadyDecided,
    Decided,
    Decision,
    NoRate,
    NotFoundToDecide,
    UnknownPerson,
    parse_rate,
    payment_subject,
    transfer_subject,
)
from storage.payments import BankTransfer, Method, Payment, PaymentStatus, TransferStatus
from storage.users import User

logger = logging.getLogger(__name__)

PAYRATE_USAGE = (
    "Usage: /payrate CURRENCY RATE, where RATE is how many CURRENCY one unit of the shop's "
    "currency is worth: /payrate vnd 25000 (bank transfers, when the shop does not sell in "
    "VND); /payrate usd 0.00004 (Crypto Pay invoices, when it cannot price in the shop's "
    "currency). CURRENCY: vnd or usd."
)
OPEN_SHOWN = 10
LATEST_SHOWN = 5
METHOD_NAMES = {Method.CRYPTO: "Crypto Pay", Method.BANK: "Bank (VietQR)", Method.MANUAL: "Card"}


def when(moment: int) -> str:
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ---- the cards ----------------------------------------------------------------------------------


def review_buttons(item_id: int, *choices: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of buttons deciding the item: each (label, ReviewCb action)."""
    row = [button(label, ReviewCb(action=action, id=item_id)) for label, action in choices]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def payment_card(payment: Payment, person: User | None) -> tuple[str, InlineKeyboardMarkup | None]:
    """A card transfer to check: its buttons while it waits, its decision once made."""
    who = f"{quote(person.full_name)} ({payment.user_id})" if person else str(payment.user_id)
    if person and person.username:
        who += f" @{quote(person.username)}"
    proof = (
        f"Proof: {quote(payment.proof or '')}"
        if payment.proof_kind == "text"
        else f"Proof: the {payment.proof_kind} above"
    )
    lines = [
        f"💳 <b>Card top-up {payment.code}</b> · request #{payment.id}",
        f"From: {who}",
        f"Amount: {format_money(payment.amount, payment.currency)}",
        proof,
        f"Sent: {when(payment.created_at)}",
    ]
    if payment.status is PaymentStatus.REVIEW:
        buttons = review_buttons(payment.id, ("✅ Approve", "approve"), ("❌ Reject", "reject"))
        return "\n".join(lines), buttons
    by = quote(payment.decided_by_name or "?")
    if payment.status is PaymentStatus.PAID:
        lines.append(
            f"\n✅ Approved by {by}: {format_money(payment.amount, payment.currency)} credited."
        )
    elif payment.status is PaymentStatus.REJECTED:
        lines.append(f"\n❌ Rejected by {by}: {quote(payment.note or '')}")
    else:
        lines.append(f"\nStatus: {payment.status.value}")
    return "\n".join(lines), None


def transfer_card(
    transfer: BankTransfer, currency: str, request: Payment | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A transfer naming no request, or (`request`) one held for a check: far above the
    request it names, or naming an expired one (shop/bank_topups.py `_held_because`)."""
    why = transfer.held_because or "it is far above its request"
    if request is None:
        title = "Bank transfer with no known code"
    elif why == REQUEST_EXPIRED:
        title = "Bank transfer for an expired request"
    else:
        title = "Bank transfer far above its request"
    lines = [f"🏦 <b>{title}</b> · #{transfer.id}"]
    if request is not None:
        lines.append(
            f"It names {request.code} of user {request.user_id}, which asked "
            f"{format_money(request.pay_amount, request.pay_currency)} "
            f"({format_money(request.amount, request.currency)}); held because "
            f"{quote(why)}: check it before crediting."
        )
    lines += [
        f"Amount: {format_money(transfer.amount, 'VND')}",
        f"Content: <code>{quote(transfer.content[:300]) or '—'}</code>",
        f"Bank: {quote(transfer.gateway) or '—'} · SePay id {quote(transfer.sepay_id)}",
        f"Received: {when(transfer.created_at)}",
    ]
    if transfer.status is TransferStatus.UNMATCHED:
        choices = ("➕ Credit a person", "credit"), ("🙈 Ignore", "ignore")
        return "\n".join(lines), review_buttons(transfer.id, *choices)
    by = quote(transfer.decided_by_name or "?")
    if transfer.status is TransferStatus.CREDITED and transfer.credited is not None:
        lines.append(
            f"\n✅ Credited to user {transfer.user_id} by {by}: "
            f"{format_money(transfer.credited, currency)}."
        )
    else:
        lines.append(f"\n🙈 Ignored by {by}.")
    return "\n".join(lines), None


async def card_of(
    subject: str, services: Services
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    kind, _, number = subject.partition(":")
    if kind == "payment":
        payment = await services.topups.payment(int(number))
        if payment is None:
            return None
        return payment_card(payment, await services.people.person(payment.user_id))
    bank = services.topups.bank
    transfer = None if bank is None else await bank.transfer(int(number))
    if transfer is None:
        return None
    request = (
        None if transfer.payment_id is None else await services.topups.payment(transfer.payment_id)
    )
    return transfer_card(transfer, await services.catalog.currency(), request)


async def refresh_cards(bot: Bot, subject: str, services: Services) -> None:
    """Every admin's card of `subject` shows what it is now (its decision, no buttons)."""
    card = await card_of(subject, services)
    if card is None:
        return
    text, markup = card
    for chat_id, message_id in await services.topups.reviews.messages(subject):
        with contextlib.suppress(TelegramAPIError):  # not modified, deleted, too old
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )


# ---- deciding -----------------------------------------------------------------------------------


async def answer_decision(
    decision: Decision,
    bot: Bot,
    services: Services,
    callback_answer: CallbackAnswer | None = None,
    message: Message | None = None,
) -> None:
    """Tell the admin what their press or answer did, and bring every card up to date."""
    if isinstance(decision, Decided):
        text = "✅ Done; the person was told." if decision.user_id else "✅ Done."
    elif isinstance(decision, AlreadyDecided):
        text = f"Already decided by {decision.by} ({decision.status})."
    elif isinstance(decision, UnknownPerson):
        text = f"⚠️ No user {decision.user_id} has used this bot. Send another id or @username."
    elif isinstance(decision, NoRate):
        text = "⚠️ No VND rate is set: set one with /payrate vnd RATE first."
    else:
        text = "This button has expired."
    if isinstance(decision, Decided | AlreadyDecided):
        await refresh_cards(bot, decision.subject, services)
    if callback_answer is not None:
        callback_answer.text = text
        callback_answer.show_alert = isinstance(decision, AlreadyDecided)
    if message is not None:
        await message.answer(html.quote(text))


async def review_pressed(
    callback: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    services: Services,
    person: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    """Approve and Ignore decide at once; Reject asks the reason, Credit asks whom."""
    manual, bank = services.topups.manual, services.topups.bank
    action, item, name = callback_data.action, callback_data.id, person.full_name
    outcome: Decision | Payment | BankTransfer  # a request or a transfer still waiting: ask
    if action == "approve" and manual is not None:
        outcome = await manual.approve(item, person.id, name)
    elif action == "ignore" and bank is not None:
        outcome = await bank.ignore_transfer(item, person.id, name)
    elif action == "reject" and manual is not None:
        outcome = await manual.waiting(item)
    elif action == "credit" and bank is not None:
        outcome = await bank.waiting(item)
    else:
        outcome = NotFoundToDecide("")
    if isinstance(outcome, Payment):
        await ask(state, bot, person, ReviewInput.reason, item, (
            f"Why is {outcome.code} rejected? Send the reason (up to {MAX_REASON} "
            "characters); the person reads it. Another command cancels."
        ))  # fmt: skip
    elif isinstance(outcome, BankTransfer):
        await ask(state, bot, person, ReviewInput.person, item, (
            f"Whom is transfer #{item} ({format_money(outcome.amount, 'VND')}) for? Send "
            "their user id or @username. Another command cancels."
        ))  # fmt: skip
    else:
        await answer_decision(outcome, bot, services, callback_answer)


async def ask(
    state: FSMContext, bot: Bot, person: User, step: State, item: int, question: str
) -> None:
    await state.set_state(step)
    await state.update_data(review_id=item)
    await bot.send_message(person.id, question)


async def reason_typed(
    message: Message, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    reason = " ".join((message.text or "").split())
    if not reason or len(reason) > MAX_REASON:
        await message.answer(f"⚠️ Send the reason as text, 1 to {MAX_REASON} characters.")
        return
    review_id = (await state.get_data()).get("review_id")
    await state.clear()
    if not isinstance(review_id, int) or services.topups.manual is None:
        await message.answer("This request is no longer open.")
        return
    decision = await services.topups.manual.reject(review_id, person.id, person.full_name, reason)
    await answer_decision(decision, bot, services, message=message)


async def person_typed(
    message: Message, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    review_id = (await state.get_data()).get("review_id")
    bank = services.topups.bank
    if not isinstance(review_id, int) or bank is None:
        await state.clear()
        await message.answer("This transfer is no longer open.")
        return
    token = (message.text or "").strip()
    user = await services.console.find_user(token) if 0 < len(token) <= 40 else None
    if user is None:
        await message.answer(
            f"⚠️ {html.quote(token[:40]) or 'That'} is no user of this bot. Send a user id "
            "(e.g. 123456789) or @username, or another command to cancel."
        )
        return
    decision = await bank.credit_transfer(review_id, user.id, person.id, person.full_name)
    if not isinstance(decision, UnknownPerson):
        await state.clear()
    await answer_decision(decision, bot, services, message=message)


# ---- /payrate ----------------------------------------------------------------------------------


async def payrate(message: Message, command: CommandObject, services: Services) -> None:
    rates = services.topups.rates
    currency = await services.catalog.currency()
    parts = (command.args or "").split()
    if not parts:
        lines = [f"Rates (per 1 {currency}):"]
        for code in RATE_CURRENCIES:
            rate = await rates.get(code)
            shown = "not set" if rate is None else f"{plain_number(rate)} {code}"
            lines.append(f"{code}: {'not needed' if code == currency else shown}")
        await message.answer("\n".join(lines) + "\n" + PAYRATE_USAGE)
        return
    code = parts[0].upper()
    if len(parts) != 2 or code not in RATE_CURRENCIES:
        await message.answer(PAYRATE_USAGE)
        return
    rate = parse_rate(parts[1])
    if rate is None:
        problem = (
            ambiguity(parts[1])
            if is_ambiguous(parts[1])
            else f"⚠️ {html.quote(parts[1][:30])} is not a rate: more than 0, at most 6 decimals."
        )
        await message.answer(f"{problem}\n{PAYRATE_USAGE}")
        return
    if code == currency:
        await message.answer(f"⚠️ The shop sells in {code}: no rate is needed for it.")
        return
    await rates.set(code, rate)
    await message.answer(
        f"✅ 1 {currency} = {plain_number(rate)} {code} "
        f"(1 {code} = {plain_number(1 / rate)[:14]} {currency}). New top-ups use it; "
        "requests already made keep their amounts."
    )


# ---- /payments ---------------------------------------------------------------------------------


def payment_line(payment: Payment) -> str:
    asked = format_money(payment.amount, payment.currency)
    return (
        f"{payment.code} · user {payment.user_id} · {asked} · {payment.status.value} · "
        f"{when(payment.created_at)}"
    )


async def payments(message: Message, services: Services, person: User) -> None:
    topups = services.topups
    if not topups.configured:
        await message.answer(
            "No top-up method besides Stars is set up. See CRYPTO_PAY_*, BANK_*, SEPAY_API_KEY "
            "and MANUAL_PAYMENT_* in .env.example."
        )
        return
    requests, transfers = await topups.reviews.open_items(OPEN_SHOWN)
    lines = [f"<b>Waiting for a decision</b>: {len(requests)} requests, {len(transfers)} transfers"]
    for method in topups.configured:
        hidden = await topups.hidden_because(method)
        state = f"hidden: {html.quote(hidden)}" if hidden else "offered"
        lines.append(f"\n<b>{METHOD_NAMES[method]}</b> ({state}). Latest:")
        lines += [payment_line(p) for p in await topups.latest(method, LATEST_SHOWN)] or ["none"]
    if topups.bank is not None:
        lines.append("\n<b>Bank transfers received</b>. Latest:")
        lines += [
            f"#{t.id} · {format_money(t.amount, 'VND')} · {t.status.value}"
            + (f" · user {t.user_id}" if t.user_id else "")
            for t in await topups.latest_transfers(LATEST_SHOWN)
        ] or ["none"]
    await message.answer("\n".join(lines))
    # The open ones again, with their buttons: every card of a subject is edited on decision.
    for subject in [payment_subject(p.id) for p in requests] + [
        transfer_subject(t.id) for t in transfers
    ]:
        card = await card_of(subject, services)
        if card is not None:
            sent = await message.answer(card[0], reply_markup=card[1])
            await topups.reviews.remember_message(subject, person.id, sent.message_id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(payments, Command("payments"))
    router.message.register(payrate, Command("payrate"))
    router.callback_query.register(review_pressed, ReviewCb.filter())
    router.message.register(reason_typed, ReviewInput.reason, NOT_A_COMMAND)
    router.message.register(person_typed, ReviewInput.person, NOT_A_COMMAND)
    return router
