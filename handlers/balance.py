"""The balance and its last movements, in words."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.catalog import Catalog
from bot.formatting import format_money
from bot.shop import Shop
from handlers import keyboards
from handlers.callbacks import MenuCb
from handlers.common import answer_quietly, show
from storage.ledger import LedgerEntry
from storage.users import User

router = Router(name=__name__)
HISTORY_ROWS = 10


def describe(entry: LedgerEntry) -> str:
    what = {
        "credit": _("Top-up"),
        "debit": _("Adjustment"),
        "order": _("Order #{ref}"),
        "refund": _("Refund for order #{ref}"),
        "topup": _("Top-up in Telegram Stars"),
        "topup_refund": _("Stars payment refunded"),
        "topup_refund_reverted": _("Stars refund cancelled"),
        "promo": _("Promo code"),
        "referral": _("Invitation reward"),
        "referral_reversed": _("Invitation reward taken back (refund)"),
        "referral_restored": _("Invitation reward returned"),
    }.get(entry.kind, entry.kind)
    return what.format(ref=html.quote(entry.reference))


def balance_text(balance_now: str, entries: list[LedgerEntry], currency: str) -> str:
    lines = [_("💰 <b>Your balance: {balance}</b>").format(balance=balance_now)]
    if entries:
        lines += ["", _("Last movements:")]
        for entry in entries:
            sign = "+" if entry.amount > 0 else "−"
            amount = format_money(abs(entry.amount), currency)
            lines.append(f"{sign}{amount} · {describe(entry)}")
    else:
        lines += ["", _("No movements yet.")]
    lines += ["", _("Top up with Telegram Stars, or redeem a promo code:")]
    return "\n".join(lines)


async def show_balance(
    target: Message | CallbackQuery, shop: Shop, catalog: Catalog, person: User
) -> None:
    currency = await catalog.currency()
    balance = format_money(await shop.ledger.balance(person.id), currency)
    entries = await shop.ledger.history(person.id, HISTORY_ROWS)
    await show(target, balance_text(balance, entries, currency), keyboards.balance_menu())


@router.message(Command("balance"))
async def balance_command(
    message: Message, state: FSMContext, shop: Shop, catalog: Catalog, person: User
) -> None:
    await state.clear()
    await show_balance(message, shop, catalog, person)


@router.callback_query(MenuCb.filter(F.to == "balance"))
async def balance_button(
    callback: CallbackQuery, state: FSMContext, shop: Shop, catalog: Catalog, person: User
) -> None:
    await state.clear()
    await show_balance(callback, shop, catalog, person)
    await answer_quietly(callback)
