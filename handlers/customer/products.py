"""Digital products: browse, buy with the information each product requires, see the result."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import (
    OrderProductCb,
    ProductCategoriesCb,
    ProductCategoryCb,
    ProductCb,
    ProductDraftCb,
    ShowResultCb,
)
from handlers.common import NOT_A_COMMAND, cancel_markup, show
from handlers.customer.browsing import Shelf, register_shelf, show_categories
from handlers.customer.checkout import (
    Checkout,
    bill_lines,
    not_enough_text,
    not_text,
    problem_text,
    waiting_for_confirm,
)
from handlers.states import ProductOrdering
from shop import texts
from shop.formatting import format_money, format_number
from shop.i18n import _
from shop.order_input import InputError, parse_quantity
from shop.products import (
    MAX_REQUIRE_LENGTH,
    ProductDraft,
    ProductOffer,
    ProductQuote,
    require_allowed,
)
from shop.services import Services
from storage.products import ProductRecord
from storage.users import User

PRODUCTS: Shelf[ProductRecord] = Shelf(
    command="products",
    menu="products",
    title=lambda: _("🎁 <b>Products</b>\nChoose a category:"),
    empty=lambda: _("No products are on sale right now. Please come back later."),
    category_title=lambda name: _("🎁 <b>{category}</b>\nChoose a product:").format(category=name),
    categories_cb=ProductCategoriesCb,
    category_cb=ProductCategoryCb,
    item_button=lambda product, page: keyboards.button(
        keyboards.label(("" if product.in_stock else "⛔ ") + product.name),
        ProductCb(id=product.id, page=page),
    ),
    categories=lambda services, page: services.products.categories(page),
    category=lambda services, category_id: services.products.category(category_id),
    items=lambda services, category, page: services.products.products(category, page),
)


def product_card_text(offer: ProductOffer) -> str:
    product = offer.product
    if not product.in_stock:
        stock = _("⛔ Out of stock")
    elif product.inventory is not None:
        stock = _("✅ In stock: {count}").format(count=format_number(product.inventory))
    else:
        stock = _("✅ In stock")
    lines = [
        f"<b>{html.quote(product.name)}</b>",
        _("Price: {price} each").format(price=format_money(offer.unit_price, offer.currency)),
        _("Quantity: from {min} to {max}").format(
            min=format_number(product.min_quantity), max=format_number(product.max_quantity)
        ),
        stock,
    ]
    if product.type:
        kind = _("Automatic") if product.type.lower() == "auto" else _("Delivered by the seller")
        lines.append(_("Delivery: {kind}").format(kind=kind))
    if product.require:
        lines.append(_("You will be asked for: {what}").format(what=html.quote(product.require)))
    return "\n".join(lines)


async def product_card(
    callback: CallbackQuery,
    callback_data: ProductCb,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    offer = await services.products.offer(callback_data.id)
    if offer is None:
        callback_answer.text = _("This product is no longer available.")
        await show_categories(callback, PRODUCTS, services, 0)
        return
    await show(
        callback,
        product_card_text(offer),
        keyboards.product_card(offer.product, callback_data.page),
    )


# ---- ordering ------------------------------------------------------------------------------------


def confirm_text(draft: ProductDraft, quote: ProductQuote) -> str:
    lines = [
        _("🧾 <b>Check your order</b>"),
        _("Product: {name}").format(name=html.quote(quote.offer.product.name)),
        _("Quantity: {quantity}").format(quantity=format_number(quote.quantity)),
    ]
    if draft.require:
        lines.append(
            _("Will be sent: {what}").format(what=f"<code>{html.quote(draft.require)}</code>")
        )
    return "\n".join([*lines, "", *bill_lines(quote)])


PRODUCT_ORDER: Checkout[ProductDraft, ProductQuote] = Checkout(
    data_key="product_draft",
    model=ProductDraft,
    confirm_step=ProductOrdering.confirm,
    card_text=confirm_text,
    card_keyboard=keyboards.confirm_product,
    gone_text=lambda: _("This product is no longer available. Please choose another one."),
)


async def begin(
    callback: CallbackQuery,
    callback_data: OrderProductCb,
    state: FSMContext,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    offer = await services.products.offer(callback_data.id)
    if offer is None or not offer.product.in_stock:
        callback_answer.text = _("Sorry, this product is out of stock.")
        return
    product = offer.product
    await PRODUCT_ORDER.save(state, ProductDraft(product_id=product.id), ProductOrdering.quantity)
    text = _("🎁 <b>{name}</b>\n\nHow many? Send a whole number from {min} to {max}.").format(
        name=html.quote(product.name),
        min=format_number(product.min_quantity),
        max=format_number(product.max_quantity),
    )
    await show(callback, text, await cancel_markup(state))


async def got_quantity(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    draft = await PRODUCT_ORDER.load(state)
    offer = None if draft is None else await services.products.offer(draft.product_id)
    if draft is None or offer is None:
        return await PRODUCT_ORDER.gone(message, state)
    product = offer.product
    try:
        draft.quantity = parse_quantity(message.text, product.min_quantity, product.max_quantity)
    except InputError as error:
        await message.answer(problem_text(error), reply_markup=await cancel_markup(state))
        return None
    if product.require:
        await PRODUCT_ORDER.save(state, draft, ProductOrdering.require)
        prompt = _("{what}\nSend it as one message (at most {max} characters).").format(
            what=html.quote(product.require), max=format_number(MAX_REQUIRE_LENGTH)
        )
        await message.answer(prompt, reply_markup=await cancel_markup(state))
        return None
    return await ask_confirm(message, state, services, person, draft)


async def got_require(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    draft = await PRODUCT_ORDER.load(state)
    if draft is None:
        return await PRODUCT_ORDER.gone(message, state)
    text = message.text or ""
    if not require_allowed(text):
        await message.answer(
            _("⚠️ Please send the requested information as text (1 to {max} characters).").format(
                max=format_number(MAX_REQUIRE_LENGTH)
            ),
            reply_markup=await cancel_markup(state),
        )
        return None
    draft.require = text  # kept exactly as typed: it may be a password or a code
    return await ask_confirm(message, state, services, person, draft)


async def ask_confirm(
    message: Message, state: FSMContext, services: Services, person: User, draft: ProductDraft
) -> None:
    quote = await services.products.quote(person.id, draft)
    if quote is None:
        return await PRODUCT_ORDER.gone(message, state)
    if quote.missing > 0:
        await state.clear()
        await message.answer(not_enough_text(quote), reply_markup=keyboards.top_up())
        return None
    return await PRODUCT_ORDER.show_card(message, state, draft, quote)


async def cancel_draft(
    callback: CallbackQuery, callback_data: ProductDraftCb, state: FSMContext
) -> None:
    await PRODUCT_ORDER.cancel(callback, callback_data.key, state)


async def confirm(
    callback: CallbackQuery,
    callback_data: ProductDraftCb,
    state: FSMContext,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    await PRODUCT_ORDER.confirm(
        callback, callback_data.key, state, services, services.products, person, callback_answer
    )


async def show_result(
    callback: CallbackQuery,
    callback_data: ShowResultCb,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    order = await services.people.own_order(person.id, callback_data.id)
    if order is None or not order.result:
        callback_answer.text = _("This order was not found.")
        return
    header = _("🎁 Order #{id}: {name}").format(id=order.id, name=html.quote(order.service_name))
    bot = callback.bot
    assert bot is not None  # set on every update that came through the dispatcher
    for text in texts.result_messages(header, order.result):
        await bot.send_message(person.id, text)


def create_router() -> Router:
    router = Router(name=__name__)
    register_shelf(router, PRODUCTS)
    router.callback_query.register(product_card, ProductCb.filter())
    router.callback_query.register(begin, OrderProductCb.filter())
    router.message.register(got_quantity, ProductOrdering.quantity, NOT_A_COMMAND)
    router.message.register(got_require, ProductOrdering.require, NOT_A_COMMAND)
    # The same answers as the service flow's for a photo at a text step, or text at the card.
    router.message.register(not_text, ProductOrdering.quantity, ~F.text)
    router.message.register(not_text, ProductOrdering.require, ~F.text)
    router.message.register(waiting_for_confirm, ProductOrdering.confirm, NOT_A_COMMAND)
    router.callback_query.register(cancel_draft, ProductDraftCb.filter(F.action == "cancel"))
    router.callback_query.register(confirm, ProductDraftCb.filter(F.action == "confirm"))
    router.callback_query.register(show_result, ShowResultCb.filter())
    return router
