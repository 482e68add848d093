"""Drip-feed steps of a service order: all at once or drip-feed, then runs, then the interval.

Asked only for a Default service the panel lists with `dripfeed` (handlers/customer/ordering.py
asks the choice after the quantity). Each bad input keeps the person at the same step and says
what is allowed; the total (quantity x runs) stays within the service's max.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import DripModeCb
from handlers.common import NOT_A_COMMAND, cancel_markup, show
from handlers.customer.checkout import not_text, warning
from handlers.customer.ordering import (
    SERVICE_ORDER,
    ask_confirm,
    draft_gone,
    draft_on_sale,
    prompt,
)
from handlers.states import Ordering
from shop.dripfeed import MAX_INTERVAL, MIN_INTERVAL, MIN_RUNS
from shop.formatting import format_number
from shop.i18n import _
from shop.offers import Offer
from shop.order_form import BadInput, check_interval, check_runs, dripfeed_refusal, runs_limit
from shop.service_drafts import OrderDraft
from shop.services import Services
from storage.users import User


def runs_prompt(quantity: int, limit: int) -> str:
    return _(
        "How many runs? Send a whole number from {min} to {max}.\n"
        "Each run delivers {quantity}; you pay for {quantity} × runs."
    ).format(
        min=format_number(MIN_RUNS), max=format_number(limit), quantity=format_number(quantity)
    )


def interval_prompt() -> str:
    return _(
        "How many minutes between runs? Send a whole number from {min} to {max} (24 hours)."
    ).format(min=format_number(MIN_INTERVAL), max=format_number(MAX_INTERVAL))


# ---- the choice: all at once, or drip-feed -----------------------------------------------------


class ChoiceOpen(Filter):
    """The button belongs to the draft now asking this choice, whose card Telegram still shows
    (`message`); the handler gets `message`, `draft` and `offer` (draft_on_sale's)."""

    async def __call__(
        self,
        callback: CallbackQuery,
        callback_data: DripModeCb,
        state: FSMContext,
        draft: OrderDraft,
    ) -> bool | dict[str, Any]:
        at_choice = await state.get_state() == Ordering.mode.state
        message = callback.message  # None or inaccessible when too old to answer in
        if not at_choice or draft.key != callback_data.key or not isinstance(message, Message):
            return False
        return {"message": message}


async def choice_expired(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This button has expired. Please start the order again.")


async def chose_mode(
    callback: CallbackQuery,
    callback_data: DripModeCb,
    message: Message,
    state: FSMContext,
    services: Services,
    person: User,
    draft: OrderDraft,
    offer: Offer,
) -> None:
    if not callback_data.drip:
        draft.runs = draft.interval = None
        chosen = _("⚡ All at once: {quantity}.").format(quantity=format_number(draft.quantity))
        await show(callback, chosen)
        return await ask_confirm(message, state, services, person, draft)
    refusal = dripfeed_refusal(offer, draft.quantity)
    if refusal is not None:
        return await show(callback, "⚠️ " + refusal, keyboards.dripfeed_choice(draft.key))
    limit = runs_limit(offer, draft.quantity)
    await SERVICE_ORDER.save(state, draft, Ordering.runs)
    await show(callback, "💧 " + runs_prompt(draft.quantity, limit), await cancel_markup(state))


# ---- runs and interval --------------------------------------------------------------------------


async def got_runs(message: Message, state: FSMContext, draft: OrderDraft, offer: Offer) -> None:
    try:
        draft.runs = check_runs(offer, draft.quantity, message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    await SERVICE_ORDER.save(state, draft, Ordering.interval)
    await prompt(message, state, interval_prompt())


async def got_interval(
    message: Message, state: FSMContext, services: Services, person: User, draft: OrderDraft
) -> None:
    try:
        draft.interval = check_interval(message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    await ask_confirm(message, state, services, person, draft)


def create_router() -> Router:
    router = Router(name=__name__)
    on_sale = draft_on_sale()
    router.callback_query.register(chose_mode, DripModeCb.filter(), on_sale, ChoiceOpen())
    router.callback_query.register(choice_expired, DripModeCb.filter())
    router.message.register(got_runs, Ordering.runs, NOT_A_COMMAND, F.text, on_sale)
    router.message.register(got_interval, Ordering.interval, NOT_A_COMMAND, F.text, on_sale)
    router.message.register(draft_gone, Ordering.runs, NOT_A_COMMAND, F.text)
    router.message.register(draft_gone, Ordering.interval, NOT_A_COMMAND, F.text)
    router.message.register(not_text, Ordering.runs, ~F.text)
    router.message.register(not_text, Ordering.interval, ~F.text)
    return router
