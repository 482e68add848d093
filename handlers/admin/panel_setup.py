"""Several panels: /panels, /panel add|on|off|remove|rate|mode, /import, /rename, /describe
(/route: handlers/admin/routes.py). Every command answers its usage line on a mistake."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal
from urllib.parse import urlsplit

from aiogram import Router, html
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import PRODUCT_WORDS, counted, read_amount, whole_number
from provider.errors import PanelError
from shop.catalog import Catalog
from shop.formatting import format_money
from shop.order_input import is_control
from shop.panels import Panel, PanelProblem, mask
from shop.services import Services
from storage.catalog import SyncResult
from storage.panels import MAIN, PanelMode

PANEL_USAGE = (
    "Usage: /panel add NAME URL KEY · /panel on NAME · /panel off NAME · /panel remove NAME · "
    "/panel rate NAME RATE (one unit of its currency in the shop's, e.g. 0.00004) · "
    "/panel mode NAME all|picked. /panels lists them."
)
IMPORT_USAGE = (
    "Usage: /import PANEL PANEL_SERVICE_ID [CATEGORY] or /import PANEL 1,2,5-9 [CATEGORY] "
    "(at most 500 at once); products: /import product PANEL PANEL_PRODUCT_ID[,ID...] [CATEGORY]"
)
RENAME_USAGE = "Usage: /rename SERVICE_ID New name (up to 100 characters; - = the panel's name)"
DESCRIBE_USAGE = (
    "Usage: /describe SERVICE_ID text (up to 1000 characters; - = the panel's description)"
)
MAX_IMPORT = 500


def ago(moment: float | None) -> str:
    if moment is None:
        return "never since start"
    seconds = int(time.time() - moment)
    if seconds < 120:
        return f"{seconds} s ago"
    return f"{seconds // 60} min ago"


def rate_line(panel: Panel, currency: str) -> str:
    theirs = panel.record.currency or "?"
    if Catalog.conversion(panel, currency) == Decimal(1):
        return f"currency {theirs}"
    if panel.record.rate is None:
        return (
            f"⚠️ currency {theirs}, no rate: its services are not sold until "
            f"/panel rate {panel.name} RATE"
        )
    return f"1 {theirs} = {panel.record.rate} {currency}"


def panel_block(panel: Panel, services: int, currency: str) -> str:
    record = panel.record
    state = "🟢 on" if record.enabled else "🔴 off"
    mode = "mirrored (all its services)" if record.mode is PanelMode.ALL else "picked (/import)"
    balance = "unknown"
    if record.balance is not None:
        balance = format_money(record.balance, record.currency or currency)
    where = "PROVIDER_URL, PROVIDER_KEY" if panel.name == MAIN else (
        f"{urlsplit(record.url).netloc or record.url} · key {mask(record.api_key)}"
    )  # fmt: skip
    return (
        f"<b>{panel.name}</b> — {state}, {mode}\n"
        f"  Balance {balance} · {counted(services, 'service', 'services')} · "
        f"{rate_line(panel, currency)}\n"
        f"  Last answer {ago(panel.client.record.last_answer_at)} · errors in the last hour: "
        f"{panel.activity.errors_last_hour()}\n"
        f"  {html.quote(where)}"
    )


async def list_panels(message: Message, services: Services) -> None:
    catalog = services.catalog
    counts = await catalog.panels.service_counts()
    currency = await catalog.currency()
    blocks = [panel_block(p, counts.get(p.name, 0), currency) for p in catalog.panels.all()]
    await message.answer(
        f"🏭 Panels (shop currency {currency}):\n\n" + "\n\n".join(blocks) + f"\n\n{PANEL_USAGE}"
    )


async def panels_command(message: Message, command: CommandObject, services: Services) -> None:
    if (command.args or "").strip():
        await message.answer(f"⚠️ /panels takes nothing after it. {PANEL_USAGE}")
        return
    await list_panels(message, services)


def changes_line(result: SyncResult) -> str:
    shown = len(result.added) + len(result.changed)
    return f"Services now sold or changed: {shown}; hidden: {len(result.removed)}."


async def panel_command(message: Message, command: CommandObject, services: Services) -> None:
    words = (command.args or "").split()
    action = words[0].lower() if words else ""
    try:
        match action, words[1:]:
            case "add", [name, url, key]:
                await add_panel(message, services, name, url, key)
            case "add", _:  # the message may hold a key all the same
                deleted = await forget_key_message(message)
                await message.answer(f"{deleted}\n⚠️ /panel add needs NAME URL KEY. {PANEL_USAGE}")
            case ("on" | "off") as switch, [name]:
                result = await services.catalog.set_panel_enabled(name, switch == "on")
                note = "new orders may go to it" if switch == "on" else "no new order goes to it"
                await message.answer(
                    f"✅ Panel {html.quote(name.lower())} is {switch}: {note}; its open orders "
                    f"are followed as before. {changes_line(result)}"
                )
            case "remove", [name]:
                result = await services.catalog.remove_panel(name)
                await message.answer(
                    f"✅ Panel {html.quote(name.lower())} removed with its routes. "
                    f"{changes_line(result)}"
                )
            case "rate", [name, rate_text]:
                await set_rate(message, services, name, rate_text)
            case "mode", [name, mode] if mode.lower() in ("all", "picked"):
                result = await services.catalog.set_panel_mode(name, PanelMode(mode.lower()))
                what = (
                    "every service it lists is sold"
                    if mode.lower() == "all"
                    else "only the services you /import are sold (those sold so far stay)"
                )
                await message.answer(
                    f"✅ Panel {html.quote(name.lower())}: {what}. {changes_line(result)}"
                )
            case _:
                await message.answer(PANEL_USAGE)
    except PanelProblem as problem:
        await message.answer(f"⚠️ {html.quote(str(problem))}\n{PANEL_USAGE}")


async def forget_key_message(message: Message) -> str:
    """Delete the admin's message that may hold a key; say whether it worked."""
    try:
        await message.delete()
    except TelegramAPIError:
        return "⚠️ I could not delete your message with the key: please delete it yourself."
    return "🗑 I deleted your message with the key from this chat."


async def add_panel(message: Message, services: Services, name: str, url: str, key: str) -> None:
    deleted = await forget_key_message(message)
    progress = await message.answer(f"{deleted}\n⏳ Checking panel {html.quote(name.lower())}…")
    try:
        checked = await services.catalog.add_panel(name, url, key)
    except PanelProblem as problem:
        await progress.edit_text(f"{deleted}\n❌ {html.quote(str(problem))}\n{PANEL_USAGE}")
        return
    panel, balance = checked.panel, checked.balance
    with contextlib.suppress(PanelError):  # its products, so /import product can name them
        await services.products.sync([panel.name])
    currency = await services.catalog.currency()
    lines = [
        deleted,
        f"✅ Panel <b>{panel.name}</b> added (key {mask(panel.record.api_key)}): balance "
        f"{format_money(balance.balance, balance.currency)}, "
        f"{counted(len(checked.services), 'service', 'services')} listed.",
        f"It is picked: sell its services with /import {panel.name} ID [CATEGORY] and its "
        f"products with /import product {panel.name} ID [CATEGORY], or all of them with "
        f"/panel mode {panel.name} all.",
    ]
    if Catalog.conversion(panel, currency) is None:
        lines.append(
            f"Its currency is {balance.currency}, the shop's is {currency}: set how much one "
            f"{balance.currency} is worth with /panel rate {panel.name} RATE, or its services "
            "are not sold."
        )
    await progress.edit_text("\n".join(lines))


async def set_rate(message: Message, services: Services, name: str, text: str) -> None:
    rate = read_amount(text)
    if isinstance(rate, str):
        await message.answer(f"{rate}\n{PANEL_USAGE}")
        return
    panel = services.catalog.panels.named(name)
    currency = await services.catalog.currency()
    if panel.name == MAIN:
        raise PanelProblem(f"The main panel's currency is the shop's ({currency}): no rate.")
    result = await services.catalog.set_panel_rate(panel.name, rate)
    await message.answer(
        f"✅ 1 {panel.record.currency or 'unit'} of panel {panel.name} = {rate} {currency}. "
        f"{changes_line(result)}"
    )


def parse_ids(text: str) -> list[int] | None:
    """'101', '1,2,5-9' -> the ids in order; None when it is not such a list (or too long)."""
    ids: list[int] = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        first, last = whole_number(low), whole_number(high) if dash else whole_number(low)
        if first is None or last is None or last < first or last - first >= MAX_IMPORT:
            return None
        ids.extend(range(first, last + 1))
        if len(ids) > MAX_IMPORT:
            return None
    return ids


async def import_command(message: Message, command: CommandObject, services: Services) -> None:
    args = (command.args or "").strip()
    first, _, rest = args.partition(" ")
    products = first.lower() in PRODUCT_WORDS
    words = (rest if products else args).split(maxsplit=2)
    ids = parse_ids(words[1]) if len(words) >= 2 else None
    if ids is None:
        wrong = f"⚠️ {html.quote(words[1][:30])} is not a list of ids. " if len(words) >= 2 else ""
        await message.answer(wrong + IMPORT_USAGE)
        return
    category = words[2].strip() if len(words) == 3 else None
    if category is not None and (len(category) > 100 or any(map(is_control, category))):
        await message.answer(f"⚠️ A category name is up to 100 plain characters. {IMPORT_USAGE}")
        return
    try:
        if products:
            imported = await services.products.import_products(words[0], ids, category)
        else:
            imported = await services.catalog.import_services(words[0], ids, category)
    except PanelProblem as problem:
        await message.answer(f"⚠️ {html.quote(str(problem))}\n{IMPORT_USAGE}")
        return
    panel = services.catalog.panels.named(words[0])
    one, many = ("product", "products") if products else ("service", "services")
    lines = []
    if imported.created:
        pairs = ", ".join(f"{panel.name}:{p} → {s}" for p, s in imported.created.items())
        lines.append(f"✅ Imported {counted(len(imported.created), one, many)}: {pairs}")
    if imported.already:
        pairs = ", ".join(f"{panel.name}:{p} ({one} {s})" for p, s in imported.already.items())
        lines.append(f"Already sold: {pairs}")
    if imported.unknown:
        listed = ", ".join(str(i) for i in imported.unknown[:50])
        lines.append(f"⚠️ Not listed by {panel.name} (try /sync): {listed}")
    currency = await services.catalog.currency()
    if imported.created and Catalog.conversion(panel, currency) is None:
        lines.append(f"⚠️ Not sold until /panel rate {panel.name} RATE is set.")
    if imported.created and not panel.record.enabled:
        lines.append(f"⚠️ Panel {panel.name} is off: not sold until /panel on {panel.name}.")
    await message.answer("\n".join(lines))


async def own_text_command(message: Message, command: CommandObject, services: Services) -> None:
    """/rename or /describe: a service's own name or description ('-': the panel's again)."""
    renaming = command.command == "rename"
    limit, usage = (100, RENAME_USAGE) if renaming else (1000, DESCRIBE_USAGE)
    words = (command.args or "").split(maxsplit=1)
    service_id = whole_number(words[0]) if words else None
    text = words[1].strip() if len(words) == 2 else ""
    if service_id is None or not text:
        await message.answer(usage)
        return
    if await services.catalog.service(service_id) is None:
        await message.answer(f"⚠️ There is no service {service_id}. {usage}")
        return
    if len(text) > limit or any(is_control(ch) for ch in text if ch != "\n"):
        await message.answer(f"⚠️ Up to {limit} plain characters. {usage}")
        return
    own = None if text == "-" else text
    if renaming:
        await services.catalog.rename(service_id, own)
        service = await services.catalog.service(service_id)
        assert service is not None
        done = f"is now called «{html.quote(service.name)}»"
    else:
        await services.catalog.describe(service_id, own)
        done = "now shows " + ("the panel's description" if own is None else "your description")
    await message.answer(f"✅ Service {service_id} {done}.")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(panels_command, Command("panels"))
    router.message.register(panel_command, Command("panel"))
    router.message.register(import_command, Command("import"))
    router.message.register(own_text_command, Command("rename", "describe"))
    return router
