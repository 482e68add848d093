"""Top-ups by a transfer an admin checks by hand (a card transfer, a bank the bot cannot see).

- A request gets a reference (PAY + 6) and the shop's instructions (MANUAL_PAYMENT_TEXT); the
  person then sends a proof (a photo, a file or a text) and the request goes to the admins.
- A request with no proof after MANUAL_REQUEST_EXPIRES_MINUTES expires (shop/request_expiry.py):
  the person is told not to pay it. A proof sent for it later still goes to the admins (the
  person may have paid in time): nothing is credited without an admin's approval anyway.
- The first admin decision wins: the state moves from review to paid (with the ledger credit,
  kind "topup_manual", reference = the request's reference) or to rejected (with the reason),
  in one transaction; a later decision is told who decided first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from shop import payment_texts
from shop.books import Books
from shop.catalog import Catalog
from shop.topups import (
    AlreadyDecided,
    Crediting,
    Decided,
    Decision,
    Limits,
    NotFoundToDecide,
    Reviews,
    create_payment,
    payment_subject,
)
from storage.db import Transaction
from storage.money import to_micros
from storage.payments import Method, NewPayment, Payment, PaymentRepository, PaymentStatus

logger = logging.getLogger(__name__)

CODE_PREFIX = "PAY"
PROOF_KINDS = frozenset({"photo", "document", "text"})
MAX_PROOF_TEXT = 1000
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class ProofTaken:
    payment: Payment


@dataclass(frozen=True, slots=True)
class ProofNotTaken:
    """No such open request of this person (an old button, or the proof was sent already)."""

    payment: Payment | None


class ManualTopUps:
    method = Method.MANUAL

    def __init__(
        self,
        books: Books,
        catalog: Catalog,
        crediting: Crediting,
        reviews: Reviews,
        repo: PaymentRepository,
        *,
        instructions: str,
        limits: Limits,
        expires_minutes: int = 1440,
    ) -> None:
        self._db = books.db
        self._books = books
        self._catalog = catalog
        self._crediting = crediting
        self._reviews = reviews
        self._repo = repo
        self.instructions = instructions
        self.limits = limits
        self.expires_seconds = expires_minutes * 60

    async def open_request(self, user_id: int, amount: Decimal) -> Payment:
        if not self.limits.allows(amount):
            raise ValueError(f"manual top-up amount {amount} out of range")
        currency = await self._catalog.currency()
        return await create_payment(
            self._repo,
            CODE_PREFIX,
            lambda code: NewPayment(
                Method.MANUAL,
                user_id,
                amount,
                currency,
                amount,
                currency,
                code,
                expires_at=int(time.time()) + self.expires_seconds,
            ),
        )

    async def request_of(self, user_id: int, payment_id: int) -> Payment | None:
        """This person's manual request, or None (another's, or no such one)."""
        return _own(await self._repo.get(payment_id), user_id)

    async def submit_proof(
        self, user_id: int, payment_id: int, kind: str, proof: str
    ) -> ProofTaken | ProofNotTaken:
        if kind not in PROOF_KINDS:
            raise ValueError(f"unknown proof kind {kind}")
        async with self._db.transaction() as tx:
            payment = _own(await self._repo.get_in(tx, payment_id), user_id)
            # An expired request's proof is taken too: the person may have paid in time.
            if payment is None or not await self._repo.move(
                tx,
                payment.id,
                [PaymentStatus.PENDING, PaymentStatus.EXPIRED],
                PaymentStatus.REVIEW,
                proof_kind=kind,
                proof=proof[:MAX_PROOF_TEXT],
            ):
                return ProofNotTaken(payment)
            self._reviews.announce_after(tx)
            taken = await self._repo.get_in(tx, payment.id)
        assert taken is not None
        return ProofTaken(taken)

    # ---- the admins' decision -----------------------------------------------------------------

    async def _decide(
        self,
        tx: Transaction,
        payment: Payment,
        status: PaymentStatus,
        admin_id: int,
        admin_name: str,
        **changes: object,
    ) -> None:
        """The request leaves review as `status` (with `changes`), saying who decided, when."""
        await self._repo.move(
            tx,
            payment.id,
            [PaymentStatus.REVIEW],
            status,
            decided_by=admin_id,
            decided_by_name=admin_name,
            decided_at=_now(),
            **changes,
        )

    async def approve(self, payment_id: int, admin_id: int, admin_name: str) -> Decision:
        subject = payment_subject(payment_id)
        currency = await self._catalog.currency()
        async with self._db.transaction() as tx:
            payment = await self._in_review(tx, payment_id)
            if not isinstance(payment, Payment):
                return payment
            credited = to_micros(payment.amount)
            await self._decide(
                tx, payment, PaymentStatus.PAID, admin_id, admin_name, credited=credited
            )
            entry = await self._crediting.credit(
                tx,
                payment.user_id,
                payment.amount,
                Method.MANUAL,
                payment.code,
                currency,
                lambda entry, language: payment_texts.manual_approved(
                    payment.amount, payment.code, entry.balance_after, payment.currency, language
                ),
            )
        logger.info("Manual top-up %s approved by admin %s", payment.code, admin_id)
        return Decided(subject, payment.user_id, payment.amount, entry.balance_after)

    async def reject(
        self, payment_id: int, admin_id: int, admin_name: str, reason: str
    ) -> Decision:
        subject = payment_subject(payment_id)
        async with self._db.transaction() as tx:
            payment = await self._in_review(tx, payment_id)
            if not isinstance(payment, Payment):
                return payment
            note = reason[:MAX_REASON]
            await self._decide(tx, payment, PaymentStatus.REJECTED, admin_id, admin_name, note=note)
            language = await self._repo.language_of(tx, payment.user_id)
            await self._books.outbox.add(
                tx,
                payment.user_id,
                payment_texts.manual_rejected(
                    payment.amount, payment.code, reason[:MAX_REASON], payment.currency, language
                ),
            )
        logger.info("Manual top-up %s rejected by admin %s", payment.code, admin_id)
        return Decided(subject, payment.user_id)

    async def waiting(self, payment_id: int) -> Payment | AlreadyDecided | NotFoundToDecide:
        """The request if it waits for a decision, else why not (a read, for the prompt)."""
        return self._waiting(payment_id, await self._repo.get(payment_id))

    async def _in_review(
        self, tx: Transaction, payment_id: int
    ) -> Payment | AlreadyDecided | NotFoundToDecide:
        """The request, if it still waits for a decision (checked inside the deciding
        transaction: two admins at once, one wins)."""
        return self._waiting(payment_id, await self._repo.get_in(tx, payment_id))

    @staticmethod
    def _waiting(
        payment_id: int, payment: Payment | None
    ) -> Payment | AlreadyDecided | NotFoundToDecide:
        subject = payment_subject(payment_id)
        if payment is None or payment.method is not Method.MANUAL:
            return NotFoundToDecide(subject)
        if payment.status is not PaymentStatus.REVIEW:
            return AlreadyDecided(subject, payment.decided_by_name or "?", payment.status)
        return payment


def _now() -> int:
    return int(time.time())


def _own(payment: Payment | None, user_id: int) -> Payment | None:
    mine = payment is not None and payment.user_id == user_id and payment.method is Method.MANUAL
    return payment if mine else None
