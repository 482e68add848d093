"""The owner's console in the chat: dashboard, people, pricing rules, visibility, broadcasts,
refunds by hand, alerts, exports and backups. Only ADMIN_IDS reach these handlers."""

from __future__ import annotations

import contextlib
import datetime as dt

from aiogram import Bot, F, Router, html
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message

from bot.broadcaster import BroadcastFollower
from bot.catalog import Catalog
from bot.console import EXPORTS, Console, ConsoleError, Dashboard
from bot.formatting import format_money, format_number
from bot.health import HealthMonitor
from bot.pricing import parse_amount, parse_markup_percent
from bot.shop import Shop
from handlers.admin import admin_only
from handlers.callbacks import AdminCb, AdminUserCb
from handlers.common import answer_quietly
from handlers.keyboards import button
from handlers.states import AdminInput
from storage.errors import InsufficientFunds
from storage.stats import WindowStats
from storage.users import User

router = Router(name=__name__)
admin_only(router)

MARKUP_USAGE = (
    "Usage: /markup PERCENT (everything), /markup PERCENT category NAME, "
    "/markup PERCENT service ID, /markup reset category NAME | service ID; "
    "/markup alone lists the rules. PERCENT from 0 to 10000."
)
HIDE_USAGE = "Usage: /hide SERVICE_ID or /hide category NAME (and the same with /show)"
USER_USAGE = "Usage: /user USER_ID or /user @username"
REFUND_USAGE = "Usage: /refund ORDER_ID [AMOUNT] (without AMOUNT: all that is not refunded yet)"
ALERTS_USAGE = (
    "Usage: /alerts balance AMOUNT (alert when the panel balance is below) or /alerts balance off"
)
EXPORT_USAGE = "Usage: /export orders | users | ledger"
BROADCAST_USAGE = (
    "Usage: /broadcast TEXT, or reply to a message with /broadcast; /broadcast cancel stops it"
)


def counted(count: int, one: str, many: str) -> str:
    """Admin texts are English: '1 order', '2 orders'."""
    return f"{format_number(count)} {one if count == 1 else many}"


# ---- dashboard --------------------------------------------------------------------------------


def window_lines(title: str, stats: WindowStats, currency: str) -> list[str]:
    orders = sum(stats.orders_by_status.values())
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(stats.orders_by_status.items())) or "—"
    return [
        f"<b>{title}</b>: {counted(orders, 'order', 'orders')} ({html.quote(by_status)})",
        f"Revenue {format_money(stats.revenue, currency)} · refunds "
        f"{format_money(stats.refunds, currency)} · panel cost "
        f"{format_money(stats.panel_cost, currency)} · "
        f"margin {format_money(stats.margin, currency)}",
    ]


def dashboard_text(board: Dashboard) -> str:
    panel = (
        format_money(board.panel_balance.balance, board.panel_balance.currency)
        if board.panel_balance
        else "❌ not answering"
    )
    lines = [
        "📊 <b>Dashboard</b>",
        f"Users: {format_number(board.users.total)} · new today {format_number(board.users.new)}"
        f" · active in 7 days {format_number(board.users.active)}",
        *window_lines("Today", board.today, board.currency),
        *window_lines("7 days", board.week, board.currency),
        f"Panel balance: {panel}",
        f"Unconfirmed orders: {board.unconfirmed} · stuck orders: {board.stuck}",
    ]
    return "\n".join(lines)


def dashboard_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("⏳ Unconfirmed", AdminCb(to="unconfirmed")),
             button("💹 Markup rules", AdminCb(to="markup"))],
            [button("📤 Export orders", AdminCb(to="export_orders")),
             button("💾 Backup", AdminCb(to="backup"))],
            [button("🔄 Refresh", AdminCb(to="dashboard"))],
        ]
    )  # fmt: skip


@router.message(Command("admin"))
async def dashboard(message: Message, console: Console) -> None:
    await message.answer(
        dashboard_text(await console.dashboard()), reply_markup=dashboard_keyboard()
    )


@router.callback_query(AdminCb.filter())
async def dashboard_buttons(
    callback: CallbackQuery, callback_data: AdminCb, console: Console, catalog: Catalog, shop: Shop
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        await answer_quietly(callback, "This message is too old; send /admin again.")
        return
    await answer_quietly(callback)
    match callback_data.to:
        case "dashboard":
            with contextlib.suppress(Exception):
                await message.edit_text(
                    dashboard_text(await console.dashboard()), reply_markup=dashboard_keyboard()
                )
        case "unconfirmed":
            from handlers.admin import unconfirmed

            await unconfirmed(message, shop, catalog)
        case "markup":
            await message.answer(await markup_listing(catalog))
        case "export_orders":
            await send_export(message, console, "orders")
        case "backup":
            await send_backup(message, console)


# ---- people -------------------------------------------------------------------------------------


def profile_keyboard(user: User) -> InlineKeyboardMarkup:
    ban = (
        button("✅ Unban", AdminUserCb(action="unban", id=user.id))
        if user.banned
        else button("⛔ Ban", AdminUserCb(action="ban", id=user.id))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button("➕ Credit", AdminUserCb(action="credit", id=user.id)),
             button("➖ Debit", AdminUserCb(action="debit", id=user.id))],
            [ban],
        ]
    )  # fmt: skip


async def profile_text(console: Console, user: User, currency: str) -> str:
    profile = await console.profile(user)
    joined = dt.datetime.fromtimestamp(user.created_at, tz=dt.UTC).strftime("%Y-%m-%d")
    flags = " ".join(
        flag
        for flag, on in (("⛔ banned", user.banned), ("🚫 blocked the bot", user.blocked_bot))
        if on
    )
    username = html.quote(f"@{user.username}") if user.username else ""
    lines = [
        f"👤 <b>{html.quote(user.full_name or '—')}</b> {username}",
        f"Id: <code>{user.id}</code> · language {user.language} · joined {joined} {flags}",
        f"Balance: <b>{format_money(user.balance, currency)}</b> · orders: {profile.order_count}",
    ]
    if profile.orders:
        lines.append("Last orders:")
        lines += [
            f"  #{o.id} {o.stage.value} · {html.quote(o.service_name[:40])} · "
            f"{format_money(o.price, currency)}"
            for o in profile.orders
        ]
    if profile.ledger:
        lines.append("Last balance changes:")
        lines += [
            f"  {'+' if e.amount > 0 else ''}{format_money(e.amount, currency)} {e.kind} "
            f"{html.quote(e.reference[:30])}"
            for e in profile.ledger
        ]
    return "\n".join(lines)


@router.message(Command("user"))
async def user_command(
    message: Message, command: CommandObject, console: Console, catalog: Catalog
) -> None:
    user = await console.find_user(command.args or "")
    if user is None:
        await message.answer(f"⚠️ No such user. {USER_USAGE}")
        return
    text = await profile_text(console, user, await catalog.currency())
    await message.answer(text, reply_markup=profile_keyboard(user))


async def ban_or_unban(
    message: Message, command: CommandObject, console: Console, banned: bool
) -> None:
    verb = "ban" if banned else "unban"
    user = await console.find_user(command.args or "")
    if user is None:
        await message.answer(f"⚠️ No such user. Usage: /{verb} USER_ID or /{verb} @username")
        return
    try:
        await console.set_banned(user, banned)
    except ConsoleError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    state = "banned: they get one polite line for anything they send" if banned else "unbanned"
    await message.answer(f"✅ {html.quote(user.full_name)} ({user.id}) is {state}.")


@router.message(Command("ban"))
async def ban(message: Message, command: CommandObject, console: Console) -> None:
    await ban_or_unban(message, command, console, True)


@router.message(Command("unban"))
async def unban(message: Message, command: CommandObject, console: Console) -> None:
    await ban_or_unban(message, command, console, False)


@router.callback_query(AdminUserCb.filter())
async def user_buttons(
    callback: CallbackQuery, callback_data: AdminUserCb, console: Console, state: FSMContext
) -> None:
    user = await console.find_user(str(callback_data.id))
    if user is None or not isinstance(callback.message, Message):
        await answer_quietly(callback, "This user is gone.")
        return
    if callback_data.action in {"ban", "unban"}:
        try:
            await console.set_banned(user, callback_data.action == "ban")
        except ConsoleError as error:
            await answer_quietly(callback, str(error))
            return
        await answer_quietly(callback, f"Done: {callback_data.action}ned.")
        refreshed = await console.find_user(str(user.id))
        if refreshed is not None:
            with contextlib.suppress(Exception):
                await callback.message.edit_reply_markup(reply_markup=profile_keyboard(refreshed))
        return
    await state.set_state(AdminInput.amount)
    await state.update_data(admin_action=callback_data.action, admin_user=user.id)
    await answer_quietly(callback)
    await callback.message.answer(
        f"Send the amount to {callback_data.action} for {html.quote(user.full_name)} ({user.id}), "
        "optionally followed by a note, e.g. <code>10.50 bonus</code>. /cancel to stop."
    )


@router.message(AdminInput.amount, F.text, ~F.text.startswith("/"))
async def amount_for_user(
    message: Message, state: FSMContext, shop: Shop, catalog: Catalog
) -> None:
    data = await state.get_data()
    parts = (message.text or "").split(maxsplit=1)
    amount = parse_amount(parts[0]) if parts else None
    if amount is None:
        await message.answer("⚠️ That is not an amount. Send e.g. 10.50 (or /cancel).")
        return
    await state.clear()
    sign = 1 if data.get("admin_action") == "credit" else -1
    currency = await catalog.currency()
    note = parts[1][:200] if len(parts) > 1 else ""
    try:
        balance = await shop.adjust_balance(
            int(data["admin_user"]),
            amount * sign,
            f"admin:{message.chat.id}:{message.message_id}",
            note,
            currency,
        )
    except InsufficientFunds:
        await message.answer("⚠️ Cannot debit more than the balance.")
        return
    await message.answer(f"✅ Done. Balance now: {format_money(balance, currency)}.")


# ---- pricing and visibility ---------------------------------------------------------------------


async def markup_listing(catalog: Catalog) -> str:
    lines = [f"💹 Markup for everything: <b>{await catalog.markup_percent()}%</b>"]
    rules = await catalog.markup_rules.all()
    lines += [f"  {r.scope} {html.quote(r.name)} ({r.target}): {r.percent}%" for r in rules]
    if not rules:
        lines.append("No category or service rules.")
    return "\n".join(lines) + "\n\n" + MARKUP_USAGE


async def markup_target(catalog: Catalog, scope: str, name: str) -> tuple[int, str] | None:
    if scope == "service":
        service = await catalog.service(int(name)) if name.isdigit() else None
        return None if service is None else (service.id, service.name)
    category = await catalog.category_by_name(name)
    return None if category is None else (category.id, category.name)


@router.message(Command("markup"))
async def markup(message: Message, command: CommandObject, catalog: Catalog) -> None:
    args = (command.args or "").split(maxsplit=2)
    if not args:
        await message.answer(await markup_listing(catalog))
        return
    if len(args) == 1:
        percent = parse_markup_percent(args[0])
        if percent is None:
            await message.answer(
                f"⚠️ {html.quote(args[0][:30])} is not a percentage. {MARKUP_USAGE}"
            )
            return
        await catalog.set_markup_percent(percent)
        await message.answer(f"✅ Markup set to {percent}% for everything without its own rule.")
        return
    if len(args) < 3 or args[1] not in {"category", "service"}:
        await message.answer(MARKUP_USAGE)
        return
    target = await markup_target(catalog, args[1], args[2].strip())
    if target is None:
        await message.answer(f"⚠️ No {args[1]} {html.quote(args[2][:60])}. {MARKUP_USAGE}")
        return
    if args[0] == "reset":
        removed = await catalog.markup_rules.remove(args[1], target[0])
        await message.answer(
            f"✅ Rule for {args[1]} {html.quote(target[1])} removed."
            if removed
            else "There was no such rule."
        )
        return
    percent = parse_markup_percent(args[0])
    if percent is None:
        await message.answer(f"⚠️ {html.quote(args[0][:30])} is not a percentage. {MARKUP_USAGE}")
        return
    await catalog.markup_rules.set(args[1], target[0], percent)
    await message.answer(f"✅ Markup for {args[1]} {html.quote(target[1])} set to {percent}%.")


async def hide_or_show(
    message: Message, command: CommandObject, catalog: Catalog, hidden: bool
) -> None:
    args = (command.args or "").strip()
    verb = "hidden" if hidden else "shown again"
    if args.startswith("category "):
        category = await catalog.category_by_name(args.removeprefix("category ").strip())
        if category is None:
            await message.answer(f"⚠️ No such category. {HIDE_USAGE}")
            return
        await catalog.set_hidden(category, hidden)
        await message.answer(f"✅ Category {html.quote(category.name)} is {verb}.")
        return
    service = await catalog.service(int(args)) if args.isdigit() and len(args) < 12 else None
    if service is None:
        await message.answer(f"⚠️ No such service. {HIDE_USAGE}")
        return
    await catalog.set_hidden(service, hidden)
    await message.answer(f"✅ Service {service.id} ({html.quote(service.name)}) is {verb}.")


@router.message(Command("hide"))
async def hide(message: Message, command: CommandObject, catalog: Catalog) -> None:
    await hide_or_show(message, command, catalog, True)


@router.message(Command("show"))
async def show_again(message: Message, command: CommandObject, catalog: Catalog) -> None:
    await hide_or_show(message, command, catalog, False)


# ---- orders and money ---------------------------------------------------------------------------


@router.message(Command("orders_of"))
async def orders_of(
    message: Message, command: CommandObject, console: Console, shop: Shop, catalog: Catalog
) -> None:
    user = await console.find_user(command.args or "")
    if user is None:
        await message.answer("⚠️ No such user. Usage: /orders_of USER_ID or /orders_of @username")
        return
    orders = await shop.orders.for_user(user.id, 0, 20)
    currency = await catalog.currency()
    lines = [f"Orders of {html.quote(user.full_name)} ({user.id}), newest first:"]
    lines += [
        f"#{o.id} {o.stage.value} · {html.quote(o.service_name[:40])} · "
        f"{format_number(o.quantity)} · {format_money(o.price, currency)}"
        for o in orders
    ] or ["none"]
    await message.answer("\n".join(lines))


@router.message(Command("refund"))
async def refund(
    message: Message, command: CommandObject, console: Console, catalog: Catalog
) -> None:
    parts = (command.args or "").split()
    order_id = int(parts[0].lstrip("#")) if parts and parts[0].lstrip("#").isdigit() else None
    amount = parse_amount(parts[1]) if len(parts) == 2 else None
    if order_id is None or len(parts) > 2 or (len(parts) == 2 and amount is None):
        await message.answer(REFUND_USAGE)
        return
    try:
        order, refunded = await console.refund_order(order_id, amount)
    except ConsoleError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    currency = await catalog.currency()
    await message.answer(
        f"✅ Refunded {format_money(refunded, currency)} for order #{order.id}; the user was told."
    )


@router.message(Command("alerts"))
async def alerts(
    message: Message, command: CommandObject, health: HealthMonitor, catalog: Catalog
) -> None:
    parts = (command.args or "").split()
    if not parts:
        threshold = await health.threshold()
        shown = (
            format_money(threshold, await catalog.currency()) if threshold is not None else "off"
        )
        await message.answer(f"Panel balance alert: {shown}.\n{ALERTS_USAGE}")
        return
    if len(parts) != 2 or parts[0] != "balance":
        await message.answer(ALERTS_USAGE)
        return
    if parts[1] == "off":
        await health.set_threshold(None)
        await message.answer("✅ Panel balance alert switched off.")
        return
    amount = parse_amount(parts[1])
    if amount is None:
        await message.answer(f"⚠️ {html.quote(parts[1][:30])} is not an amount. {ALERTS_USAGE}")
        return
    await health.set_threshold(amount)
    await message.answer(
        f"✅ You will be alerted (at most hourly) when the panel balance is below "
        f"{format_money(amount, await catalog.currency())}."
    )


# ---- files --------------------------------------------------------------------------------------


async def send_export(message: Message, console: Console, table: str) -> None:
    async with console.export_file(table) as path:
        await message.answer_document(
            FSInputFile(path, filename=f"{table}.csv"), caption=f"📤 {table}"
        )


async def send_backup(message: Message, console: Console) -> None:
    async with console.backup_file() as path:
        caption = "💾 Database backup (SQLite). Keep it somewhere safe."
        await message.answer_document(FSInputFile(path, filename=path.name), caption=caption)


@router.message(Command("export"))
async def export(message: Message, command: CommandObject, console: Console) -> None:
    table = (command.args or "").strip().lower()
    if table not in EXPORTS:
        await message.answer(EXPORT_USAGE)
        return
    await send_export(message, console, table)


@router.message(Command("backup"))
async def backup(message: Message, console: Console) -> None:
    await send_backup(message, console)


# ---- broadcasts -------------------------------------------------------------------------------


@router.message(Command("broadcast"))
async def broadcast(message: Message, command: CommandObject, console: Console, bot: Bot) -> None:
    args = (command.args or "").strip()
    if args.lower() == "cancel":
        canceled = await console.cancel_broadcasts()
        follower = BroadcastFollower(bot, console)
        for broadcast_id in canceled:  # its progress message says so at once
            await follower.update(broadcast_id)
        await message.answer(
            f"✖️ Canceled {len(canceled)} running broadcast(s)."
            if canceled
            else "No broadcast is running."
        )
        return
    replied = message.reply_to_message
    text = (replied.html_text if replied and (replied.text or replied.caption) else "") or (
        message.html_text.split(maxsplit=1)[1] if args else ""
    )
    if not text.strip():
        await message.answer(BROADCAST_USAGE)
        return
    if len(text) > 4000:
        await message.answer(
            "⚠️ The message is too long for Telegram (at most about 4,000 characters)."
        )
        return
    broadcast_id = await console.start_broadcast(message.chat.id, text)
    progress = await console.broadcast_progress(broadcast_id)
    assert progress is not None
    sent = await message.answer(
        f"📣 Broadcast #{broadcast_id} to {counted(progress.total, 'person', 'people')} started."
    )
    await console.broadcasts.set_progress_message(broadcast_id, sent.chat.id, sent.message_id)
