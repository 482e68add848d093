"""Stars refunds through the Bot API, in the shop's terms (shop/payments.py StarsRefunds)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError

from shop.payments import StarsRefundRefused, StarsRefundUncertain

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


class TelegramStars:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def refund(self, user_id: int, charge_id: str) -> None:
        try:
            await self._bot.refund_star_payment(user_id, charge_id)
        except (TelegramNetworkError, TelegramServerError) as error:
            raise StarsRefundUncertain(str(error)) from None
        except TelegramAPIError as error:
            if ALREADY_REFUNDED not in error.message:  # refunded before: that is done
                raise StarsRefundRefused(error.message) from None
