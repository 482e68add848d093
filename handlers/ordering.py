"""The ordering conversation: link, then what the service's type needs, a confirm card, the order.

Each step keeps the person at the same step on a bad input and says what is allowed.
"""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.catalog import Catalog, Offer
from bot.formatting import format_money, format_number
from bot.order_input import InputError, Problem, parse_lines, parse_link, parse_quantity
from bot.shop import (
    AlreadyPlaced,
    Bill,
    Held,
    NotEnoughBalance,
    OrderDraft,
    Placed,
    PlaceResult,
    PriceChanged,
    Quote,
    Refused,
    ServiceGone,
    Shop,
)
from handlers import keyboards
from handlers.callbacks import DraftCb, OrderServiceCb
from handlers.common import answer_quietly, cancel_markup, interim, show
from handlers.states import Ordering
from provider.models import ServiceType
from storage.users import User

router = Router(name=__name__)
# Commands typed mid-flow leave it and run (other routers see them first); here only plain text.
NOT_A_COMMAND = ~F.text.startswith("/")
MAX_LIST_LINES = 100


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
    }
    # Counts and limits read like every other number: 1,501 lines.
    details = {k: format_number(int(v)) if v.isdigit() else v for k, v in error.details.items()}
    return "⚠️ " + texts[error.problem].format(min=low, max=high, **details)


async def load_draft(state: FSMContext) -> OrderDraft | None:
    raw = (await state.get_data()).get("draft")
    return OrderDraft.model_validate(raw) if raw else None


async def save_draft(state: FSMContext, draft: OrderDraft, step: State) -> None:
    await state.set_state(step)
    await state.update_data(draft=draft.model_dump(mode="json"))


async def current(state: FSMContext, catalog: Catalog) -> tuple[OrderDraft, Offer] | None:
    draft = await load_draft(state)
    offer = None if draft is None else await catalog.offer(draft.service_id)
    if draft is None or offer is None:
        await state.clear()
        return None
    return draft, offer


async def service_gone(target: Message | CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(target, _("This service is no longer available. Please choose another one."),
               keyboards.main_menu())  # fmt: skip


def quantity_prompt(offer: Offer) -> str:
    return _("How many? Send a whole number from {min} to {max}.").format(
        min=format_number(offer.service.min_quantity), max=format_number(offer.service.max_quantity)
    )


# ---- step 0: the Order button ------------------------------------------------------------------


@router.callback_query(OrderServiceCb.filter())
async def begin(
    callback: CallbackQuery, callback_data: OrderServiceCb, state: FSMContext, catalog: Catalog
) -> None:
    offer = await catalog.offer(callback_data.id)
    if offer is None:
        await answer_quietly(callback, _("This service is no longer available."))
        return
    await save_draft(state, OrderDraft(service_id=offer.service.id), Ordering.link)
    text = _("🛒 <b>{service}</b>\n\nSend the link (to the post, video, channel or profile):")
    await show(
        callback, text.format(service=html.quote(offer.service.name)), await cancel_markup(state)
    )
    await answer_quietly(callback)


# ---- the steps ---------------------------------------------------------------------------------


@router.message(Ordering.link, NOT_A_COMMAND)
async def got_link(
    message: Message, state: FSMContext, catalog: Catalog, shop: Shop, person: User
) -> None:
    found = await current(state, catalog)
    if found is None:
        return await service_gone(message, state)
    draft, offer = found
    try:
        draft.link = parse_link(message.text)
    except InputError as error:
        await message.answer(problem_text(error), reply_markup=await cancel_markup(state))
        return None
    if offer.kind is ServiceType.PACKAGE:
        return await ask_confirm(message, state, shop, person, draft)
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        await save_draft(state, draft, Ordering.comments)
        # TRANSLATORS: the plural form follows {max} (as in "up to 1,501 lines").
        prompt = ngettext(
            "Send the comments, one per line: from {min} to {max} line.",
            "Send the comments, one per line: from {min} to {max} lines.",
            offer.service.max_quantity,
        ).format(
            min=format_number(offer.service.min_quantity),
            max=format_number(offer.service.max_quantity),
        )
        await message.answer(prompt, reply_markup=await cancel_markup(state))
        return None
    await save_draft(state, draft, Ordering.quantity)
    await message.answer(quantity_prompt(offer), reply_markup=await cancel_markup(state))
    return None


@router.message(Ordering.quantity, NOT_A_COMMAND)
async def got_quantity(
    message: Message, state: FSMContext, catalog: Catalog, shop: Shop, person: User
) -> None:
    found = await current(state, catalog)
    if found is None:
        return await service_gone(message, state)
    draft, offer = found
    try:
        draft.quantity = parse_quantity(
            message.text, offer.service.min_quantity, offer.service.max_quantity
        )
    except InputError as error:
        await message.answer(problem_text(error), reply_markup=await cancel_markup(state))
        return None
    if offer.kind is ServiceType.SPECIAL:
        await save_draft(state, draft, Ordering.list)
        await message.answer(
            _("Send the list of suggested videos or search keywords, one per line."),
            reply_markup=await cancel_markup(state),
        )
        return None
    if offer.kind is ServiceType.SPECIAL_1:
        await save_draft(state, draft, Ordering.suggest)
        await message.answer(
            _("Send the suggested videos (links), one per line."),
            reply_markup=await cancel_markup(state),
        )
        return None
    return await ask_confirm(message, state, shop, person, draft)


async def got_lines(
    message: Message, state: FSMContext, catalog: Catalog, low: int, high: int
) -> tuple[OrderDraft, list[str]] | None:
    found = await current(state, catalog)
    if found is None:
        await service_gone(message, state)
        return None
    try:
        lines = parse_lines(message.text, low, high)
    except InputError as error:
        await message.answer(problem_text(error), reply_markup=await cancel_markup(state))
        return None
    return found[0], lines


@router.message(Ordering.comments, NOT_A_COMMAND)
async def got_comments(
    message: Message, state: FSMContext, catalog: Catalog, shop: Shop, person: User
) -> None:
    found = await current(state, catalog)
    if found is None:
        return await service_gone(message, state)
    service = found[1].service
    got = await got_lines(message, state, catalog, service.min_quantity, service.max_quantity)
    if got is not None:
        draft, lines = got
        draft.lines = lines
        await ask_confirm(message, state, shop, person, draft)
    return None


@router.message(Ordering.list, NOT_A_COMMAND)
async def got_list(
    message: Message, state: FSMContext, catalog: Catalog, shop: Shop, person: User
) -> None:
    got = await got_lines(message, state, catalog, 1, MAX_LIST_LINES)
    if got is not None:
        draft, lines = got
        draft.lines = lines
        await ask_confirm(message, state, shop, person, draft)


@router.message(Ordering.suggest, NOT_A_COMMAND)
async def got_suggest(message: Message, state: FSMContext, catalog: Catalog) -> None:
    got = await got_lines(message, state, catalog, 1, MAX_LIST_LINES)
    if got is not None:
        draft, lines = got
        draft.suggest = lines
        await save_draft(state, draft, Ordering.search)
        await message.answer(
            _("Now send the search keywords, one per line."),
            reply_markup=await cancel_markup(state),
        )


@router.message(Ordering.search, NOT_A_COMMAND)
async def got_search(
    message: Message, state: FSMContext, catalog: Catalog, shop: Shop, person: User
) -> None:
    got = await got_lines(message, state, catalog, 1, MAX_LIST_LINES)
    if got is not None:
        draft, lines = got
        draft.search = lines
        await ask_confirm(message, state, shop, person, draft)


@router.message(Ordering.link, ~F.text)
@router.message(Ordering.quantity, ~F.text)
@router.message(Ordering.comments, ~F.text)
@router.message(Ordering.list, ~F.text)
@router.message(Ordering.suggest, ~F.text)
@router.message(Ordering.search, ~F.text)
async def not_text(message: Message, state: FSMContext) -> None:
    await message.answer(
        _("⚠️ Please send text for this step, or press Cancel."),
        reply_markup=await cancel_markup(state),
    )


@router.message(Ordering.confirm, NOT_A_COMMAND)
async def waiting_for_confirm(message: Message) -> None:
    await message.answer(_("Please press ✅ Confirm or ✖️ Cancel on the order above."))


# ---- the confirm card ----------------------------------------------------------------------------


def confirm_text(draft: OrderDraft, quote: Quote) -> str:
    service = quote.offer.service
    lines = [
        _("🧾 <b>Check your order</b>"),
        _("Service: {service}").format(service=html.quote(service.name)),
        _("Link: {link}").format(link=html.quote(draft.link)),
    ]
    if quote.offer.kind is ServiceType.CUSTOM_COMMENTS:
        lines.append(
            ngettext(
                "Comments: {count} comment", "Comments: {count} comments", quote.quantity
            ).format(count=format_number(quote.quantity))
        )
    elif not quote.offer.is_package:
        lines.append(_("Quantity: {quantity}").format(quantity=format_number(quote.quantity)))
    if draft.lines and quote.offer.kind is ServiceType.SPECIAL:
        count = len(draft.lines)
        lines.append(
            ngettext("List: {count} line", "List: {count} lines", count).format(
                count=format_number(count)
            )
        )
    if draft.suggest:
        lines.append(_("Suggested videos: {count}").format(count=len(draft.suggest)))
    if draft.search:
        lines.append(_("Search keywords: {count}").format(count=len(draft.search)))
    return "\n".join([*lines, "", *bill_lines(quote)])


def bill_lines(bill: Bill) -> list[str]:
    """The money part of a confirm card: price, balance now and after."""
    money = bill.currency
    return [
        _("Price: <b>{price}</b>").format(price=format_money(bill.price, money)),
        _("Your balance: {balance}").format(balance=format_money(bill.balance, money)),
        _("Balance after: {after}").format(after=format_money(bill.balance_after, money)),
    ]


def not_enough_text(quote: Bill) -> str:
    return _(
        "❌ Not enough balance.\nPrice: {price}\nYour balance: {balance}\n"
        "Missing: <b>{missing}</b>\n\nTop up your balance (see 💰 Balance) and try again."
    ).format(
        price=format_money(quote.price, quote.currency),
        balance=format_money(quote.balance, quote.currency),
        missing=format_money(quote.missing, quote.currency),
    )


async def ask_confirm(
    message: Message, state: FSMContext, shop: Shop, person: User, draft: OrderDraft
) -> None:
    quote = await shop.quote(person.id, draft)
    if quote is None:
        return await service_gone(message, state)
    if quote.missing > 0:
        return await not_enough(message, state, draft, quote)
    draft.price = quote.price
    await save_draft(state, draft, Ordering.confirm)
    await message.answer(confirm_text(draft, quote), reply_markup=keyboards.confirm(draft.key))
    return None


async def not_enough(message: Message, state: FSMContext, draft: OrderDraft, quote: Quote) -> None:
    """Say what is missing; where a smaller order is possible, stay at that step for it."""
    text = not_enough_text(quote)
    if quote.offer.kind is ServiceType.PACKAGE:
        await state.clear()
        await message.answer(text, reply_markup=keyboards.top_up())
        return
    if quote.offer.kind is ServiceType.CUSTOM_COMMENTS:
        await save_draft(state, draft, Ordering.comments)
        hint = _("Or send fewer comments now (at least {min}).")
    else:
        await save_draft(state, draft, Ordering.quantity)
        hint = _("Or send a smaller quantity now (at least {min}).")
    hint = hint.format(min=format_number(quote.offer.service.min_quantity))
    await message.answer(f"{text}\n{hint}", reply_markup=keyboards.top_up())


@router.callback_query(DraftCb.filter(F.action == "cancel"))
async def cancel_draft(callback: CallbackQuery, callback_data: DraftCb, state: FSMContext) -> None:
    draft = await load_draft(state)
    if draft is not None and draft.key == callback_data.key:
        await state.clear()
    await show(callback, _("Cancelled. Nothing was ordered."), keyboards.main_menu())
    await answer_quietly(callback)


async def answer_stale_confirm(
    callback: CallbackQuery, shop: Shop, person: User, draft_key: str
) -> None:
    """A confirm button whose draft is gone: placed already, or expired (or not theirs)."""
    placed = await shop.orders.by_draft(draft_key)
    if placed is not None and placed.user_id == person.id:
        text = _("This order was already placed: #{id}.").format(id=placed.id)
    else:
        text = _("This button has expired. Please start the order again.")
    await answer_quietly(callback, text)


@router.callback_query(DraftCb.filter(F.action == "confirm"))
async def confirm(
    callback: CallbackQuery, callback_data: DraftCb, state: FSMContext, shop: Shop, person: User
) -> None:
    async with shop.draft_lock(callback_data.key):
        draft = await load_draft(state)
        if draft is None or draft.key != callback_data.key:
            await answer_stale_confirm(callback, shop, person, callback_data.key)
            return
        await answer_quietly(callback, _("Placing your order…"))
        async with interim(callback, _("⏳ Placing your order…")):
            result = await shop.place(person, draft)
        if isinstance(result, PriceChanged):
            return await price_changed(callback, state, shop, person, draft)
        await state.clear()
        await show(callback, result_text(result), keyboards.back_home())


async def price_changed(
    callback: CallbackQuery, state: FSMContext, shop: Shop, person: User, draft: OrderDraft
) -> None:
    """Nothing was charged: show the new price to confirm again (or what is missing)."""
    quote = await shop.quote(person.id, draft)
    if quote is None:
        return await service_gone(callback, state)
    if quote.missing > 0:
        await state.clear()
        await show(callback, not_enough_text(quote), keyboards.top_up())
        return
    draft.price = quote.price
    await save_draft(state, draft, Ordering.confirm)
    text = _("⚠️ The price has changed since you checked it. Nothing was charged.")
    await show(callback, text + "\n\n" + confirm_text(draft, quote), keyboards.confirm(draft.key))


def result_text(result: PlaceResult) -> str:
    match result:
        case Placed(order=order, currency=currency):
            return _(
                "✅ <b>Order #{id} placed.</b>\n{service}\nQuantity: {quantity}\nPaid: {price}\n\n"
                "I will tell you when it is done. Follow it in 📦 My orders."
            ).format(
                id=order.id,
                service=html.quote(order.service_name),
                quantity=format_number(order.quantity),
                price=format_money(order.price, currency),
            )
        case Refused(order=order, provider_out_of_funds=True):
            return _(
                "❌ Order #{id} could not be placed: the shop cannot take orders right now. "
                "Please try again later.\nYour money is back on your balance."
            ).format(id=order.id)
        case Refused(order=order, reason=reason):
            return _(
                "❌ The provider refused order #{id}: {reason}\nYour money is back on your balance."
            ).format(id=order.id, reason=html.quote(reason))
        case Held(order=order):
            return _(
                "⏳ Order #{id} is being checked: the provider did not answer clearly. "
                "Your money is held, not lost; we will confirm or refund it soon."
            ).format(id=order.id)
        case NotEnoughBalance(quote=quote):
            return not_enough_text(quote)
        case ServiceGone():
            return _("This service is no longer available. Nothing was charged.")
        case AlreadyPlaced(order=order):
            return _("This order was already placed: #{id}.").format(id=order.id)
