"""Orders: /order (full details), /orders_of, /refund by hand, /unconfirmed and /resolve."""

from __future__ import annotations

import datetime as dt

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import whole_number
from handlers.deps import Services
from shop.console import ConsoleError
from shop.formatting import format_money, format_number
from shop.orders import ResolveError
from shop.pricing import parse_amount
from storage.orders import OrderRecord

ORDER_USAGE = "Usage: /order ORDER_ID, e.g. /order 42"
REFUND_USAGE = "Usage: /refund ORDER_ID [AMOUNT] (without AMOUNT: all that is not refunded yet)"
RESOLVE_USAGE = (
    "Usage: /resolve ORDER_ID PANEL_ORDER_ID (the order exists on the panel) "
    "or /resolve ORDER_ID refund (it does not: refund in full)"
)
UNCONFIRMED_SHOWN = 50


def order_details(order: OrderRecord, currency: str) -> str:
    charge = "—" if order.charge is None else format_money(order.charge, currency)
    created = dt.datetime.fromtimestamp(order.created_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"<b>Order #{order.id}</b> · {order.stage.value}",
        f"User: {order.user_id}",
        f"Service: {html.quote(order.service_name)} ({order.service_id}, {order.service_type})",
        f"Link: {html.quote(order.link)}",
        f"Quantity: {format_number(order.quantity)}",
        f"Price: {format_money(order.price, currency)}; refunded "
        f"{format_money(order.refunded, currency)}",
        f"Panel charge: {charge}",
        f"Panel order id: {order.panel_order_id or '—'}",
        f"Start count: {order.start_count if order.start_count is not None else '—'}; "
        f"remains: {order.remains if order.remains is not None else '—'}",
        f"Created: {created} UTC",
    ]
    if order.error:
        lines.append(f"Error: {html.quote(order.error)}")
    if order.last_answer:
        lines.append(f"Last panel answer: <code>{html.quote(order.last_answer[:1000])}</code>")
    return "\n".join(lines)


async def order(message: Message, command: CommandObject, services: Services) -> None:
    order_id = whole_number(command.args or "")
    if order_id is None:
        await message.answer(ORDER_USAGE)
        return
    found = await services.shop.order(order_id)
    if found is None:
        await message.answer(f"⚠️ There is no order #{order_id}.")
        return
    await message.answer(order_details(found, await services.catalog.currency()))


async def orders_of(message: Message, command: CommandObject, services: Services) -> None:
    user = await services.console.find_user(command.args or "")
    if user is None:
        await message.answer("⚠️ No such user. Usage: /orders_of USER_ID or /orders_of @username")
        return
    orders = await services.shop.recent_orders(user.id, 20)
    currency = await services.catalog.currency()
    lines = [f"Orders of {html.quote(user.full_name)} ({user.id}), newest first:"]
    lines += [
        f"#{o.id} {o.stage.value} · {html.quote(o.service_name[:40])} · "
        f"{format_number(o.quantity)} · {format_money(o.price, currency)}"
        for o in orders
    ] or ["none"]
    await message.answer("\n".join(lines))


async def refund(message: Message, command: CommandObject, services: Services) -> None:
    parts = (command.args or "").split()
    order_id = whole_number(parts[0]) if parts else None
    amount = parse_amount(parts[1]) if len(parts) == 2 else None
    if order_id is None or len(parts) > 2 or (len(parts) == 2 and amount is None):
        await message.answer(REFUND_USAGE)
        return
    try:
        refunded_order, refunded = await services.console.refund_order(order_id, amount)
    except ConsoleError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    currency = await services.catalog.currency()
    await message.answer(
        f"✅ Refunded {format_money(refunded, currency)} for order #{refunded_order.id}; "
        "the user was told."
    )


async def unconfirmed(message: Message, services: Services) -> None:
    held = await services.shop.unconfirmed(UNCONFIRMED_SHOWN)
    if not held:
        await message.answer("✅ No unconfirmed orders.")
        return
    currency = await services.catalog.currency()
    more = "+" if len(held) == UNCONFIRMED_SHOWN else ""
    lines = [f"<b>Unconfirmed orders</b> ({len(held)}{more}):"]
    for item in held:
        lines.append(
            f"#{item.id} · user {item.user_id} · {html.quote(item.service_name[:40])} · "
            f"{format_number(item.quantity)} · {format_money(item.price, currency)}"
        )
    lines.append("\n" + RESOLVE_USAGE)
    await message.answer("\n".join(lines))


async def resolve(message: Message, command: CommandObject, services: Services) -> None:
    parts = (command.args or "").split()
    order_id = whole_number(parts[0]) if parts else None
    if order_id is None or len(parts) != 2:
        await message.answer(RESOLVE_USAGE)
        return
    shop = services.shop
    try:
        if parts[1].lower() == "refund":
            await shop.resolve_with_refund(order_id, await services.catalog.currency())
            await message.answer(f"✅ Order #{order_id} refunded in full; the user was told.")
            return
        panel_id = whole_number(parts[1])
        if panel_id is None:
            await message.answer(RESOLVE_USAGE)
            return
        resolved = await shop.resolve_with_panel_order(order_id, panel_id)
    except ResolveError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    await message.answer(
        f"✅ Order #{resolved.id} is now panel order {resolved.panel_order_id}; "
        "its status will be followed."
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(order, Command("order"))
    router.message.register(orders_of, Command("orders_of"))
    router.message.register(refund, Command("refund"))
    router.message.register(unconfirmed, Command("unconfirmed"))
    router.message.register(resolve, Command("resolve"))
    return router
