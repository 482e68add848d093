"""A person's orders: the list, newest first, and an order card with a live Refresh."""

from __future__ import annotations

import datetime as dt
from functools import partial

from aiogram import F, Router, html
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot import texts
from bot.catalog import Catalog, fetch_page
from bot.formatting import format_money, format_number
from bot.shop import RefillRefused, Shop
from bot.texts import stage_label
from bot.tracker import Tracker
from handlers import keyboards
from handlers.callbacks import MenuCb, OrderCb, OrdersCb, RefillOrderCb, RefreshOrderCb
from handlers.common import answer_quietly, show
from provider.errors import PanelError, ProviderError
from storage.orders import OrderKind, OrderRecord, Stage
from storage.users import User

router = Router(name=__name__)

STAGE_ICONS = {
    Stage.SUBMITTING: "⏳",
    Stage.UNCONFIRMED: "⏳",
    Stage.FAILED: "❌",
    Stage.PENDING: "🕐",
    Stage.PROCESSING: "🔄",
    Stage.IN_PROGRESS: "🔄",
    Stage.COMPLETED: "✅",
    Stage.PARTIAL: "⚠️",
    Stage.CANCELED: "❌",
}


def list_title(order: OrderRecord) -> str:
    product = "🎁 " if order.kind is OrderKind.PRODUCT else ""
    return f"{STAGE_ICONS[order.stage]} #{order.id} · {product}{order.service_name}"


async def show_orders(target: Message | CallbackQuery, shop: Shop, person: User, page: int) -> None:
    total = await shop.orders.count_for_user(person.id)
    if total == 0:
        await show(target, _("You have no orders yet. Open 🛒 Services to place one."),
                   keyboards.main_menu())  # fmt: skip
        return
    listing = await fetch_page(page, total, partial(shop.orders.for_user, person.id))
    text = ngettext(
        "📦 <b>My orders</b> ({count}). Tap it for details:",
        "📦 <b>My orders</b> ({count}). Tap one for details:",
        total,
    ).format(count=format_number(total))
    await show(target, text, keyboards.orders(listing, [list_title(o) for o in listing.items]))


@router.message(Command("orders"))
async def orders_command(message: Message, state: FSMContext, shop: Shop, person: User) -> None:
    await state.clear()
    await show_orders(message, shop, person, 0)


@router.callback_query(MenuCb.filter(F.to == "orders"))
async def orders_button(
    callback: CallbackQuery, state: FSMContext, shop: Shop, person: User
) -> None:
    await state.clear()
    await show_orders(callback, shop, person, 0)
    await answer_quietly(callback)


@router.callback_query(OrdersCb.filter())
async def orders_page(
    callback: CallbackQuery, callback_data: OrdersCb, shop: Shop, person: User
) -> None:
    await show_orders(callback, shop, person, callback_data.page)
    await answer_quietly(callback)


def order_card_text(order: OrderRecord, currency: str) -> str:
    created = dt.datetime.fromtimestamp(order.created_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        _("📦 <b>Order #{id}</b>").format(id=order.id),
        html.quote(order.service_name),
        _("Link: {link}").format(link=html.quote(order.link))
        if order.kind is OrderKind.SERVICE
        else _("Product order"),
        _("Quantity: {quantity}").format(quantity=format_number(order.quantity)),
        _("Price: {price}").format(price=format_money(order.price, currency)),
        _("Status: {status}").format(
            status=f"{STAGE_ICONS[order.stage]} {stage_label(order.stage)}"
        ),
    ]
    if order.start_count is not None:
        lines.append(_("Start count: {count}").format(count=format_number(order.start_count)))
    if order.remains is not None and order.stage is not Stage.COMPLETED:
        lines.append(_("Remains: {count}").format(count=format_number(max(order.remains, 0))))
    if order.refunded > 0:
        lines.append(_("Refunded: {amount}").format(amount=format_money(order.refunded, currency)))
    if order.require_text:
        lines.append(
            _("Sent: {what}").format(what=f"<code>{html.quote(order.require_text)}</code>")
        )
    if order.note:
        lines.append(_("Note: {note}").format(note=html.quote(order.note)))
    if order.stage is Stage.FAILED and order.error:
        # The panel's "not enough funds" is about the shop's own panel account, not theirs.
        reason = (
            _("the shop cannot take orders right now")
            if ProviderError(order.error).is_out_of_funds
            else order.error
        )
        lines.append(_("Reason: {reason}").format(reason=html.quote(reason)))
    lines.append(_("Placed: {when}").format(when=created))
    return "\n".join(lines)


async def own_order(
    callback: CallbackQuery, shop: Shop, person: User, order_id: int
) -> OrderRecord | None:
    order = await shop.orders.get(order_id)
    if order is None or order.user_id != person.id:
        await answer_quietly(callback, _("This order was not found."))
        return None
    return order


async def show_card(
    callback: CallbackQuery, order: OrderRecord, page: int, shop: Shop, catalog: Catalog
) -> None:
    can_refill = (
        order.refill_allowed
        and order.stage is Stage.COMPLETED
        and await shop.refills.open_for_order(order.id) is None
    )
    text = order_card_text(order, await catalog.currency())
    await show(callback, text, keyboards.order_card(order, page, can_refill=can_refill))


@router.callback_query(OrderCb.filter())
async def order_card(
    callback: CallbackQuery, callback_data: OrderCb, shop: Shop, catalog: Catalog, person: User
) -> None:
    order = await own_order(callback, shop, person, callback_data.id)
    if order is None:
        return
    await show_card(callback, order, callback_data.page, shop, catalog)
    await answer_quietly(callback)


@router.callback_query(RefreshOrderCb.filter())
async def refresh_order(
    callback: CallbackQuery,
    callback_data: RefreshOrderCb,
    shop: Shop,
    catalog: Catalog,
    tracker: Tracker,
    person: User,
) -> None:
    order = await own_order(callback, shop, person, callback_data.id)
    if order is None:
        return
    try:
        order = await tracker.refresh(order)
    except PanelError:
        await answer_quietly(callback, texts.provider_unavailable())
        return
    await show_card(callback, order, callback_data.page, shop, catalog)
    await answer_quietly(callback, _("Updated."))


@router.callback_query(RefillOrderCb.filter())
async def refill_order(
    callback: CallbackQuery,
    callback_data: RefillOrderCb,
    shop: Shop,
    catalog: Catalog,
    person: User,
) -> None:
    order = await own_order(callback, shop, person, callback_data.id)
    if order is None:
        return
    result = await shop.request_refill(order)
    if isinstance(result, RefillRefused):
        await answer_quietly(callback, result.reason)
        return
    await show_card(callback, order, callback_data.page, shop, catalog)
    await answer_quietly(callback, _("Refill requested. I will tell you when it is done."))
