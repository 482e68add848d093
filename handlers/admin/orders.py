"""Orders: /order (full details), /orders_of, /refund by hand, /unconfirmed and /resolve."""

from __future__ import annotations

import contextlib
import datetime as dt

from aiogram import Bot, Router, html
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.admin.common import counted, read_amount, takes_no_arguments, whole_number
from handlers.callbacks import ResolveBatchCb
from handlers.keyboards import button
from handlers.middlewares import answer_now
from shop.console import ConsoleError
from shop.formatting import format_money, format_number
from shop.resolving import (
    AlreadyDecided,
    NotSettled,
    OrderRange,
    Outcome,
    Preview,
    ResolveInputError,
    Settled,
    parse_settlements,
)
from shop.services import Services
from storage.orders import OrderRecord
from storage.resolve_batches import ResolveBatch
from storage.users import User

ORDER_USAGE = "Usage: /order ORDER_ID, e.g. /order 42"
REFUND_USAGE = "Usage: /refund ORDER_ID [AMOUNT] (without AMOUNT: all that is not refunded yet)"
RESOLVE_USAGE = (
    "Usage: /resolve ORDER_ID PANEL_ORDER_ID (the order exists on the panel) "
    "or /resolve ORDER_ID refund (it does not: refund in full). Many at once: "
    "/resolve FIRST-LAST refund, or /resolve followed by one ORDER_ID PANEL_ORDER_ID "
    "(or ORDER_ID refund) a line; you get a preview to apply."
)
BATCH_LINES_SHOWN = 30
UNCONFIRMED_SHOWN = 50


def order_details(order: OrderRecord, currency: str, panel_currency: str) -> str:
    """`panel_currency`: what the panel that holds it charges in."""
    charge = "—" if order.charge is None else format_money(order.charge, panel_currency)
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
        f"Panel: {order.panel}"
        + (f", its service {order.panel_service_id}" if order.panel_service_id else "")
        + f"; panel order id: {order.panel_order_id or '—'}",
        f"Start count: {order.start_count if order.start_count is not None else '—'}; "
        f"remains: {order.remains if order.remains is not None else '—'}",
        f"Created: {created} UTC",
    ]
    if order.runs:
        total = format_number(order.quantity * order.runs)
        lines.insert(5, f"Drip-feed: {order.runs} runs every {order.interval} min, {total} in all")
    if order.cancel_requested_at is not None:
        asked = dt.datetime.fromtimestamp(order.cancel_requested_at, tz=dt.UTC)
        refused = f"; refused: {html.quote(order.cancel_error)}" if order.cancel_error else ""
        lines.append(f"Cancel requested: {asked:%Y-%m-%d %H:%M} UTC{refused}")
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
    found = await services.people.order(order_id)
    if found is None:
        await message.answer(f"⚠️ There is no order #{order_id}.")
        return
    currency = await services.catalog.currency()
    panel = services.catalog.panels.get(found.panel)
    panel_currency = panel.record.currency if panel and panel.record.currency else currency
    await message.answer(order_details(found, currency, panel_currency))


async def orders_of(message: Message, command: CommandObject, services: Services) -> None:
    user = await services.console.find_user(command.args or "")
    if user is None:
        await message.answer("⚠️ No such user. Usage: /orders_of USER_ID or /orders_of @username")
        return
    orders = await services.people.recent_orders(user.id, 20)
    currency = await services.catalog.currency()
    lines = [f"Orders of {html.quote(user.full_name)} ({user.id}), newest first:"]
    lines += [
        f"#{o.id} {o.stage.value} · {html.quote(o.service_name[:40])} · "
        f"{format_number(o.quantity)} · {format_money(o.price, currency)}"
        for o in orders
    ] or ["none"]
    await message.answer("\n".join(lines))


async def refund(message: Message, command: CommandObject, services: Services) -> None:
    first, _, rest = (command.args or "").strip().partition(" ")
    order_id = whole_number(first)
    if order_id is None:
        await message.answer(REFUND_USAGE)
        return
    amount = read_amount(rest) if rest.strip() else None
    if isinstance(amount, str):
        await message.answer(f"{amount}\n{REFUND_USAGE}")
        return
    try:
        refunded_order, refunded = await services.credits.refund_order(order_id, amount)
    except ConsoleError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    currency = await services.catalog.currency()
    await message.answer(
        f"✅ Refunded {format_money(refunded, currency)} for order #{refunded_order.id}; "
        "the user was told."
    )


async def unconfirmed_command(message: Message, command: CommandObject, services: Services) -> None:
    if await takes_no_arguments(message, command, "Usage: /unconfirmed"):
        await unconfirmed(message, services)


async def unconfirmed(message: Message, services: Services) -> None:
    held = await services.people.unconfirmed(UNCONFIRMED_SHOWN)
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


async def resolve(
    message: Message, command: CommandObject, services: Services, person: User
) -> None:
    """One order settled at once; several (lines, or a range) after a preview and Apply."""
    try:
        parsed = parse_settlements(command.args or "")
    except ResolveInputError as error:
        reason = str(error)
        await message.answer(f"⚠️ {html.quote(reason[:1].upper() + reason[1:])}.\n{RESOLVE_USAGE}")
        return
    resolutions = services.resolutions
    if isinstance(parsed, list) and len(parsed) == 1:
        outcome = await resolutions.settle(parsed[0], person.id)
        await message.answer(outcome_line(outcome, await services.catalog.currency(), single=True))
        return
    settlements = await resolutions.in_range(parsed) if isinstance(parsed, OrderRange) else parsed
    if not settlements:
        await message.answer("✅ No unconfirmed orders in that range.")
        return
    preview = await resolutions.preview(person.id, settlements)
    currency = await services.catalog.currency()
    await message.answer(
        preview_text(preview, currency), reply_markup=batch_keyboard(preview.batch_id)
    )


def outcome_line(outcome: Outcome, currency: str, single: bool = False) -> str:
    if isinstance(outcome, NotSettled):
        return f"⚠️ {html.quote(outcome.reason[:1].upper() + outcome.reason[1:])}."
    order = outcome.order
    if outcome.settlement.is_refund:
        told = "; the user was told" if single else ""
        refund = format_money(outcome.refunded, currency)
        return f"✅ Order #{order.id} refunded in full ({refund}){told}."
    followed = "; its status will be followed" if single else ""
    return f"✅ Order #{order.id} is now panel order {order.panel_order_id}{followed}."


def listed(lines: list[str]) -> list[str]:
    """At most BATCH_LINES_SHOWN lines of a list, then how many more."""
    if len(lines) <= BATCH_LINES_SHOWN:
        return lines
    return [*lines[:BATCH_LINES_SHOWN], f"… and {len(lines) - BATCH_LINES_SHOWN} more"]


def preview_text(preview: Preview, currency: str) -> str:
    ready = [
        f"#{order.id} → "
        + (
            f"refund {format_money(order.price - order.refunded, currency)}"
            if settlement.is_refund
            else f"panel order {settlement.panel_order_id}"
        )
        for settlement, order in preview.ready
    ]
    lines = [f"<b>Settle {counted(len(ready), 'unconfirmed order', 'unconfirmed orders')}</b>"]
    lines += listed(ready)
    if preview.refund_total:
        lines.append(f"Refunds in all: {format_money(preview.refund_total, currency)}")
    if preview.refused:
        lines.append(f"Left out ({len(preview.refused)}):")
        lines += listed([f"  {html.quote(item.reason)}" for item in preview.refused])
    if preview.batch_id is None:
        lines.append("Nothing here can be settled.")
    else:
        lines.append("Each order is checked again when applied. Apply?")
    return "\n".join(lines)


def batch_keyboard(batch_id: int | None) -> InlineKeyboardMarkup | None:
    if batch_id is None:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("✅ Apply", ResolveBatchCb(action="apply", id=batch_id)),
             button("✖️ Cancel", ResolveBatchCb(action="cancel", id=batch_id))]
        ]
    )  # fmt: skip


def decided_text(decided: AlreadyDecided) -> str:
    who = f" by admin {decided.decided_by}" if decided.decided_by else ""
    return f"This batch was already {decided.status}{who}."


async def batch_buttons(
    callback: CallbackQuery,
    callback_data: ResolveBatchCb,
    services: Services,
    person: User,
    bot: Bot,
    callback_answer: CallbackAnswer,
) -> None:
    resolutions = services.resolutions
    if callback_data.action == "cancel":
        refused = await resolutions.cancel(callback_data.id, person.id)
        callback_answer.text = (
            "Canceled: nothing was settled." if refused is None else decided_text(refused)
        )
        if refused is None:
            await drop_buttons(callback)
        return
    batch = await resolutions.claim(callback_data.id, person.id)
    if not isinstance(batch, ResolveBatch):
        callback_answer.text = "This batch is gone." if batch is None else decided_text(batch)
        return
    await answer_now(callback, callback_answer, "Settling…")
    result = await resolutions.apply(batch, person.id)
    currency = await services.catalog.currency()
    settled = sum(isinstance(outcome, Settled) for outcome in result)
    summary = [f"<b>Settled {settled} of {len(result)}</b>; the users were told of refunds."]
    summary += listed([outcome_line(outcome, currency) for outcome in result])
    await drop_buttons(callback)
    await bot.send_message(person.id, "\n".join(summary))


async def drop_buttons(callback: CallbackQuery) -> None:
    """A decided batch's preview keeps its text and loses its buttons."""
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=None)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(order, Command("order"))
    router.message.register(orders_of, Command("orders_of"))
    router.message.register(refund, Command("refund"))
    router.message.register(unconfirmed_command, Command("unconfirmed"))
    router.message.register(resolve, Command("resolve"))
    router.callback_query.register(batch_buttons, ResolveBatchCb.filter())
    return router
