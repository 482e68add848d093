"""/admin: the dashboard (people, orders and money today and over 7 days, the panel) and its
buttons."""

from __future__ import annotations

import contextlib

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.admin.common import counted, takes_no_arguments
from handlers.admin.files import send_backup, send_export
from handlers.admin.orders import unconfirmed
from handlers.admin.pricing import markup_listing
from handlers.callbacks import AdminCb
from handlers.keyboards import button
from shop.console import Dashboard
from shop.formatting import format_money, format_number
from shop.services import Services
from storage.stats import WindowStats


def window_lines(title: str, stats: WindowStats, currency: str) -> list[str]:
    orders = sum(stats.orders_by_status.values())
    by_status = ", ".join(f"{k} {v}" for k, v in sorted(stats.orders_by_status.items())) or "—"
    lines = [
        f"<b>{title}</b>: {counted(orders, 'order', 'orders')} ({html.quote(by_status)})",
        f"Revenue {format_money(stats.revenue, currency)} · refunds "
        f"{format_money(stats.refunds, currency)} · panel cost "
        f"{format_money(stats.panel_cost, currency)} · "
        f"margin {format_money(stats.margin, currency)}",
    ]
    if stats.unconverted:
        amounts = " + ".join(
            format_money(amount, html.quote(theirs) or "(currency unknown)")
            for theirs, amount in sorted(stats.unconverted.items())
        )
        panels = ", ".join(html.quote(name) for name in stats.unconverted_panels)
        lines.append(
            f"⚠️ Panel cost not converted (no rate): {amounts}, panel {panels}; "
            "left out of the cost and the margin above (/panel rate NAME RATE)"
        )
    return lines


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


async def dashboard(message: Message, command: CommandObject, services: Services) -> None:
    if not await takes_no_arguments(message, command, "Usage: /admin (the dashboard)"):
        return
    board = await services.console.dashboard()
    await message.answer(dashboard_text(board), reply_markup=dashboard_keyboard())


async def dashboard_buttons(
    callback: CallbackQuery,
    callback_data: AdminCb,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    message = callback.message
    if not isinstance(message, Message):
        callback_answer.text = "This message is too old; send /admin again."
        return
    console = services.console
    match callback_data.to:
        case "dashboard":
            with contextlib.suppress(Exception):
                await message.edit_text(
                    dashboard_text(await console.dashboard()), reply_markup=dashboard_keyboard()
                )
        case "unconfirmed":
            await unconfirmed(message, services)
        case "markup":
            await message.answer(await markup_listing(services.catalog))
        case "export_orders":
            await send_export(message, console, "orders")
        case "backup":
            await send_backup(message, console)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(dashboard, Command("admin"))
    router.callback_query.register(dashboard_buttons, AdminCb.filter())
    return router
