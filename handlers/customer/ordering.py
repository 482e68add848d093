"""Ordering a service: link, then what the service's type needs, a confirm card, the order.

Each step keeps the person at the same step on a bad input and says what is allowed. Confirm,
Cancel and the card's money lines are shared with products (handlers/customer/checkout.py).
"""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import DraftCb, OrderServiceCb
from handlers.common import NOT_A_COMMAND, cancel_markup, show
from handlers.customer.browsing import Offered
from handlers.customer.checkout import (
    Checkout,
    DraftOnSale,
    not_text,
    waiting_for_confirm,
    warning,
)
from handlers.customer.services import SERVICES
from handlers.states import Ordering
from provider.models import ServiceType
from shop.dripfeed import offers_dripfeed
from shop.formatting import format_number
from shop.i18n import _, ngettext
from shop.offers import Offer
from shop.order_form import BadInput, check_comments, check_link, check_list, check_quantity
from shop.order_texts import not_enough_text, service_confirm_text
from shop.service_drafts import OrderDraft, Quote
from shop.services import Services
from storage.users import User

TEXT_STEPS = (
    Ordering.link,
    Ordering.quantity,
    Ordering.comments,
    Ordering.list,
    Ordering.suggest,
    Ordering.search,
    Ordering.mode,
)


SERVICE_ORDER: Checkout[OrderDraft, Quote] = Checkout(
    data_key="draft",
    model=OrderDraft,
    confirm_step=Ordering.confirm,
    card_text=service_confirm_text,
    card_keyboard=keyboards.confirm,
    gone_text=lambda: _("This service is no longer available. Please choose another one."),
)


def draft_on_sale() -> DraftOnSale[OrderDraft]:
    """A service draft whose service is still on sale: the handler gets `draft` and `offer`;
    otherwise the update goes on to `draft_gone`."""
    return DraftOnSale(
        SERVICE_ORDER, lambda services, draft: services.catalog.offer(draft.service_id)
    )


async def draft_gone(message: Message, state: FSMContext) -> None:
    """A step's message when the draft expired or its service went: start again."""
    await SERVICE_ORDER.gone(message, state)


def quantity_prompt(offer: Offer) -> str:
    return _("How many? Send a whole number from {min} to {max}.").format(
        min=format_number(offer.service.min_quantity), max=format_number(offer.service.max_quantity)
    )


async def prompt(message: Message, state: FSMContext, text: str) -> None:
    await message.answer(text, reply_markup=await cancel_markup(state))


# ---- step 0: the Order button ------------------------------------------------------------------


async def begin(callback: CallbackQuery, state: FSMContext, offer: Offer) -> None:
    await SERVICE_ORDER.save(state, OrderDraft(service_id=offer.service.id), Ordering.link)
    text = _("🛒 <b>{service}</b>\n\nSend the link (to the post, video, channel or profile):")
    await show(
        callback, text.format(service=html.quote(offer.service.name)), await cancel_markup(state)
    )


async def begin_gone(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = SERVICES.gone()


# ---- the steps ---------------------------------------------------------------------------------


async def got_link(
    message: Message,
    state: FSMContext,
    services: Services,
    person: User,
    draft: OrderDraft,
    offer: Offer,
) -> None:
    try:
        draft.link = check_link(message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    if offer.kind is ServiceType.PACKAGE:
        return await ask_confirm(message, state, services, person, draft)
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        await SERVICE_ORDER.save(state, draft, Ordering.comments)
        # TRANSLATORS: the plural form follows {max} (as in "up to 1,501 lines").
        text = ngettext(
            "Send the comments, one per line: from {min} to {max} line.",
            "Send the comments, one per line: from {min} to {max} lines.",
            offer.service.max_quantity,
        ).format(
            min=format_number(offer.service.min_quantity),
            max=format_number(offer.service.max_quantity),
        )
        return await prompt(message, state, text)
    await SERVICE_ORDER.save(state, draft, Ordering.quantity)
    return await prompt(message, state, quantity_prompt(offer))


async def got_quantity(
    message: Message,
    state: FSMContext,
    services: Services,
    person: User,
    draft: OrderDraft,
    offer: Offer,
    raw_state: str | None,
) -> None:
    """The quantity step; or text while the drip-feed choice is asked: a new quantity, or a
    reminder of the choice."""
    try:
        quantity = check_quantity(
            message.text, offer.service.min_quantity, offer.service.max_quantity
        )
    except BadInput as bad:
        if raw_state != Ordering.mode.state:
            return await prompt(message, state, warning(bad))
        text = _("Please choose ⚡ All at once or 💧 Drip-feed above, or send another quantity.")
        await message.answer(text, reply_markup=keyboards.dripfeed_choice(draft.key))
        return None
    draft.quantity = quantity
    draft.runs = draft.interval = None  # a new quantity: the drip-feed choice is asked again
    if offer.kind is ServiceType.SPECIAL:
        await SERVICE_ORDER.save(state, draft, Ordering.list)
        text = _("Send the list of suggested videos or search keywords, one per line.")
        return await prompt(message, state, text)
    if offer.kind is ServiceType.SPECIAL_1:
        await SERVICE_ORDER.save(state, draft, Ordering.suggest)
        return await prompt(message, state, _("Send the suggested videos (links), one per line."))
    if offers_dripfeed(offer):
        return await ask_mode(message, state, draft, offer)
    return await ask_confirm(message, state, services, person, draft)


async def ask_mode(message: Message, state: FSMContext, draft: OrderDraft, offer: Offer) -> None:
    """A drip-feed service: all at once, or in runs at an interval (handlers/customer/dripfeed)."""
    await SERVICE_ORDER.save(state, draft, Ordering.mode)
    text = _(
        "💧 This service can be drip-fed: {quantity} delivered in each of several runs, "
        "at an interval you choose. You pay for every run (at most {max} in all).\n"
        "How should it be delivered?"
    ).format(quantity=format_number(draft.quantity), max=format_number(offer.service.max_quantity))
    await message.answer(text, reply_markup=keyboards.dripfeed_choice(draft.key))


async def got_lines(
    message: Message,
    state: FSMContext,
    services: Services,
    person: User,
    draft: OrderDraft,
    offer: Offer,
    raw_state: str | None,
) -> None:
    """A list step, one item a line: the comments (as many as the service's range allows), the
    Special list, or the Special (1DG) suggested videos, then its search keywords."""
    comments = raw_state == Ordering.comments.state
    try:
        lines = check_comments(offer, message.text) if comments else check_list(message.text)
    except BadInput as bad:
        return await prompt(message, state, warning(bad))
    if raw_state == Ordering.suggest.state:
        draft.suggest = lines
        await SERVICE_ORDER.save(state, draft, Ordering.search)
        return await prompt(message, state, _("Now send the search keywords, one per line."))
    if raw_state == Ordering.search.state:
        draft.search = lines
    else:
        draft.lines = lines
    return await ask_confirm(message, state, services, person, draft)


# ---- the confirm card ----------------------------------------------------------------------------


async def ask_confirm(
    message: Message, state: FSMContext, services: Services, person: User, draft: OrderDraft
) -> None:
    await SERVICE_ORDER.ask_confirm(message, state, services.ordering, person, draft, not_enough)


async def not_enough(message: Message, state: FSMContext, draft: OrderDraft, quote: Quote) -> None:
    """Say what is missing; where a smaller order is possible, stay at that step for it."""
    text = not_enough_text(quote)
    if quote.offer.kind is ServiceType.PACKAGE:
        await state.clear()
        await message.answer(text, reply_markup=keyboards.top_up())
        return
    if quote.offer.kind is ServiceType.CUSTOM_COMMENTS:
        await SERVICE_ORDER.save(state, draft, Ordering.comments)
        hint = _("Or send fewer comments now (at least {min}).")
    else:
        await SERVICE_ORDER.save(state, draft, Ordering.quantity)
        hint = _("Or send a smaller quantity now (at least {min}).")
    hint = hint.format(min=format_number(quote.offer.service.min_quantity))
    await message.answer(f"{text}\n{hint}", reply_markup=keyboards.top_up())


async def cancel_draft(callback: CallbackQuery, callback_data: DraftCb, state: FSMContext) -> None:
    await SERVICE_ORDER.cancel(callback, callback_data.key, state)


async def confirm(
    callback: CallbackQuery,
    callback_data: DraftCb,
    state: FSMContext,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    await SERVICE_ORDER.confirm(
        callback, callback_data.key, state, services, services.ordering, person, callback_answer
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(begin, OrderServiceCb.filter(), Offered(SERVICES.offer))
    router.callback_query.register(begin_gone, OrderServiceCb.filter())
    on_sale = draft_on_sale()
    router.message.register(got_link, Ordering.link, NOT_A_COMMAND, on_sale)
    quantity_steps = StateFilter(Ordering.quantity, Ordering.mode)
    router.message.register(got_quantity, quantity_steps, NOT_A_COMMAND, on_sale)
    list_steps = StateFilter(Ordering.comments, Ordering.list, Ordering.suggest, Ordering.search)
    router.message.register(got_lines, list_steps, NOT_A_COMMAND, on_sale)
    router.message.register(draft_gone, StateFilter(*TEXT_STEPS), NOT_A_COMMAND)
    for step in TEXT_STEPS:
        router.message.register(not_text, step, ~F.text)
    router.message.register(waiting_for_confirm, Ordering.confirm, NOT_A_COMMAND)
    router.callback_query.register(cancel_draft, DraftCb.filter(F.action == "cancel"))
    router.callback_query.register(confirm, DraftCb.filter(F.action == "confirm"))
    return router
