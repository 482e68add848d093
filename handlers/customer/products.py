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
from handlers.customer.browsing import Offered, Shelf, register_shelf
from handlers.customer.checkout import (
    Checkout,
    DraftOnSale,
    not_text,
    waiting_for_confirm,
    warning,
)
from handlers.states import ProductOrdering
from shop import texts
from shop.formatting import format_number
from shop.i18n import _
from shop.order_form import BadInput, check_quantity, check_require
from shop.order_texts import product_card_text, product_confirm_text
from shop.products import MAX_REQUIRE_LENGTH, ProductDraft, ProductOffer, ProductQuote
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
    card_cb=ProductCb,
    offer=lambda services, product_id: services.products.offer(product_id),
    gone=lambda: _("This product is no longer available."),
)


async def product_card(
    callback: CallbackQuery, callback_data: ProductCb, offer: ProductOffer
) -> None:
    keyboard = keyboards.product_card(offer.product, callback_data.page)
    await show(callback, product_card_text(offer), keyboard)


# ---- ordering ------------------------------------------------------------------------------------


PRODUCT_ORDER: Checkout[ProductDraft, ProductQuote] = Checkout(
    data_key="product_draft",
    model=ProductDraft,
    confirm_step=ProductOrdering.confirm,
    card_text=product_confirm_text,
    card_keyboard=keyboards.confirm_product,
    gone_text=lambda: _("This product is no longer available. Please choose another one."),
)


async def in_stock(services: Services, product_id: int) -> ProductOffer | None:
    offer = await services.products.offer(product_id)
    return offer if offer is not None and offer.product.in_stock else None


async def begin(callback: CallbackQuery, state: FSMContext, offer: ProductOffer) -> None:
    product = offer.product
    await PRODUCT_ORDER.save(state, ProductDraft(product_id=product.id), ProductOrdering.quantity)
    text = _("🎁 <b>{name}</b>\n\nHow many? Send a whole number from {min} to {max}.").format(
        name=html.quote(product.name),
        min=format_number(product.min_quantity),
        max=format_number(product.max_quantity),
    )
    await show(callback, text, await cancel_markup(state))


async def out_of_stock(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("Sorry, this product is out of stock.")


async def got_quantity(
    message: Message,
    state: FSMContext,
    services: Services,
    person: User,
    draft: ProductDraft,
    offer: ProductOffer,
) -> None:
    product = offer.product
    try:
        draft.quantity = check_quantity(message.text, product.min_quantity, product.max_quantity)
    except BadInput as bad:
        await message.answer(warning(bad), reply_markup=await cancel_markup(state))
        return None
    if product.require:
        await PRODUCT_ORDER.save(state, draft, ProductOrdering.require)
        prompt = _("{what}\nSend it as one message (at most {max} characters).").format(
            what=html.quote(product.require), max=format_number(MAX_REQUIRE_LENGTH)
        )
        await message.answer(prompt, reply_markup=await cancel_markup(state))
        return None
    return await PRODUCT_ORDER.ask_confirm(message, state, services.products, person, draft)


async def got_require(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    draft = await PRODUCT_ORDER.load(state)
    if draft is None:
        return await PRODUCT_ORDER.gone(message, state)
    try:
        draft.require = check_require(message.text)  # kept exactly as typed
    except BadInput as bad:
        await message.answer(warning(bad), reply_markup=await cancel_markup(state))
        return None
    return await PRODUCT_ORDER.ask_confirm(message, state, services.products, person, draft)


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
    register_shelf(router, PRODUCTS, product_card)
    router.callback_query.register(begin, OrderProductCb.filter(), Offered(in_stock))
    router.callback_query.register(out_of_stock, OrderProductCb.filter())
    on_sale = DraftOnSale(
        PRODUCT_ORDER, lambda services, draft: services.products.offer(draft.product_id)
    )
    router.message.register(got_quantity, ProductOrdering.quantity, NOT_A_COMMAND, on_sale)
    router.message.register(PRODUCT_ORDER.gone, ProductOrdering.quantity, NOT_A_COMMAND)
    router.message.register(got_require, ProductOrdering.require, NOT_A_COMMAND)
    # The same answers as the service flow's for a photo at a text step, or text at the card.
    router.message.register(not_text, ProductOrdering.quantity, ~F.text)
    router.message.register(not_text, ProductOrdering.require, ~F.text)
    router.message.register(waiting_for_confirm, ProductOrdering.confirm, NOT_A_COMMAND)
    router.callback_query.register(cancel_draft, ProductDraftCb.filter(F.action == "cancel"))
    router.callback_query.register(confirm, ProductDraftCb.filter(F.action == "confirm"))
    router.callback_query.register(show_result, ShowResultCb.filter())
    return router
