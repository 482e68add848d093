"""What ordering a service and buying a product share: the draft kept between steps, the confirm
card, Confirm (one order per draft, under the draft's lock), Cancel, a price that moved, and the
words for a bad input or a result. `Checkout` says what differs between the two flows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.common import cancel_markup, interim, show
from handlers.middlewares import answer_now
from shop.checkout import (
    AlreadyPlaced,
    Bill,
    Draft,
    Held,
    LinkBusy,
    NotEnoughBalance,
    OutOfStock,
    Placed,
    PlaceResult,
    PriceChanged,
    Refused,
    Seller,
    ServiceGone,
)
from shop.dripfeed import dripfeed_lines
from shop.formatting import format_money, format_number, quote
from shop.i18n import _, ngettext
from shop.order_input import InputError, Problem
from shop.services import Services
from storage.users import User

D = TypeVar("D", bound=Draft)
Q = TypeVar("Q", bound=Bill)


@dataclass(frozen=True, slots=True)
class Checkout(Generic[D, Q]):
    data_key: str  # where the draft is kept in the conversation
    model: type[D]
    confirm_step: State
    card_text: Callable[[D, Q], str]
    card_keyboard: Callable[[str], InlineKeyboardMarkup]
    gone_text: Callable[[], str]

    async def load(self, state: FSMContext) -> D | None:
        raw = (await state.get_data()).get(self.data_key)
        return self.model.model_validate(raw) if raw else None

    async def save(self, state: FSMContext, draft: D, step: State) -> None:
        await state.set_state(step)
        await state.update_data({self.data_key: draft.model_dump(mode="json")})

    async def gone(self, target: Message | CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        await show(target, self.gone_text(), keyboards.main_menu())

    async def show_card(self, message: Message, state: FSMContext, draft: D, bill: Q) -> None:
        """The confirm card: its price is the only price Confirm will charge."""
        draft.price = bill.price
        await self.save(state, draft, self.confirm_step)
        await message.answer(
            self.card_text(draft, bill), reply_markup=self.card_keyboard(draft.key)
        )

    async def cancel(self, callback: CallbackQuery, key: str, state: FSMContext) -> None:
        draft = await self.load(state)
        if draft is not None and draft.key == key:
            await state.clear()
        await show(callback, _("Cancelled. Nothing was ordered."), keyboards.main_menu())

    async def confirm(
        self,
        callback: CallbackQuery,
        key: str,
        state: FSMContext,
        services: Services,
        seller: Seller[D, Q],
        person: User,
        callback_answer: CallbackAnswer,
    ) -> None:
        """Place the draft through `seller` (the service or the product shop), once."""
        async with services.ordering.draft_lock(key):
            draft = await self.load(state)
            if draft is None or draft.key != key:
                callback_answer.text = await stale_confirm_text(services, person, key)
                return
            await answer_now(callback, callback_answer, _("Placing your order…"))
            async with interim(callback, _("⏳ Placing your order…")):
                result = await seller.place(person, draft)
            if isinstance(result, PriceChanged):
                await self.price_changed(callback, state, seller, person, draft)
                return
            await state.clear()
            await show(callback, result_text(result), keyboards.back_home())

    async def price_changed(
        self,
        callback: CallbackQuery,
        state: FSMContext,
        seller: Seller[D, Q],
        person: User,
        draft: D,
    ) -> None:
        """Nothing was charged: show the new price to confirm again (or what is missing)."""
        bill = await seller.quote(person.id, draft)
        if bill is None:
            await self.gone(callback, state)
            return
        if bill.missing > 0:
            await state.clear()
            await show(callback, not_enough_text(bill), keyboards.top_up())
            return
        draft.price = bill.price
        await self.save(state, draft, self.confirm_step)
        text = _("⚠️ The price has changed since you checked it. Nothing was charged.")
        await show(
            callback, text + "\n\n" + self.card_text(draft, bill), self.card_keyboard(draft.key)
        )


async def stale_confirm_text(services: Services, person: User, draft_key: str) -> str:
    """A confirm button whose draft is gone: placed already, or expired (or not theirs)."""
    placed = await services.ordering.placed_by_draft(draft_key)
    if placed is not None and placed.user_id == person.id:
        return _("This order was already placed: #{id}.").format(id=placed.id)
    return _("This button has expired. Please start the order again.")


# ---- words shared by both flows -----------------------------------------------------------------


def problem_text(error: InputError) -> str:
    low, high = format_number(error.minimum), format_number(error.maximum)
    lines_sent = ngettext(
        "You sent {count} line; send from {min} to {max}, one per line.",
        "You sent {count} lines; send from {min} to {max}, one per line.",
        int(error.details.get("count", "0")),
    )
    texts = {
        Problem.NOT_TEXT: _("Please send text."),
        Problem.NOT_A_LINK: _(
            "That is not a link. Send a full link starting with https://, "
            "e.g. https://www.youtube.com/watch?v=..."
        ),
        Problem.LINK_TOO_LONG: _("That link is too long (at most {max} characters)."),
        Problem.NOT_A_NUMBER: _("Send the quantity as a whole number from {min} to {max}."),
        Problem.NOT_WHOLE: _("The quantity must be a whole number from {min} to {max}."),
        Problem.NOT_POSITIVE: _("The quantity must be positive: from {min} to {max}."),
        Problem.TOO_SMALL: _("That is below the minimum. Send a number from {min} to {max}."),
        Problem.TOO_LARGE: _("That is above the maximum. Send a number from {min} to {max}."),
        Problem.TOO_FEW_LINES: lines_sent,
        Problem.TOO_MANY_LINES: lines_sent,
        Problem.LINE_TOO_LONG: _("One of the lines is too long (at most {limit} characters)."),
        Problem.CONTROL_CHARACTER: _(
            "One of the lines has invisible control characters. Please type it again."
        ),
    }
    # Counts and limits read like every other number: 1,501 lines.
    details = {k: format_number(int(v)) if v.isdigit() else v for k, v in error.details.items()}
    return "⚠️ " + texts[error.problem].format(min=low, max=high, **details)


def bill_lines(bill: Bill) -> list[str]:
    """The money part of a confirm card: price, balance now and after."""
    money = bill.currency
    return [
        _("Price: <b>{price}</b>").format(price=format_money(bill.price, money)),
        _("Your balance: {balance}").format(balance=format_money(bill.balance, money)),
        _("Balance after: {after}").format(after=format_money(bill.balance_after, money)),
    ]


def not_enough_text(bill: Bill) -> str:
    return _(
        "❌ Not enough balance.\nPrice: {price}\nYour balance: {balance}\n"
        "Missing: <b>{missing}</b>\n\nTop up your balance (see 💰 Balance) and try again."
    ).format(
        price=format_money(bill.price, bill.currency),
        balance=format_money(bill.balance, bill.currency),
        missing=format_money(bill.missing, bill.currency),
    )


def result_text(result: PlaceResult | OutOfStock) -> str:
    match result:
        case Placed(order=order, currency=currency) if order.runs and order.interval:
            return _(
                "✅ <b>Order #{id} placed.</b>\n{service}\n{dripfeed}\nPaid: {price}\n\n"
                "I will tell you when it is done. Follow it in 📦 My orders."
            ).format(
                id=order.id,
                service=quote(order.service_name),
                dripfeed="\n".join(dripfeed_lines(order.quantity, order.runs, order.interval)),
                price=format_money(order.price, currency),
            )
        case Placed(order=order, currency=currency):
            return _(
                "✅ <b>Order #{id} placed.</b>\n{service}\nQuantity: {quantity}\nPaid: {price}\n\n"
                "I will tell you when it is done. Follow it in 📦 My orders."
            ).format(
                id=order.id,
                service=quote(order.service_name),
                quantity=format_number(order.quantity),
                price=format_money(order.price, currency),
            )
        case Refused(order=order, provider_out_of_funds=True):
            return _(
                "❌ Order #{id} could not be placed: the shop cannot take orders right now. "
                "Please try again later.\nYour money is back on your balance."
            ).format(id=order.id)
        case Refused(order=order, service_unavailable=True):
            return _(
                "❌ Order #{id} could not be placed: this service is not available right now. "
                "Please try again later or choose another one.\nYour money is back on your balance."
            ).format(id=order.id)
        case Refused(order=order, reason=reason):
            return _(
                "❌ The provider refused order #{id}: {reason}\nYour money is back on your balance."
            ).format(id=order.id, reason=quote(reason))
        case Held(order=order):
            return _(
                "⏳ Order #{id} is being checked: the provider did not answer clearly. "
                "Your money is held, not lost; we will confirm or refund it soon."
            ).format(id=order.id)
        case NotEnoughBalance(quote=bill):
            return not_enough_text(bill)
        case ServiceGone():
            return _("This service is no longer available. Nothing was charged.")
        case AlreadyPlaced(order=order):
            return _("This order was already placed: #{id}.").format(id=order.id)
        case LinkBusy(order=order):
            return _(
                "Order #{id} of this service for this link is still in progress. "
                "Please wait until it is completed. Nothing was charged."
            ).format(id=order.id)
        case OutOfStock():
            return _("Sorry, this product has just sold out. Nothing was charged.")


async def not_text(message: Message, state: FSMContext) -> None:
    """A photo or a sticker at a step that needs text."""
    await message.answer(
        _("⚠️ Please send text for this step, or press Cancel."),
        reply_markup=await cancel_markup(state),
    )


async def waiting_for_confirm(message: Message) -> None:
    await message.answer(_("Please press ✅ Confirm or ✖️ Cancel on the order above."))
