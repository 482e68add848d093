"""What ordering a service and buying a product share: the draft kept between steps, the confirm
card, Confirm (one order per draft, under the draft's lock), Cancel, a price that moved, and the
words for a bad input or a result. `Checkout` says what differs between the two flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.common import cancel_markup, interim, show
from handlers.middlewares import answer_now
from shop.checkout import (
    Bill,
    Draft,
    PriceChanged,
    Seller,
)
from shop.i18n import _
from shop.order_form import BadInput
from shop.order_texts import not_enough_text, result_text
from shop.services import Services
from storage.users import User

D = TypeVar("D", bound=Draft)
Q = TypeVar("Q", bound=Bill)
Short = Callable[[Message, FSMContext, D, Q], Awaitable[None]]


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

    async def ask_confirm(
        self,
        message: Message,
        state: FSMContext,
        seller: Seller[D, Q],
        person: User,
        draft: D,
        short: Short[D, Q] | None = None,
    ) -> None:
        """The confirm card, priced now; or the draft gone when what it orders is; or what the
        balance is missing: `short` says it (and asks for a smaller order), or the flow ends."""
        bill = await seller.quote(person.id, draft)
        if bill is None:
            return await self.gone(message, state)
        if bill.missing <= 0:
            return await self.show_card(message, state, draft, bill)
        if short is not None:
            return await short(message, state, draft, bill)
        await state.clear()
        await message.answer(not_enough_text(bill), reply_markup=keyboards.top_up())

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


class DraftOnSale(Filter, Generic[D]):
    """Passes while the conversation holds a draft of `checkout` whose item is still on sale
    (`offer` finds its offer), and hands the handler its `draft` and `offer`; otherwise the
    update goes on to the handler that says it is gone."""

    def __init__(
        self, checkout: Checkout[D, Any], offer: Callable[[Services, D], Awaitable[object | None]]
    ) -> None:
        self._checkout = checkout
        self._offer = offer

    async def __call__(
        self, event: TelegramObject, state: FSMContext, services: Services
    ) -> bool | dict[str, Any]:
        draft = await self._checkout.load(state)
        offer = None if draft is None else await self._offer(services, draft)
        if draft is None or offer is None:
            return False
        return {"draft": draft, "offer": offer}


async def stale_confirm_text(services: Services, person: User, draft_key: str) -> str:
    """A confirm button whose draft is gone: placed already, or expired (or not theirs)."""
    placed = await services.ordering.placed_by_draft(draft_key)
    if placed is not None and placed.user_id == person.id:
        return _("This order was already placed: #{id}.").format(id=placed.id)
    return _("This button has expired. Please start the order again.")


# ---- words shared by both flows -----------------------------------------------------------------


def warning(bad: BadInput) -> str:
    """A bad input as the chat says it (the words are shop/order_form.py's)."""
    return "⚠️ " + bad.text


async def not_text(message: Message, state: FSMContext) -> None:
    """A photo or a sticker at a step that needs text."""
    await message.answer(
        _("⚠️ Please send text for this step, or press Cancel."),
        reply_markup=await cancel_markup(state),
    )


async def waiting_for_confirm(message: Message) -> None:
    await message.answer(_("Please press ✅ Confirm or ✖️ Cancel on the order above."))
