"""The panels' health: /health (does the main panel answer, its balance), /sync now (every
panel), /alerts balance [PANEL] AMOUNT."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import read_amount, takes_no_arguments
from provider.errors import PanelError
from shop.formatting import format_money, format_number
from shop.services import Services

ALERTS_USAGE = (
    "Usage: /alerts balance [PANEL] AMOUNT (alert when that panel's balance, in its currency, "
    "is below; PANEL is main when left out) or /alerts balance [PANEL] off"
)


async def main_panel_health(message: Message, command: CommandObject, services: Services) -> None:
    if not await takes_no_arguments(message, command, "Usage: /health"):
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
    outcomes = await services.catalog.sync_each()
    failed = {name: o for name, o in outcomes.items() if isinstance(o, PanelError)}
    results = [o for o in outcomes.values() if not isinstance(o, PanelError)]
    lines = [f"❌ Sync of panel {name} failed: {html.quote(str(e))}" for name, e in failed.items()]
    if results:
        result = results[0]
        try:
            products = f"{await services.products.sync()} products listed"
        except PanelError as error:
            products = f"products not synced ({html.quote(str(error))})"
        panels = ", ".join(name for name in outcomes if name not in failed)
        lines.insert(
            0,
            f"✅ Catalog synced ({panels}): {len(result.added)} services added, "
            f"{len(result.changed)} changed, {len(result.removed)} removed, "
            f"{result.categories_added} new categories; {products}.",
        )
    await progress.edit_text("\n".join(lines) or "No panel is on: /panels")


async def alerts(message: Message, command: CommandObject, services: Services) -> None:
    health, panels = services.health, services.catalog.panels
    words = (command.args or "").split()
    if not words:
        levels = []
        for each in panels.all():
            threshold = await health.threshold(each.name)
            currency = each.record.currency or await services.catalog.currency()
            shown = format_money(threshold, currency) if threshold is not None else "off"
            levels.append(f"{each.name}: {shown}")
        await message.answer("Panel balance alerts: " + ", ".join(levels) + f".\n{ALERTS_USAGE}")
        return
    if words[0] != "balance" or len(words) not in (2, 3):
        await message.answer(ALERTS_USAGE)
        return
    name = words[1] if len(words) == 3 else "main"
    panel = panels.get(name)
    if panel is None:
        await message.answer(f"⚠️ There is no panel {html.quote(name)}. {ALERTS_USAGE}")
        return
    level = words[-1]
    if level == "off":
        await health.set_threshold(None, panel.name)
        await message.answer(f"✅ Balance alert of panel {panel.name} switched off.")
        return
    amount = read_amount(level)
    if isinstance(amount, str):
        await message.answer(f"{amount}\n{ALERTS_USAGE}")
        return
    await health.set_threshold(amount, panel.name)
    currency = panel.record.currency or await services.catalog.currency()
    await message.answer(
        f"✅ You will be alerted (at most hourly) when panel {panel.name}'s balance is below "
        f"{format_money(amount, currency)}."
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(main_panel_health, Command("health"))
    router.message.register(sync, Command("sync"))
    router.message.register(alerts, Command("alerts"))
    return router
