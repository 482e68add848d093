"""The owner's commands. Only ADMIN_IDS reach these handlers; anyone else falls through to the
unknown-command answer, so the commands' existence is not revealed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiogram import BaseMiddleware, Router, html
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject

from bot.catalog import Catalog
from bot.formatting import format_money, format_number
from bot.pricing import parse_amount
from bot.products import Products
from bot.shop import ResolveError, Shop
from provider.client import PanelClient
from provider.errors import PanelError
from storage.errors import DuplicateEntry, InsufficientFunds, NotFound
from storage.orders import OrderRecord, Stage
from storage.users import User

router = Router(name=__name__)


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, shop: Shop, person: User) -> bool:
        return shop.is_admin(person.id)


class LeaveFlowOnCommand(BaseMiddleware):
    """An admin command ends any half-done step (e.g. an amount asked from a user card), as
    every customer command does."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        is_command = isinstance(event, Message) and (event.text or "").startswith("/")
        if state is not None and is_command:
            await state.clear()
        return await handler(event, data)


def admin_only(router: Router) -> None:
    """Admin routers: only ADMIN_IDS reach them; their commands leave any flow."""
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.middleware(LeaveFlowOnCommand())


admin_only(router)

CREDIT_USAGE = "Usage: /credit USER_ID AMOUNT [note], e.g. /credit 123456789 10.50 bonus"
DEBIT_USAGE = "Usage: /debit USER_ID AMOUNT [note], e.g. /debit 123456789 2.00 correction"


async def change_balance(
    message: Message, command: CommandObject, shop: Shop, catalog: Catalog, sign: int
) -> None:
    usage = CREDIT_USAGE if sign > 0 else DEBIT_USAGE
    parts = (command.args or "").split(maxsplit=2)
    if len(parts) < 2:
        await message.answer(usage)
        return
    amount = parse_amount(parts[1])
    if amount is None:
        await message.answer(f"⚠️ {html.quote(parts[1])} is not an amount. {usage}")
        return
    user = await shop.users.find(parts[0])
    if user is None:
        await message.answer(f"⚠️ No user {html.quote(parts[0])} has used the bot. {usage}")
        return
    note = parts[2].strip()[:200] if len(parts) > 2 else ""
    currency = await catalog.currency()
    reference = f"admin:{message.chat.id}:{message.message_id}"
    try:
        balance = await shop.adjust_balance(user.id, amount * sign, reference, note, currency)
    except InsufficientFunds as error:
        have = format_money(Decimal(error.balance_micros) / 1_000_000, currency)
        await message.answer(f"⚠️ Cannot debit more than the balance ({have}).")
        return
    except DuplicateEntry:
        await message.answer("This command was already applied.")
        return
    except NotFound:
        await message.answer(f"⚠️ No user {user.id}.")
        return
    verb = "Credited" if sign > 0 else "Debited"
    await message.answer(
        f"✅ {verb} {format_money(amount, currency)} for {html.quote(user.full_name)} "
        f"({user.id}). Balance now: {format_money(balance, currency)}."
    )


@router.message(Command("credit"))
async def credit(message: Message, command: CommandObject, shop: Shop, catalog: Catalog) -> None:
    await change_balance(message, command, shop, catalog, +1)


@router.message(Command("debit"))
async def debit(message: Message, command: CommandObject, shop: Shop, catalog: Catalog) -> None:
    await change_balance(message, command, shop, catalog, -1)


@router.message(Command("provider"))
async def provider(message: Message, panel: PanelClient, catalog: Catalog) -> None:
    try:
        balance = await panel.balance()
    except PanelError as error:
        await message.answer(f"❌ The panel is not answering: {html.quote(str(error))}")
        return
    services = await catalog.count_services()
    await message.answer(
        f"✅ The panel answers.\nBalance: {format_money(balance.balance, balance.currency)}\n"
        f"Services in the catalog: {format_number(services)}"
    )


@router.message(Command("sync"))
async def sync(message: Message, catalog: Catalog, products: Products) -> None:
    progress = await message.answer("⏳ Syncing the catalog…")
    try:
        result = await catalog.sync()
        product_count = await products.sync()
    except PanelError as error:
        await progress.edit_text(f"❌ Sync failed: {html.quote(str(error))}")
        return
    await progress.edit_text(
        f"✅ Catalog synced: {len(result.added)} services added, {len(result.changed)} changed, "
        f"{len(result.removed)} removed, {result.categories_added} new categories; "
        f"{product_count} products listed."
    )


ORDER_USAGE = "Usage: /order ORDER_ID, e.g. /order 42"
RESOLVE_USAGE = (
    "Usage: /resolve ORDER_ID PANEL_ORDER_ID (the order exists on the panel) "
    "or /resolve ORDER_ID refund (it does not: refund in full)"
)


def whole_number(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 18 else None


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


@router.message(Command("order"))
async def order(message: Message, command: CommandObject, shop: Shop, catalog: Catalog) -> None:
    order_id = whole_number(command.args or "")
    if order_id is None:
        await message.answer(ORDER_USAGE)
        return
    found = await shop.orders.get(order_id)
    if found is None:
        await message.answer(f"⚠️ There is no order #{order_id}.")
        return
    await message.answer(order_details(found, await catalog.currency()))


@router.message(Command("unconfirmed"))
async def unconfirmed(message: Message, shop: Shop, catalog: Catalog) -> None:
    held = await shop.orders.in_stage(Stage.UNCONFIRMED, limit=50)
    if not held:
        await message.answer("✅ No unconfirmed orders.")
        return
    currency = await catalog.currency()
    lines = [f"<b>Unconfirmed orders</b> ({len(held)}{'+' if len(held) == 50 else ''}):"]
    for item in held:
        lines.append(
            f"#{item.id} · user {item.user_id} · {html.quote(item.service_name[:40])} · "
            f"{format_number(item.quantity)} · {format_money(item.price, currency)}"
        )
    lines.append("\n" + RESOLVE_USAGE)
    await message.answer("\n".join(lines))


@router.message(Command("resolve"))
async def resolve(message: Message, command: CommandObject, shop: Shop, catalog: Catalog) -> None:
    parts = (command.args or "").split()
    order_id = whole_number(parts[0]) if parts else None
    if order_id is None or len(parts) != 2:
        await message.answer(RESOLVE_USAGE)
        return
    try:
        if parts[1].lower() == "refund":
            await shop.resolve_with_refund(order_id, await catalog.currency())
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
