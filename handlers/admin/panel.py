"""The panel: /provider (does it answer, its balance), /sync now, /alerts balance."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import read_amount, takes_no_arguments
from handlers.deps import Services
from provider.errors import PanelError
from shop.formatting import format_money, format_number

ALERTS_USAGE = (
    "Usage: /alerts balance AMOUNT (alert when the panel balance is below) or /alerts balance off"
)


async def provider(message: Message, command: CommandObject, services: Services) -> None:
    if not await takes_no_arguments(message, command, "Usage: /provider"):
        return
    try:
        balance = await services.health.panel_balance()
    except PanelError as error:
        await message.answer(f"❌ The panel is not answering: {html.quote(str(error))}")
        return
    count = await services.catalog.count_services()
    await message.answer(
        f"✅ The panel answers.\nBalance: {format_money(balance.balance, balance.currency)}\n"
        f"Services in the catalog: {format_number(count)}"
    )


async def sync(message: Message, command: CommandObject, services: Services) -> None:
    if not await takes_no_arguments(message, command, "Usage: /sync (refreshes the catalog now)"):
        return
    progress = await message.answer("⏳ Syncing the catalog…")
    try:
        result = await services.catalog.sync()
        product_count = await services.products.sync()
    except PanelError as error:
        await progress.edit_text(f"❌ Sync failed: {html.quote(str(error))}")
        return
    await progress.edit_text(
        f"✅ Catalog synced: {len(result.added)} services added, {len(result.changed)} changed, "
        f"{len(result.removed)} removed, {result.categories_added} new categories; "
        f"{product_count} products listed."
    )


async def alerts(message: Message, command: CommandObject, services: Services) -> None:
    health, currency = services.health, await services.catalog.currency()
    what, _, level = (command.args or "").strip().partition(" ")
    if not what:
        threshold = await health.threshold()
        shown = format_money(threshold, currency) if threshold is not None else "off"
        await message.answer(f"Panel balance alert: {shown}.\n{ALERTS_USAGE}")
        return
    if what != "balance" or not level.strip():
        await message.answer(ALERTS_USAGE)
        return
    if level.strip() == "off":
        await health.set_threshold(None)
        await message.answer("✅ Panel balance alert switched off.")
        return
    amount = read_amount(level)
    if isinstance(amount, str):
        await message.answer(f"{amount}\n{ALERTS_USAGE}")
        return
    await health.set_threshold(amount)
    await message.answer(
        "✅ You will be alerted (at most hourly) when the panel balance is below "
        f"{format_money(amount, currency)}."
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(provider, Command("provider"))
    router.message.register(sync, Command("sync"))
    router.message.register(alerts, Command("alerts"))
    return router
