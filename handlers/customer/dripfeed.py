"""Drip-feed steps of a service order: all at once or drip-feed, then runs, then the interval.

Asked only for a Default service the panel lists with `dripfeed` (handlers/customer/ordering.py
asks the choice after the quantity). Each bad input keeps the person at the same step and says
what is allowed; the total (quantity x runs) stays within the service's max.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import DripModeCb
from handlers.common import NOT_A_COMMAND, cancel_markup, show
from handlers.customer.checkout import not_text, warning
from handlers.customer.ordering import SERVICE_ORDER, ask_confirm, current, prompt
from handlers.deps import Services
from handlers.states import Ordering
from shop.dripfeed import MAX_INTERVAL, MIN_INTERVAL, MIN_RUNS
from shop.formatting import format_number
from shop.i18n import _
from shop.order_form import BadInput, check_interval, check_runs, dripfeed_refusal, runs_limit
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


async def chose_mode(
    callback: CallbackQuery,
    callback_data: DripModeCb,
    state: FSMContext,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    found = await current(state, services)
    message = callback.message
    at_choice = await state.get_state() == Ordering.mode.state
    if found is None or not at_choice or found[0].key != callback_data.key:
        callback_answer.text = _("This button has expired. Please start the order again.")
        return
    if not isinstance(message, Message):  # too old for Telegram to show: nothing to answer in
        callback_answer.text = _("This button has expired. Please start the order again.")
        return
    draft, offer = found
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


async def got_runs(message: Message, state: FSMContext, services: Services) -> None:
    found = await current(state, services)
    if found is None:
        return await SERVICE_ORDER.gone(message, state)
    draft, offer = found
    try:
        draft.runs = check_runs(offer, draft.quantity, message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    await SERVICE_ORDER.save(state, draft, Ordering.interval)
    await prompt(message, state, interval_prompt())


async def got_interval(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    found = await current(state, services)
    if found is None:
        return await SERVICE_ORDER.gone(message, state)
    draft, _offer = found
    try:
        draft.interval = check_interval(message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    await ask_confirm(message, state, services, person, draft)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(chose_mode, DripModeCb.filter())
    router.message.register(got_runs, Ordering.runs, NOT_A_COMMAND, F.text)
    router.message.register(got_interval, Ordering.interval, NOT_A_COMMAND, F.text)
    router.message.register(not_text, Ordering.runs, ~F.text)
    router.message.register(not_text, Ordering.interval, ~F.text)
    return router
