"""/reverse REF: an admin takes a top-up back. The command shows what it would take (from whom,
their balance now) with ↩️ Reverse / ✖️ Keep it; the press does it, once (shop/reversals.py)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.callbacks import ReverseCb
from handlers.common import show
from handlers.keyboards import button
from shop.formatting import format_money
from shop.reversals import Plan, ReversalRefused, Reversed, parse_reference
from shop.services import Services
from storage.users import User

REVERSE_USAGE = (
    "Usage: /reverse REF, where REF names the top-up as admins see it: a request's reference "
    "as /payments lists it (CP..., SMM..., PAY...), a bank transfer's number (#5), or a Stars "
    "payment's charge id. You see what it takes back before anything is done."
)


def takes(plan: Plan, balances: Mapping[int, Decimal], currency: str, balance: str) -> str:
    """ "2.00 USD from user 7 (balance 9.00 USD)", for each person the top-up credited."""
    return "; ".join(
        f"{format_money(plan.owed(user_id), currency)} from user {user_id} "
        f"({balance} {format_money(balances[user_id], currency)})"
        for user_id in plan.user_ids
    )


def confirm_markup(plan: Plan, currency: str) -> InlineKeyboardMarkup:
    target = plan.target
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(
                    f"↩️ Reverse {format_money(plan.amount, currency)}",
                    ReverseCb(action="go", kind=target.kind, id=target.id),
                ),
                button("✖️ Keep it", ReverseCb(action="keep", kind=target.kind, id=target.id)),
            ]
        ]
    )


async def reverse_command(message: Message, command: CommandObject, services: Services) -> None:
    named = (command.args or "").strip()
    if not named or parse_reference(named) is None:
        await message.answer(REVERSE_USAGE)
        return
    preview = await services.reversals.preview(named)
    if isinstance(preview, ReversalRefused):
        await message.answer(f"⚠️ Not reversible: {preview.reason}.")
        return
    currency = await services.catalog.currency()
    lines = [
        f"↩️ <b>Reverse {preview.what}?</b>",
        f"It takes back {takes(preview, preview.balances, currency, 'balance')},",
        "and the inviter's reward for it, if one was paid. The person is told.",
    ]
    await message.answer("\n".join(lines), reply_markup=confirm_markup(preview, currency))


async def reverse_pressed(
    callback: CallbackQuery,
    callback_data: ReverseCb,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.action != "go":
        await show(callback, "✖️ Kept: nothing was changed.")
        return
    outcome = await services.reversals.reverse(
        callback_data.kind, callback_data.id, person.id, person.full_name
    )
    if isinstance(outcome, ReversalRefused):
        callback_answer.text = f"Not reversed: {outcome.reason}."[:200]
        callback_answer.show_alert = True
        await show(callback, f"⚠️ Not reversed: {outcome.reason}.")
        return
    await show(callback, reversed_text(outcome, await services.catalog.currency()))
    callback_answer.text = "✅ Reversed."


def reversed_text(outcome: Reversed, currency: str) -> str:
    plan = outcome.plan
    text = (
        f"✅ Reversed {plan.what}: took back "
        f"{takes(plan, outcome.balances, currency, 'balance now')}"
    )
    if outcome.referral_taken:
        text += (
            f". {format_money(outcome.referral_taken, currency)} of the inviter's reward was "
            "taken back too"
        )
    return text + ". They were told."


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(reverse_command, Command("reverse"))
    router.callback_query.register(reverse_pressed, ReverseCb.filter())
    return router
