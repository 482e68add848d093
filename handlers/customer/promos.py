"""Promo codes: `/promo CODE`, or the balance screen's button and the code typed."""

from __future__ import annotations

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from handlers import keyboards
from handlers.callbacks import MenuCb
from handlers.common import NOT_A_COMMAND, show
from handlers.states import PromoInput
from shop.formatting import format_money
from shop.i18n import _
from shop.promos import PromoProblem, PromoRefused, Redeemed, normalize_code
from shop.services import Services
from storage.users import User


def promo_prompt() -> str:
    return _("🎟 Send your promo code:")


def promo_refusal(problem: PromoProblem, code: str) -> str:
    texts = {
        PromoProblem.BAD_FORMAT: _(
            "⚠️ That is not a promo code: a code is 3 to 32 letters, digits, _ or -. "
            "Check it and send it again."
        ),
        PromoProblem.UNKNOWN: _("⚠️ There is no promo code {code}. Check it and send it again."),
        PromoProblem.OFF: _("⚠️ The promo code {code} is no longer active."),
        PromoProblem.EXPIRED: _("⚠️ The promo code {code} has expired."),
        PromoProblem.USED_UP: _("⚠️ The promo code {code} has been used up."),
        PromoProblem.ALREADY_USED: _("You have already used the promo code {code}."),
    }
    return texts[problem].format(code=f"<b>{html.quote(code)}</b>")


async def redeem(
    message: Message, state: FSMContext, services: Services, person: User, text: str
) -> None:
    result = await services.promos.redeem(person.id, text)
    if isinstance(result, PromoRefused):
        code = normalize_code(text) or text.strip()[:32]
        # The person stays at the step: they can send another code or cancel.
        await state.set_state(PromoInput.code)
        await message.answer(
            promo_refusal(result.problem, code), reply_markup=keyboards.cancel_to_balance()
        )
        return
    assert isinstance(result, Redeemed)
    await state.clear()
    currency = await services.catalog.currency()
    await message.answer(
        _("🎟 Promo code {code} applied: {amount} added to your balance.\nBalance now: {balance}.")
        .format(
            code=f"<b>{html.quote(result.code)}</b>",
            amount=format_money(result.amount, currency),
            balance=format_money(result.balance, currency),
        ),
        reply_markup=keyboards.back_to_balance(),
    )  # fmt: skip


async def promo_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    services: Services,
    person: User,
) -> None:
    if not command.args:
        await state.set_state(PromoInput.code)
        await message.answer(promo_prompt(), reply_markup=keyboards.cancel_to_balance())
        return
    await redeem(message, state, services, person, command.args)


async def promo_button(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(PromoInput.code)
    await show(callback, promo_prompt(), keyboards.cancel_to_balance())


async def promo_input(
    message: Message, state: FSMContext, services: Services, person: User
) -> None:
    await redeem(message, state, services, person, message.text or "")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(promo_command, Command("promo"))
    router.callback_query.register(promo_button, MenuCb.filter(F.to == "promo"))
    router.message.register(promo_input, PromoInput.code, NOT_A_COMMAND)
    return router
