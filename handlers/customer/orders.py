"""A person's orders: the list, newest first, and an order card with a live Refresh."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import F, Router, html
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import (
    CancelOrderCb,
    MenuCb,
    OrderCb,
    OrdersCb,
    RefillOrderCb,
    RefreshOrderCb,
)
from handlers.common import show
from provider.errors import PanelError, ProviderError
from shop import texts
from shop.dripfeed import quantity_lines
from shop.formatting import format_money, format_number
from shop.i18n import _, ngettext
from shop.order_requests import RefillRefused
from shop.services import Services
from shop.texts import stage_label
from storage.orders import OrderKind, OrderRecord, Stage
from storage.refills import RefillRecord, RefillStage
from storage.users import User

# Buttons of an order card: each names the order by `id`.
OrderButton = OrderCb | RefreshOrderCb | RefillOrderCb | CancelOrderCb

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
    drip = f"💧×{order.runs} " if order.runs else ""  # drip-fed: how many runs
    return f"{STAGE_ICONS[order.stage]} #{order.id} · {product}{drip}{order.service_name}"


async def show_orders(
    target: Message | CallbackQuery, services: Services, person: User, page: int
) -> None:
    listing = await services.people.orders_page(person.id, page)
    if listing.total == 0:
        await show(target, _("You have no orders yet. Open 🛒 Services to place one."),
                   keyboards.main_menu())  # fmt: skip
        return
    text = ngettext(
        "📦 <b>My orders</b> ({count}). Tap it for details:",
        "📦 <b>My orders</b> ({count}). Tap one for details:",
        listing.total,
    ).format(count=format_number(listing.total))
    await show(target, text, keyboards.orders(listing, [list_title(o) for o in listing.items]))


async def orders_command(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    await state.clear()
    await show_orders(message, services, person, 0)


async def orders_button(
    callback: CallbackQuery, state: FSMContext, services: Services, person: User
) -> None:
    await state.clear()
    await show_orders(callback, services, person, 0)


async def orders_page(
    callback: CallbackQuery, callback_data: OrdersCb, services: Services, person: User
) -> None:
    await show_orders(callback, services, person, callback_data.page)


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def refill_line(refill: RefillRecord) -> str:
    states = {
        RefillStage.PENDING: _("in progress"),
        RefillStage.IN_PROGRESS: _("in progress"),
        RefillStage.COMPLETED: _("completed"),
        RefillStage.REJECTED: _("rejected by the provider"),
    }
    return _("♻️ Refill requested {when} — {state}").format(
        when=when(refill.created_at), state=states[refill.stage]
    )


def cancel_line(order: OrderRecord) -> str | None:
    """Where the person's cancel request stands, if they made one."""
    if order.cancel_requested_at is None:
        return None
    asked = when(order.cancel_requested_at)
    if order.cancel_error:
        return _("✖️ Cancel refused: {reason}").format(reason=html.quote(order.cancel_error))
    if order.stage in (Stage.CANCELED, Stage.PARTIAL):
        return _("✖️ Canceled as you asked ({when})").format(when=asked)
    if order.stage.is_final:
        return _("✖️ Cancel requested {when}, but the order was finished first").format(when=asked)
    return _("✖️ Cancel requested {when} — waiting for the provider").format(when=asked)


def order_card_text(order: OrderRecord, currency: str, refill: RefillRecord | None = None) -> str:
    lines = [
        _("📦 <b>Order #{id}</b>").format(id=order.id),
        html.quote(order.service_name),
        _("Link: {link}").format(link=html.quote(order.link))
        if order.kind is OrderKind.SERVICE
        else _("Product order"),
        *quantity_lines(order),
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
    lines.append(_("Placed: {when}").format(when=when(order.created_at)))
    requests = [refill_line(refill) if refill else None, cancel_line(order)]
    return "\n".join(lines + [line for line in requests if line])


class OwnOrder(Filter):
    """The order a card's button names, if it is the person's: the handler gets `order`. A
    forged or foreign id goes on to `order_not_found`."""

    async def __call__(
        self, event: TelegramObject, callback_data: OrderButton, services: Services, person: User
    ) -> bool | dict[str, Any]:
        order = await services.people.own_order(person.id, callback_data.id)
        return False if order is None else {"order": order}


async def order_not_found(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("This order was not found.")


async def show_card(
    callback: CallbackQuery, order: OrderRecord, page: int, services: Services
) -> None:
    """The card, with where a refill or cancel request stands (re-read: it may have moved)."""
    can_refill = await services.order_requests.can_refill(order)
    refill = await services.order_requests.latest_refill(order.id)
    text = order_card_text(order, await services.catalog.currency(), refill)
    markup = keyboards.order_card(
        order, page, can_refill=can_refill, can_cancel=services.order_requests.can_cancel(order)
    )
    await show(callback, text, markup)


async def order_card(
    callback: CallbackQuery,
    callback_data: OrderCb,
    order: OrderRecord,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    await show_card(callback, order, callback_data.page, services)


async def refresh_order(
    callback: CallbackQuery,
    callback_data: RefreshOrderCb,
    order: OrderRecord,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        order = await services.tracker.refresh(order)
    except PanelError:
        callback_answer.text = texts.provider_unavailable()
        return
    await show_card(callback, order, callback_data.page, services)
    callback_answer.text = _("Updated.")


async def refill_order(
    callback: CallbackQuery,
    callback_data: RefillOrderCb,
    order: OrderRecord,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    result = await services.order_requests.request_refill(order)
    # The card itself says where the refill stands, not only a toast that vanishes.
    await show_card(callback, order, callback_data.page, services)
    if isinstance(result, RefillRefused):
        callback_answer.text = result.reason
        return
    callback_answer.text = _("Refill requested. I will tell you when it is done.")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(orders_command, Command("orders"))
    router.callback_query.register(orders_button, MenuCb.filter(F.to == "orders"))
    router.callback_query.register(orders_page, OrdersCb.filter())
    own = OwnOrder()
    router.callback_query.register(order_card, OrderCb.filter(), own)
    router.callback_query.register(refresh_order, RefreshOrderCb.filter(), own)
    router.callback_query.register(refill_order, RefillOrderCb.filter(), own)
    for button in (OrderCb, RefreshOrderCb, RefillOrderCb):
        router.callback_query.register(order_not_found, button.filter())
    return router
