"""The balance and its last movements, in words."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers import keyboards
from handlers.callbacks import MenuCb
from handlers.common import show
from shop.formatting import format_money
from shop.i18n import _
from shop.order_texts import movement
from shop.services import Services
from storage.ledger import LedgerEntry
from storage.users import User

HISTORY_ROWS = 10


def balance_text(
    balance_now: str, entries: list[LedgerEntry], currency: str, *, several_methods: bool = False
) -> str:
    lines = [_("💰 <b>Your balance: {balance}</b>").format(balance=balance_now)]
    if entries:
        lines += ["", _("Last movements:")]
        for entry in entries:
            sign = "+" if entry.amount > 0 else "−"
            amount = format_money(abs(entry.amount), currency)
            lines.append(f"{sign}{amount} · {movement(entry)}")
    else:
        lines += ["", _("No movements yet.")]
    if several_methods:
        lines += ["", _("Choose how to top up, or redeem a promo code:")]
    else:
        lines += ["", _("Top up with Telegram Stars, or redeem a promo code:")]
    return "\n".join(lines)


async def show_balance(target: Message | CallbackQuery, services: Services, person: User) -> None:
    currency = await services.catalog.currency()
    balance = format_money(await services.people.balance(person.id), currency)
    entries = await services.people.history(person.id, HISTORY_ROWS)
    methods = await services.topups.offered()
    text = balance_text(balance, entries, currency, several_methods=bool(methods))
    await show(target, text, keyboards.balance_menu(methods))


async def balance_command(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    await state.clear()
    await show_balance(message, services, person)


async def balance_button(
    callback: CallbackQuery, state: FSMContext, services: Services, person: User
) -> None:
    await state.clear()
    await show_balance(callback, services, person)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(balance_command, Command("balance"))
    router.callback_query.register(balance_button, MenuCb.filter(F.to == "balance"))
    return router
