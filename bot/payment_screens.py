"""The messages that offered to pay a bank or card request, taken out of the person's chat once
the request expired (shop/request_expiry.py `OfferScreens`).

- A bank request's QR code is what people scan: its message is deleted (the outbox's notice
  says why). Telegram lets a bot delete its messages for 48 hours; an older one gets the
  expired text as its caption instead.
- A card request's instructions (whom to pay) are replaced by the expired text, keeping
  📎 Send the proof: someone who paid already can still send it, and the admins decide.
"""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from handlers import keyboards
from shop.i18n import in_language
from storage.payments import Method, Payment

logger = logging.getLogger(__name__)

GONE = (TelegramBadRequest, TelegramForbiddenError)  # deleted, too old, blocked: nothing to do


class TelegramOfferScreens:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def retire(self, payment: Payment, text: str, language: str | None) -> None:
        message_id = payment.offer_message_id
        if message_id is None:
            return
        chat_id = payment.user_id
        if payment.method is Method.BANK:
            try:
                await self._bot.delete_message(chat_id, message_id)
                return
            except GONE as error:
                logger.info("QR of %s not deleted (%s): its caption says", payment.code, error)
            with contextlib.suppress(*GONE):
                await self._bot.edit_message_caption(
                    chat_id=chat_id, message_id=message_id, caption=text, reply_markup=None
                )
            return
        with in_language(language):
            markup = keyboards.send_proof(payment.id)
        with contextlib.suppress(*GONE):
            await self._bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
