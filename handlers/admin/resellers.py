"""Resellers (the API v2, reseller_api/): /api_grant, /api_revoke, /reseller (a person's
discount), /resellers (their keys' last use and this month's spend)."""

from __future__ import annotations

import datetime as dt

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import counted, takes_no_arguments
from shop.formatting import format_money, plain_number
from shop.resellers import AccessMode, parse_discount
from shop.services import Services
from storage.users import User

GRANT_USAGE = "Usage: /api_grant USER_ID (or @username)"
REVOKE_USAGE = "Usage: /api_revoke USER_ID (or @username)"
RESELLER_USAGE = (
    "Usage: /reseller USER_ID PERCENT (a discount on the shop's price, 0 to 100, e.g. "
    "/reseller 123456789 10; 0 takes it away) or /reseller USER_ID to see it"
)
RESELLERS_USAGE = "Usage: /resellers"


def who(user: User) -> str:
    username = f" @{user.username}" if user.username else ""
    return f"{html.quote(user.full_name or '—')}{html.quote(username)} ({user.id})"


def when(moment: int | None) -> str:
    if moment is None:
        return "never"
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def mode_note(services: Services) -> str:
    mode = services.resellers.mode
    if mode is AccessMode.OFF:
        return " RESELLER_API is off: nobody can use the API until it is approved or open."
    if mode is AccessMode.OPEN:
        return " (RESELLER_API is open: anyone may create a key anyway.)"
    return ""


async def find(message: Message, services: Services, args: str, usage: str) -> User | None:
    user = await services.console.find_user(args.strip()) if args.strip() else None
    if user is None:
        await message.answer(f"⚠️ No such user. {usage}")
    return user


async def grant(message: Message, command: CommandObject, services: Services) -> None:
    user = await find(message, services, command.args or "", GRANT_USAGE)
    if user is None:
        return
    await services.resellers.grant(user.id, True)
    await message.answer(f"✅ {who(user)} may create an API key with /api.{mode_note(services)}")


async def revoke(message: Message, command: CommandObject, services: Services) -> None:
    user = await find(message, services, command.args or "", REVOKE_USAGE)
    if user is None:
        return
    await services.resellers.grant(user.id, False)
    had_key = await services.resellers.revoke_key(user.id)
    key = " Their key stopped at once." if had_key else " They had no key."
    await message.answer(f"✅ {who(user)} may no longer use the API.{key}{mode_note(services)}")


async def reseller(message: Message, command: CommandObject, services: Services) -> None:
    parts = (command.args or "").split()
    if not parts or len(parts) > 2:
        await message.answer(f"⚠️ {RESELLER_USAGE}")
        return
    user = await find(message, services, parts[0], RESELLER_USAGE)
    if user is None:
        return
    if len(parts) == 1:
        percent = await services.resellers.discounts.percent(user.id)
        shown = f"{plain_number(percent)}%" if percent else "none"
        await message.answer(f"{who(user)}: discount {shown}.")
        return
    asked = parse_discount(parts[1])
    if asked is None:
        await message.answer(f"⚠️ {html.quote(parts[1][:20])} is not a percentage. {RESELLER_USAGE}")
        return
    await services.resellers.set_discount(user.id, asked)
    if not asked:
        await message.answer(f"✅ {who(user)} pays the shop's price again (no discount).")
        return
    await message.answer(
        f"✅ {who(user)} gets {plain_number(asked)}% off the shop's price, in the chat and "
        "the API alike; a price never falls below what the panel charges the shop."
    )


async def resellers(message: Message, command: CommandObject, services: Services) -> None:
    if not await takes_no_arguments(message, command, RESELLERS_USAGE):
        return
    summaries = await services.resellers.summaries()
    mode = services.resellers.mode.value
    if not summaries:
        await message.answer(
            f"No resellers yet (RESELLER_API={mode}). A person creates a key with /api; "
            "/api_grant ID approves one, /reseller ID PERCENT gives a discount."
        )
        return
    currency = await services.catalog.currency()
    lines = [f"🔌 <b>Resellers</b> (RESELLER_API={mode}), this month:"]
    for item in summaries:
        username = f" @{item.username}" if item.username else ""
        flags = []
        if item.granted:
            flags.append("granted")
        if item.discount:
            flags.append(f"{plain_number(item.discount)}% off")
        key = f"key {html.quote(item.key_hint)}" if item.key_hint else "no key"
        lines.append(
            f"• {html.quote((item.full_name or '—')[:30])}{html.quote(username[:33])} "
            f"({item.user_id}) · "
            f"{key} · last used {when(item.last_used_at)}"
            + (f" · {', '.join(flags)}" if flags else "")
            + f"\n  spent {format_money(item.spent, currency)} · "
            f"{counted(item.api_orders, 'API order', 'API orders')}"
        )
    await message.answer("\n".join(lines))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(grant, Command("api_grant"))
    router.message.register(revoke, Command("api_revoke"))
    router.message.register(reseller, Command("reseller"))
    router.message.register(resellers, Command("resellers"))
    return router
