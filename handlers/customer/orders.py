"""A person's orders: the list, newest first, and an order card with a live Refresh."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
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
from provider.errors import PanelError
from shop import texts
from shop.formatting import format_number
from shop.i18n import _, ngettext
from shop.order_requests import RefillRefused
from shop.order_texts import STAGE_ICONS, order_card_text, refill_requested
from shop.services import Services
from storage.orders import OrderKind, OrderRecord
from storage.users import User

# Buttons of an order card: each names the order by `id`.
OrderButton = OrderCb | RefreshOrderCb | RefillOrderCb | CancelOrderCb


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
        callback_answer.text = texts.panel_unavailable()
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
    callback_answer.text = refill_requested()


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
