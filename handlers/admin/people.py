"""People: /user (a profile with buttons), /ban, /unban, /credit, /debit."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.admin.common import read_amount
from handlers.callbacks import AdminUserCb
from handlers.keyboards import button
from handlers.states import AdminInput
from shop.console import ConsoleError
from shop.formatting import format_money
from shop.numbers import split_leading_number
from shop.services import Services
from storage.errors import DuplicateEntry, InsufficientFunds, NotFound
from storage.money import from_micros
from storage.users import User

USER_USAGE = "Usage: /user USER_ID or /user @username"
CREDIT_USAGE = "Usage: /credit USER_ID AMOUNT [note], e.g. /credit 123456789 10.50 bonus"
DEBIT_USAGE = "Usage: /debit USER_ID AMOUNT [note], e.g. /debit 123456789 2.00 correction"


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


async def profile_text(services: Services, user: User) -> str:
    currency = await services.catalog.currency()
    profile = await services.console.profile(user)
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
    orders = [
        f"  #{o.id} {o.stage.value} · {html.quote(o.service_name[:40])} · "
        f"{format_money(o.price, currency)}"
        for o in profile.orders
    ]
    changes = [
        f"  {'+' if e.amount > 0 else ''}{format_money(e.amount, currency)} {e.kind} "
        f"{html.quote(e.reference[:30])}"
        for e in profile.ledger
    ]
    for title, rows in (("Last orders:", orders), ("Last balance changes:", changes)):
        if rows:
            lines += [title, *rows]
    return "\n".join(lines)


async def user_command(message: Message, command: CommandObject, services: Services) -> None:
    user = await services.console.find_user(command.args or "")
    if user is None:
        await message.answer(f"⚠️ No such user. {USER_USAGE}")
        return
    await message.answer(await profile_text(services, user), reply_markup=profile_keyboard(user))


async def ban_or_unban(
    message: Message, command: CommandObject, services: Services, banned: bool
) -> None:
    verb = "ban" if banned else "unban"
    user = await services.console.find_user(command.args or "")
    if user is None:
        await message.answer(f"⚠️ No such user. Usage: /{verb} USER_ID or /{verb} @username")
        return
    try:
        await services.console.set_banned(user, banned)
    except ConsoleError as error:
        await message.answer(f"⚠️ {html.quote(str(error))}")
        return
    state = "banned: they get one polite line for anything they send" if banned else "unbanned"
    await message.answer(f"✅ {html.quote(user.full_name)} ({user.id}) is {state}.")


async def ban(message: Message, command: CommandObject, services: Services) -> None:
    await ban_or_unban(message, command, services, True)


async def unban(message: Message, command: CommandObject, services: Services) -> None:
    await ban_or_unban(message, command, services, False)


async def user_buttons(
    callback: CallbackQuery,
    callback_data: AdminUserCb,
    services: Services,
    state: FSMContext,
    callback_answer: CallbackAnswer,
) -> None:
    console = services.console
    user = await console.find_user(str(callback_data.id))
    if user is None or not isinstance(callback.message, Message):
        callback_answer.text = "This user is gone."
        return
    if callback_data.action in {"ban", "unban"}:
        try:
            await console.set_banned(user, callback_data.action == "ban")
        except ConsoleError as error:
            callback_answer.text = str(error)
            return
        callback_answer.text = f"Done: {callback_data.action}ned."
        refreshed = await console.find_user(str(user.id))
        if refreshed is not None:
            with contextlib.suppress(Exception):
                await callback.message.edit_reply_markup(reply_markup=profile_keyboard(refreshed))
        return
    await state.set_state(AdminInput.amount)
    await state.update_data(admin_action=callback_data.action, admin_user=user.id)
    await callback.message.answer(
        f"Send the amount to {callback_data.action} for {html.quote(user.full_name)} ({user.id}), "
        "optionally followed by a note, e.g. <code>10.50 bonus</code>. /cancel to stop."
    )


async def change_balance(
    message: Message, services: Services, user: User, amount: Decimal, note: str
) -> None:
    """Credit (amount > 0) or debit (< 0) once per admin message; the reply says how it went."""
    currency = await services.catalog.currency()
    reference = f"admin:{message.chat.id}:{message.message_id}"
    try:
        balance = await services.credits.adjust_balance(user.id, amount, reference, note, currency)
    except InsufficientFunds as error:
        have = format_money(from_micros(error.balance_micros), currency)
        await message.answer(f"⚠️ Cannot debit more than the balance ({have}).")
        return
    except DuplicateEntry:
        await message.answer("This command was already applied.")
        return
    except NotFound:
        await message.answer(f"⚠️ No user {user.id}.")
        return
    verb = "Credited" if amount > 0 else "Debited"
    await message.answer(
        f"✅ {verb} {format_money(abs(amount), currency)} for {html.quote(user.full_name)} "
        f"({user.id}). Balance now: {format_money(balance, currency)}."
    )


async def credit_or_debit(
    message: Message, command: CommandObject, services: Services, sign: int
) -> None:
    usage = CREDIT_USAGE if sign > 0 else DEBIT_USAGE
    who, _, rest = (command.args or "").strip().partition(" ")
    amount_text, note = split_leading_number(rest)
    if not who or not amount_text:
        await message.answer(usage)
        return
    amount = read_amount(amount_text)
    if isinstance(amount, str):
        await message.answer(f"{amount}\n{usage}")
        return
    user = await services.console.find_user(who)
    if user is None:
        await message.answer(f"⚠️ No user {html.quote(who[:40])} has used the bot. {usage}")
        return
    await change_balance(message, services, user, amount * sign, note[:200])


async def credit(message: Message, command: CommandObject, services: Services) -> None:
    await credit_or_debit(message, command, services, +1)


async def debit(message: Message, command: CommandObject, services: Services) -> None:
    await credit_or_debit(message, command, services, -1)


async def amount_for_user(message: Message, state: FSMContext, services: Services) -> None:
    """The amount typed after a profile's ➕ Credit or ➖ Debit."""
    data = await state.get_data()
    amount_text, note = split_leading_number(message.text or "")
    amount = read_amount(amount_text)
    if isinstance(amount, str):
        await message.answer(f"{amount} Send it again, or /cancel.")
        return
    await state.clear()
    user = await services.console.find_user(str(data.get("admin_user", "")))
    if user is None:
        await message.answer("⚠️ This user is gone.")
        return
    sign = 1 if data.get("admin_action") == "credit" else -1
    await change_balance(message, services, user, amount * sign, note[:200])


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(user_command, Command("user"))
    router.message.register(ban, Command("ban"))
    router.message.register(unban, Command("unban"))
    router.callback_query.register(user_buttons, AdminUserCb.filter())
    router.message.register(credit, Command("credit"))
    router.message.register(debit, Command("debit"))
    router.message.register(amount_for_user, AdminInput.amount, F.text, ~F.text.startswith("/"))
    return router
