"""Promo codes, the owner's side: `/promo create|list|off`.

Routed here for admins only; for anyone else (and for an admin's `/promo CODE`) it is a promo
code to redeem, handled by handlers/customer/promos.py.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from aiogram import Router, html
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message, TelegramObject

from handlers.admin.common import read_amount
from shop.formatting import format_money, format_number
from shop.promos import MAX_DAYS, MAX_USES, Promos, normalize_code, parse_whole
from shop.services import Services
from storage.promos import PromoCode
from storage.users import User

PROMO_USAGE = (
    "Usage: /promo create CODE AMOUNT USES [DAYS], e.g. /promo create SPRING 2.50 100 30\n"
    "/promo list · /promo off CODE · /promo CODE redeems a code yourself.\n"
    f"CODE: 3 to 32 letters, digits, _ or - (any case). USES: 1 to {format_number(MAX_USES)}. "
    f"DAYS: 1 to {format_number(MAX_DAYS)} (without: no end)."
)
PROMO_SUBCOMMANDS = frozenset({"create", "list", "off"})


class PromoAdminCommand(Filter):
    """/promo alone, or /promo create|list|off ... (needs the Command filter's `command`)."""

    async def __call__(
        self, event: TelegramObject, command: CommandObject
    ) -> bool | dict[str, Any]:
        parts = (command.args or "").split()
        if not parts:
            return {"promo_args": []}
        if parts[0].lower() in PROMO_SUBCOMMANDS:
            return {"promo_args": parts}
        return False


# ---- promo codes -------------------------------------------------------------------------------


def promo_line(promo: PromoCode, currency: str) -> str:
    if not promo.active:
        state = "off"
    elif promo.expires_at is not None and promo.expires_at <= time.time():
        state = "expired"
    elif promo.uses >= promo.max_uses:
        state = "used up"
    else:
        state = "on"
    until = (
        "no end"
        if promo.expires_at is None
        else "until "
        + dt.datetime.fromtimestamp(promo.expires_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    return (
        f"<code>{html.quote(promo.code)}</code> · {format_money(promo.amount, currency)} · "
        f"{format_number(promo.uses)}/{format_number(promo.max_uses)} used · {until} · {state}"
    )


async def promo_admin(
    message: Message,
    promo_args: list[str],
    services: Services,
    person: User,
) -> None:
    promos = services.promos
    if not promo_args:
        await message.answer(PROMO_USAGE)
        return
    action, rest = promo_args[0].lower(), promo_args[1:]
    currency = await services.payments.currency()
    if action == "list":
        codes = await promos.newest()
        if not codes:
            await message.answer(f"No promo codes yet.\n{PROMO_USAGE}")
            return
        lines = [f"<b>Promo codes</b> ({len(codes)}, newest first):"]
        lines += [promo_line(code, currency) for code in codes]
        await message.answer("\n".join(lines))
        return
    if action == "off":
        code = normalize_code(rest[0]) if len(rest) == 1 else None
        if code is None:
            await message.answer(f"⚠️ Name one code. {PROMO_USAGE}")
            return
        if not await promos.switch_off(code):
            await message.answer(f"⚠️ There is no promo code {html.quote(code)}.")
            return
        await message.answer(f"✅ Promo code {html.quote(code)} is off: it can no longer be used.")
        return
    await create_promo(message, rest, promos, currency, person)


async def create_promo(
    message: Message, args: list[str], promos: Promos, currency: str, person: User
) -> None:
    if len(args) not in (3, 4):
        await message.answer(PROMO_USAGE)
        return
    code = normalize_code(args[0])
    if code is None:
        await message.answer(f"⚠️ {html.quote(args[0][:40])} is not a valid code. {PROMO_USAGE}")
        return
    amount = read_amount(args[1])
    if isinstance(amount, str):
        await message.answer(f"{amount}\n{PROMO_USAGE}")
        return
    uses = parse_whole(args[2], 1, MAX_USES)
    if uses is None:
        await message.answer(f"⚠️ USES must be a whole number from 1 to {format_number(MAX_USES)}.")
        return
    days = None
    if len(args) == 4:
        days = parse_whole(args[3], 1, MAX_DAYS)
        if days is None:
            await message.answer(
                f"⚠️ DAYS must be a whole number from 1 to {format_number(MAX_DAYS)}."
            )
            return
    if not await promos.create(code, amount, uses, days, person.id):
        await message.answer(f"⚠️ The promo code {html.quote(code)} exists already.")
        return
    lasting = f" for {days} days" if days else ""
    await message.answer(
        f"✅ Promo code <code>{html.quote(code)}</code> created: "
        f"{format_money(amount, currency)} each, {format_number(uses)} uses{lasting}."
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(promo_admin, Command("promo"), PromoAdminCommand())
    return router
