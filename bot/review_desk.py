"""Sends the admins a card for each thing they must decide (a card transfer's proof, a bank
transfer with no known code), with its buttons, and remembers every card so that a decision
edits them all (handlers/admin/topups.py).

A card goes out once: a subject is marked announced when every admin has it (or cannot get it:
blocked the bot, never opened it). A network error leaves it for the next round, which skips
the admins who already have it. Woken by shop.topups.Reviews.added; also looks every 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from handlers.admin.topups import card_of
from shop.services import Services
from shop.topups import payment_subject, transfer_subject
from storage.payments import Payment

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 30.0


class ReviewDesk:
    def __init__(self, bot: Bot, services: Services, admin_ids: tuple[int, ...]) -> None:
        self._bot = bot
        self._services = services
        self._admin_ids = admin_ids
        self._reviews = services.topups.reviews

    async def run(self) -> None:
        while True:
            self._reviews.added.clear()  # before looking: a row added meanwhile wakes us below
            try:
                await self.announce_pending()
            except Exception:
                logger.exception("Announcing reviews to admins failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reviews.added.wait(), IDLE_CHECK_SECONDS)

    async def announce_pending(self) -> None:
        payments, transfers = await self._reviews.unannounced()
        for payment in payments:
            await self._announce(payment_subject(payment.id), payment)
        for transfer in transfers:
            await self._announce(transfer_subject(transfer.id), None)

    async def _announce(self, subject: str, payment: Payment | None) -> None:
        card = await card_of(subject, self._services)
        if card is None:
            return
        text, markup = card
        have = {chat_id for chat_id, _ in await self._reviews.messages(subject)}
        complete = True
        for admin_id in self._admin_ids:
            if admin_id in have:
                continue
            try:
                if payment is not None:
                    await self._send_proof(admin_id, payment)
                sent = await self._bot.send_message(admin_id, text, reply_markup=markup)
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as error:
                logger.warning("Review card %s not sent to admin %s: %s", subject, admin_id, error)
                complete = False
                continue
            except TelegramAPIError as error:  # blocked, never started the bot: not fixable here
                logger.warning("Review card %s cannot reach admin %s: %s", subject, admin_id, error)
                continue
            await self._reviews.remember_message(subject, admin_id, sent.message_id)
        if complete:
            await self._reviews.announced(subject)

    async def _send_proof(self, admin_id: int, payment: Payment) -> None:
        caption = f"Proof of top-up {payment.code}"
        if payment.proof_kind == "photo" and payment.proof:
            await self._bot.send_photo(admin_id, payment.proof, caption=caption)
        elif payment.proof_kind == "document" and payment.proof:
            await self._bot.send_document(admin_id, payment.proof, caption=caption)
