"""Invitations: the person's link and what it earned; the line a /start with a link adds."""

from __future__ import annotations

from aiogram import Bot, F, Router, html
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link

from handlers import keyboards
from handlers.callbacks import MenuCb
from handlers.common import show
from shop.formatting import format_money, format_number, plain_number
from shop.i18n import _
from shop.referrals import ReferralOutcome
from shop.services import Services
from storage.users import User


def referral_note(outcome: ReferralOutcome | None) -> str:
    """A line under the greeting when /start carried an invitation; "" otherwise."""
    if outcome is None:
        return ""
    texts = {
        ReferralOutcome.TIED: _("🤝 You joined through a friend's invitation. Welcome!"),
        ReferralOutcome.NOT_NEW: _(
            "Invitation links work only for people who are new to this bot."
        ),
        ReferralOutcome.SELF: _(
            "That is your own invitation link: share it with friends instead (see /referral)."
        ),
        ReferralOutcome.UNKNOWN: _("This invitation link is not valid."),
    }
    return texts[outcome]


async def show_referral(
    target: Message | CallbackQuery, services: Services, person: User, bot: Bot
) -> None:
    stats = await services.referrals.stats(person.id)
    link = await create_start_link(bot, stats.payload)
    currency = await services.catalog.currency()
    text = _(
        "🤝 <b>Invite friends</b>\n\n"
        "Share your link. When someone new opens the bot through it, you earn {percent}% "
        "of every top-up they pay in Stars.\n\n"
        "Your link: {link}\nPeople invited: {count}\nEarned: {earned}"
    ).format(
        percent=plain_number(stats.percent),
        link=html.quote(link),
        count=format_number(stats.referred),
        earned=format_money(stats.earned, currency),
    )
    await show(target, text, keyboards.back_to_balance())


async def referral_command(
    message: Message, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    await state.clear()
    await show_referral(message, services, person, bot)


async def referral_button(
    callback: CallbackQuery, state: FSMContext, services: Services, person: User, bot: Bot
) -> None:
    await state.clear()
    await show_referral(callback, services, person, bot)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(referral_command, Command("referral"))
    router.callback_query.register(referral_button, MenuCb.filter(F.to == "referral"))
    return router
