"""Digital products: browse, buy with the information each product requires, see the result."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import texts
from bot.formatting import format_money, format_number
from bot.order_input import InputError, parse_quantity
from bot.products import (
    MAX_REQUIRE_LENGTH,
    OutOfStock,
    ProductDraft,
    ProductOffer,
    ProductQuote,
    Products,
)
from bot.shop import PriceChanged, Shop
from handlers import keyboards
from handlers.callbacks import (
    MenuCb,
    OrderProductCb,
    ProductCategoriesCb,
    ProductCategoryCb,
    ProductCb,
    ProductDraftCb,
    ShowResultCb,
)
from handlers.common import answer_quietly, cancel_markup, interim, show
from handlers.ordering import (
    NOT_A_COMMAND,
    answer_stale_confirm,
    bill_lines,
    not_enough_text,
    not_text,
    problem_text,
    result_text,
    waiting_for_confirm,
)
from handlers.states import ProductOrdering
from storage.users import User

router = Router(name=__name__)


async def show_categories(target: Message | CallbackQuery, products: Products, page: int) -> None:
    categories = await products.categories(page)
    if not categories.items:
        await show(target, _("No products are on sale right now. Please come back later."),
                   keyboards.back_home())  # fmt: skip
        return
    await show(target, _("🎁 <b>Products</b>\nChoose a category:"),
               keyboards.product_categories(categories))  # fmt: skip


@router.message(Command("products"))
async def products_command(message: Message, state: FSMContext, products: Products) -> None:
    await state.clear()
    await show_categories(message, products, 0)


@router.callback_query(MenuCb.filter(F.to == "products"))
async def products_button(callback: CallbackQuery, state: FSMContext, products: Products) -> None:
    await state.clear()
    await show_categories(callback, products, 0)
    await answer_quietly(callback)


@router.callback_query(ProductCategoriesCb.filter())
async def categories_page(
    callback: CallbackQuery, callback_data: ProductCategoriesCb, products: Products
) -> None:
    await show_categories(callback, products, callback_data.page)
    await answer_quietly(callback)


@router.callback_query(ProductCategoryCb.filter())
async def category_page(
    callback: CallbackQuery, callback_data: ProductCategoryCb, products: Products
) -> None:
    category = await products.category(callback_data.id)
    if category is None or category.service_count == 0:
        await answer_quietly(callback, _("This category is no longer available."))
        await show_categories(callback, products, 0)
        return
    page = await products.products(category, callback_data.page)
    text = _("🎁 <b>{category}</b>\nChoose a product:").format(category=html.quote(category.name))
    await show(callback, text, keyboards.products(category, page))
    await answer_quietly(callback)


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


@router.callback_query(ProductCb.filter())
async def product_card(
    callback: CallbackQuery, callback_data: ProductCb, products: Products
) -> None:
    offer = await products.offer(callback_data.id)
    if offer is None:
        await answer_quietly(callback, _("This product is no longer available."))
        await show_categories(callback, products, 0)
        return
    await show(
        callback,
        product_card_text(offer),
        keyboards.product_card(offer.product, callback_data.page),
    )
    await answer_quietly(callback)


# ---- ordering ------------------------------------------------------------------------------------


async def load_draft(state: FSMContext) -> ProductDraft | None:
    raw = (await state.get_data()).get("product_draft")
    return ProductDraft.model_validate(raw) if raw else None


async def save_draft(state: FSMContext, draft: ProductDraft, step: State) -> None:
    await state.set_state(step)
    await state.update_data(product_draft=draft.model_dump(mode="json"))


async def gone(target: Message | CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(target, _("This product is no longer available. Please choose another one."),
               keyboards.main_menu())  # fmt: skip


@router.callback_query(OrderProductCb.filter())
async def begin(
    callback: CallbackQuery, callback_data: OrderProductCb, state: FSMContext, products: Products
) -> None:
    offer = await products.offer(callback_data.id)
    if offer is None or not offer.product.in_stock:
        await answer_quietly(callback, _("Sorry, this product is out of stock."))
        return
    product = offer.product
    await save_draft(state, ProductDraft(product_id=product.id), ProductOrdering.quantity)
    text = _("🎁 <b>{name}</b>\n\nHow many? Send a whole number from {min} to {max}.").format(
        name=html.quote(product.name),
        min=format_number(product.min_quantity),
        max=format_number(product.max_quantity),
    )
    await show(callback, text, await cancel_markup(state))
    await answer_quietly(callback)


@router.message(ProductOrdering.quantity, NOT_A_COMMAND)
async def got_quantity(
    message: Message, state: FSMContext, products: Products, person: User
) -> None:
    draft = await load_draft(state)
    offer = None if draft is None else await products.offer(draft.product_id)
    if draft is None or offer is None:
        return await gone(message, state)
    product = offer.product
    try:
        draft.quantity = parse_quantity(message.text, product.min_quantity, product.max_quantity)
    except InputError as error:
        await message.answer(problem_text(error), reply_markup=await cancel_markup(state))
        return None
    if product.require:
        await save_draft(state, draft, ProductOrdering.require)
        prompt = _("{what}\nSend it as one message (at most {max} characters).").format(
            what=html.quote(product.require), max=format_number(MAX_REQUIRE_LENGTH)
        )
        await message.answer(prompt, reply_markup=await cancel_markup(state))
        return None
    return await ask_confirm(message, state, products, person, draft)


@router.message(ProductOrdering.require, NOT_A_COMMAND)
async def got_require(
    message: Message, state: FSMContext, products: Products, person: User
) -> None:
    draft = await load_draft(state)
    if draft is None:
        return await gone(message, state)
    text = message.text or ""
    if not text.strip() or len(text) > MAX_REQUIRE_LENGTH:
        await message.answer(
            _("⚠️ Please send the requested information as text (1 to {max} characters).").format(
                max=format_number(MAX_REQUIRE_LENGTH)
            ),
            reply_markup=await cancel_markup(state),
        )
        return None
    draft.require = text  # kept exactly as typed: it may be a password or a code
    return await ask_confirm(message, state, products, person, draft)


# The same answers as the service flow's for a photo at a text step, or text at the confirm card.
router.message.register(not_text, ProductOrdering.quantity, ~F.text)
router.message.register(not_text, ProductOrdering.require, ~F.text)
router.message.register(waiting_for_confirm, ProductOrdering.confirm, NOT_A_COMMAND)


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


async def ask_confirm(
    message: Message, state: FSMContext, products: Products, person: User, draft: ProductDraft
) -> None:
    quote = await products.quote(person.id, draft)
    if quote is None:
        return await gone(message, state)
    if quote.missing > 0:
        await state.clear()
        await message.answer(not_enough_text(quote), reply_markup=keyboards.top_up())
        return None
    draft.price = quote.price
    await save_draft(state, draft, ProductOrdering.confirm)
    await message.answer(
        confirm_text(draft, quote), reply_markup=keyboards.confirm_product(draft.key)
    )
    return None


@router.callback_query(ProductDraftCb.filter(F.action == "cancel"))
async def cancel_draft(
    callback: CallbackQuery, callback_data: ProductDraftCb, state: FSMContext
) -> None:
    draft = await load_draft(state)
    if draft is not None and draft.key == callback_data.key:
        await state.clear()
    await show(callback, _("Cancelled. Nothing was ordered."), keyboards.main_menu())
    await answer_quietly(callback)


@router.callback_query(ProductDraftCb.filter(F.action == "confirm"))
async def confirm(
    callback: CallbackQuery,
    callback_data: ProductDraftCb,
    state: FSMContext,
    products: Products,
    shop: Shop,
    person: User,
) -> None:
    async with shop.draft_lock(callback_data.key):
        draft = await load_draft(state)
        if draft is None or draft.key != callback_data.key:
            await answer_stale_confirm(callback, shop, person, callback_data.key)
            return
        await answer_quietly(callback, _("Placing your order…"))
        async with interim(callback, _("⏳ Placing your order…")):
            result = await products.place(person, draft)
        if isinstance(result, PriceChanged):
            await price_changed(callback, state, products, person, draft)
            return
        await state.clear()
        if isinstance(result, OutOfStock):
            text = _("Sorry, this product has just sold out. Nothing was charged.")
        else:
            text = result_text(result)
        await show(callback, text, keyboards.back_home())


async def price_changed(
    callback: CallbackQuery,
    state: FSMContext,
    products: Products,
    person: User,
    draft: ProductDraft,
) -> None:
    """Nothing was charged: show the new price to confirm again (or what is missing)."""
    quote = await products.quote(person.id, draft)
    if quote is None:
        return await gone(callback, state)
    if quote.missing > 0:
        await state.clear()
        await show(callback, not_enough_text(quote), keyboards.top_up())
        return None
    draft.price = quote.price
    await save_draft(state, draft, ProductOrdering.confirm)
    text = _("⚠️ The price has changed since you checked it. Nothing was charged.")
    await show(callback, text + "\n\n" + confirm_text(draft, quote),
               keyboards.confirm_product(draft.key))  # fmt: skip
    return None


@router.callback_query(ShowResultCb.filter())
async def show_result(
    callback: CallbackQuery, callback_data: ShowResultCb, shop: Shop, person: User
) -> None:
    order = await shop.orders.get(callback_data.id)
    if order is None or order.user_id != person.id or not order.result:
        await answer_quietly(callback, _("This order was not found."))
        return
    header = _("🎁 Order #{id}: {name}").format(id=order.id, name=html.quote(order.service_name))
    bot = callback.bot
    assert bot is not None  # set on every update that came through the dispatcher
    for text in texts.result_messages(header, order.result):
        await bot.send_message(person.id, text)
    await answer_quietly(callback)
