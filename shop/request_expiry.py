"""Bank and card top-up requests expire (BANK_REQUEST_EXPIRES_MINUTES,
MANUAL_REQUEST_EXPIRES_MINUTES): the rules.

- A request is written with its `expires_at`. A request still waiting for the payer then
  (`pending`) becomes `expired` in a transaction of its own, with the person's message in the
  outbox; `expire_in` is that one step, also taken inside a bank transfer's transaction when the
  transfer names a request whose time is up and the background pass has not come yet. Either
  way the state moves once (`pending` -> `expired`, checked in the transaction), so a transfer
  and the pass racing apply one outcome.
- What comes later is never credited by itself and never lost: a bank transfer naming an expired
  request waits for an admin (shop/bank_topups.py), a proof for an expired card request goes to
  the admins as any proof does (shop/manual_topups.py).
- The message that offered to pay it (the QR code, the card instructions) is retired through
  `OfferScreens` (bot/ speaks to Telegram), after the state changed; remembered in the row until
  it is done, so a restart finishes it.
- A request in review (its proof is with the admins) or paid does not expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from shop import payment_texts
from shop.books import Books
from shop.topups import expire_pending
from storage.db import Transaction
from storage.payments import Payment, PaymentRepository, PaymentStatus

logger = logging.getLogger(__name__)

BATCH = 200
CHECK_SECONDS = 60.0


def time_is_up(payment: Payment, now: float | None = None) -> bool:
    """Expired, or still waiting for the payer past its `expires_at` (the background pass has
    not marked it yet)."""
    if payment.status is PaymentStatus.EXPIRED:
        return True
    moment = time.time() if now is None else now
    return (
        payment.status is PaymentStatus.PENDING
        and payment.expires_at is not None
        and payment.expires_at <= moment
    )


class OfferScreens(Protocol):
    """Takes an expired request's offer to pay out of the person's chat (bot/payment_screens.py):
    `text` says it expired, in their `language`. Never raises for a message Telegram will not
    change (deleted, too old): there is nothing more to do about it."""

    async def retire(self, payment: Payment, text: str, language: str | None) -> None: ...


class RequestExpiry:
    def __init__(
        self,
        books: Books,
        repo: PaymentRepository,
        *,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._db = books.db
        self._books = books
        self._repo = repo
        self._check_seconds = check_seconds
        self.screens: OfferScreens | None = None  # set by the composition root
        self.wake = asyncio.Event()  # a request expired elsewhere: retire its screen soon

    async def expire_in(self, tx: Transaction, payment: Payment) -> bool:
        """Close `payment` as expired inside the caller's transaction, and tell the person.
        False when it was not pending any more (paid, in review, expired before)."""
        if not await expire_pending(self._books, self._repo, tx, payment):
            return False
        tx.after_commit.append(self.wake.set)
        logger.info("Top-up request %s expired unpaid", payment.code)
        return True

    async def expire_due(self, now: float | None = None) -> int:
        """Every request whose time is up, each in its own transaction; -> how many expired."""
        moment = int(time.time() if now is None else now)
        expired = 0
        while True:
            due = await self._repo.due_to_expire(moment, BATCH)
            for payment in due:
                async with self._db.transaction() as tx:
                    expired += await self.expire_in(tx, payment)
            if len(due) < BATCH:
                break
        await self.retire_screens()
        return expired

    async def retire_screens(self) -> int:
        """Take the offers of expired requests out of people's chats; -> how many."""
        if self.screens is None:
            return 0
        retired = 0
        for payment in await self._repo.offers_to_retire(BATCH):
            person = await self._books.users.get(payment.user_id)
            language = None if person is None else person.language
            text = payment_texts.offer_expired(payment.method, payment.code, language)
            try:
                await self.screens.retire(payment, text, language)
            except Exception:  # Telegram unreachable: the row stays, the next pass tries again
                logger.warning("The offer of %s was not retired", payment.code, exc_info=True)
                continue
            await self._repo.forget_offer(payment.id)
            retired += 1
        return retired

    async def run(self) -> None:
        while True:
            try:
                await self.expire_due()
            except Exception:
                logger.exception("Expiring top-up requests failed")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self._check_seconds)
