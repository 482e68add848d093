"""Prices and visibility: /markup (global, per category, per service), /hide and /show."""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import ambiguity, is_ambiguous
from shop.catalog import Catalog
from shop.pricing import parse_markup_percent
from shop.services import Services

MARKUP_USAGE = (
    "Usage: /markup PERCENT (everything), /markup PERCENT category NAME, "
    "/markup PERCENT service ID, /markup reset category NAME | service ID; "
    "/markup alone lists the rules. PERCENT from 0 to 10000."
)
HIDE_USAGE = "Usage: /hide SERVICE_ID or /hide category NAME (and the same with /show)"


def not_a_percentage(text: str) -> str:
    percent = text.removesuffix("%")
    if is_ambiguous(percent):
        return ambiguity(percent)
    return f"⚠️ {html.quote(text[:30])} is not a percentage."


async def markup_listing(catalog: Catalog) -> str:
    lines = [f"💹 Markup for everything: <b>{await catalog.markup_percent()}%</b>"]
    rules = await catalog.markup_rules()
    lines += [f"  {r.scope} {html.quote(r.name)} ({r.target}): {r.percent}%" for r in rules]
    if not rules:
        lines.append("No category or service rules.")
    return "\n".join(lines) + "\n\n" + MARKUP_USAGE


async def markup_target(catalog: Catalog, scope: str, name: str) -> tuple[int, str] | None:
    if scope == "service":
        service = await catalog.service(int(name)) if name.isdigit() and len(name) < 12 else None
        return None if service is None else (service.id, service.name)
    category = await catalog.category_by_name(name)
    return None if category is None else (category.id, category.name)


async def markup(message: Message, command: CommandObject, services: Services) -> None:
    catalog = services.catalog
    args = (command.args or "").split(maxsplit=2)
    if not args:
        await message.answer(await markup_listing(catalog))
        return
    if len(args) == 1:
        percent = parse_markup_percent(args[0])
        if percent is None:
            await message.answer(f"{not_a_percentage(args[0])} {MARKUP_USAGE}")
            return
        await catalog.set_markup_percent(percent)
        await message.answer(f"✅ Markup set to {percent}% for everything without its own rule.")
        return
    if len(args) < 3 or args[1] not in {"category", "service"}:
        await message.answer(MARKUP_USAGE)
        return
    scope = args[1]
    target = await markup_target(catalog, scope, args[2].strip())
    if target is None:
        await message.answer(f"⚠️ No {scope} {html.quote(args[2][:60])}. {MARKUP_USAGE}")
        return
    if args[0] == "reset":
        removed = await catalog.remove_markup_rule(scope, target[0])
        await message.answer(
            f"✅ Rule for {scope} {html.quote(target[1])} removed."
            if removed
            else "There was no such rule."
        )
        return
    percent = parse_markup_percent(args[0])
    if percent is None:
        await message.answer(f"{not_a_percentage(args[0])} {MARKUP_USAGE}")
        return
    await catalog.set_markup_rule(scope, target[0], percent)
    await message.answer(f"✅ Markup for {scope} {html.quote(target[1])} set to {percent}%.")


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


async def hide(message: Message, command: CommandObject, services: Services) -> None:
    await hide_or_show(message, command, services.catalog, True)


async def show_again(message: Message, command: CommandObject, services: Services) -> None:
    await hide_or_show(message, command, services.catalog, False)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(markup, Command("markup"))
    router.message.register(hide, Command("hide"))
    router.message.register(show_again, Command("show"))
    return router
