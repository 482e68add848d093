"""The command menu Telegram shows: every person's commands, translated, and the admins' own."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from shop.i18n import DEFAULT_LANGUAGE, N_, available_languages, gettext

logger = logging.getLogger(__name__)

# Descriptions are translated per language in set_commands (N_ only marks them for the catalogs).
USER_COMMANDS = [
    ("start", N_("Main menu")),
    ("services", N_("Browse and order services")),
    ("search", N_("Find a service")),
    ("products", N_("Digital products")),
    ("orders", N_("My orders")),
    ("balance", N_("My balance")),
    ("topup", N_("Top up with Telegram Stars")),
    ("promo", N_("Redeem a promo code")),
    ("referral", N_("Invite friends, earn a share")),
    ("help", N_("How it works")),
    ("language", N_("Choose your language")),
    ("cancel", N_("Cancel the current step")),
]
# In the menu only when the shop sells through its API (RESELLER_API approved or open).
API_COMMAND = ("api", N_("API key for resellers"))
ADMIN_COMMANDS = [
    ("credit", "Credit a user's balance"),
    ("debit", "Debit a user's balance"),
    ("markup", "Show or set the markup"),
    ("health", "The main panel: does it answer, its balance"),
    ("sync", "Refresh the catalog now"),
    ("panels", "The panels: state, balance, errors"),
    ("panel", "Add, switch, rate or remove a panel"),
    ("import", "Sell services (or products) of a picked panel"),
    ("route", "Which panels a service (or product) is sent to"),
    ("rename", "The shop's own name of a service"),
    ("describe", "The shop's own service description"),
    ("order", "Full details of an order"),
    ("unconfirmed", "Orders waiting for a check"),
    ("resolve", "Settle unconfirmed orders"),
    ("stars_rate", "Show or set the Stars rate"),
    ("refund_stars", "Refund a Stars payment"),
    ("payments", "Top-ups to decide, latest payments"),
    ("payrate", "Exchange rates for top-ups"),
    ("reverse", "Take back a top-up"),
    ("promo", "Promo codes: create, list, off"),
    ("resellers", "Resellers: keys, last use, spend"),
    ("reseller", "A reseller's discount"),
    ("api_grant", "Let a person use the API"),
    ("api_revoke", "Take the API back from a person"),
    ("admin", "Dashboard"),
    ("user", "A user's profile"),
    ("ban", "Ban a user"),
    ("unban", "Unban a user"),
    ("orders_of", "A user's orders"),
    ("refund", "Refund an order by hand"),
    ("hide", "Hide a service or category"),
    ("show", "Show a hidden service or category"),
    ("broadcast", "Message everyone"),
    ("alerts", "Panel balance alert levels"),
    ("export", "CSV of orders, users or ledger"),
    ("backup", "A copy of the database"),
]


async def set_commands(bot: Bot, admin_ids: Sequence[int], *, reseller_api: bool = False) -> None:
    """The command menu for everyone (in each language we have), and for each admin theirs too."""
    user_commands = [*USER_COMMANDS, API_COMMAND] if reseller_api else USER_COMMANDS
    everyone = [BotCommand(command=c, description=d) for c, d in user_commands]
    with contextlib.suppress(TelegramAPIError):
        await bot.set_my_commands(everyone, scope=BotCommandScopeDefault())
    for code in available_languages():  # Telegram shows the app language's list
        if code != DEFAULT_LANGUAGE:
            translated = [
                BotCommand(command=c, description=gettext(d, locale=code)) for c, d in user_commands
            ]
            with contextlib.suppress(TelegramAPIError):
                await bot.set_my_commands(
                    translated, scope=BotCommandScopeDefault(), language_code=code
                )
    admins = everyone + [BotCommand(command=c, description=d) for c, d in ADMIN_COMMANDS]
    for admin_id in admin_ids:
        try:
            await bot.set_my_commands(admins, scope=BotCommandScopeChat(chat_id=admin_id))
        except TelegramAPIError as error:  # e.g. the admin has not opened the bot yet
            logger.warning("Cannot set admin commands for %s: %s", admin_id, error.message)
