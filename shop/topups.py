"""What the top-up methods beyond Stars share (crypto, bank transfer, admin-approved transfer):
amount limits, the references people see, exchange rates set by admins, crediting, and the
queue of things admins must decide.

Crediting is one call inside the caller's transaction: the ledger row (unique kind + the
provider's id), the person's message and the referrer's share. The caller has checked and
moved the payment's state in the same transaction, so a second delivery finds it done.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from shop import payment_texts
from shop.books import Books
from shop.formatting import ZERO_DECIMAL_CURRENCIES
from shop.pricing import parse_plain_decimal
from shop.referrals import ReferralShares
from storage.db import Transaction
from storage.ledger import LedgerEntry
from storage.payments import (
    BankTransfer,
    Method,
    NewPayment,
    Payment,
    PaymentRepository,
    PaymentStatus,
)
from storage.settings import SettingsRepository

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and retyped
CODE_LENGTH = 6
RATE_KEY = "payrate_{currency}"
RATE_CURRENCIES = ("VND", "USD")  # bank transfers are in VND; Crypto Pay's fallback fiat: USD
MAX_RATE = Decimal(10) ** 9
CENT = Decimal("0.01")
# The ledger kind of each method's credits; the reference is the provider's own id.
LEDGER_KINDS = {
    Method.CRYPTO: "topup_crypto",
    Method.BANK: "topup_bank",
    Method.MANUAL: "topup_manual",
}


def new_code(prefix: str) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def create_payment(
    repo: PaymentRepository, prefix: str, make: Callable[[str], NewPayment]
) -> Payment:
    """A payment row under a fresh code (`make(code)`); a code drawn twice is drawn again."""
    for _ in range(4):
        try:
            return await repo.create(make(new_code(prefix)))
        except sqlite3.IntegrityError:  # one in a billion: the code exists already
            continue
    raise RuntimeError("no free payment code")


async def expire_pending(
    books: Books, repo: PaymentRepository, tx: Transaction, payment: Payment
) -> bool:
    """Close `payment` as expired unpaid inside the caller's transaction, and tell the person.
    False when it was not pending any more (paid, in review, expired before)."""
    if not await repo.move(tx, payment.id, [PaymentStatus.PENDING], PaymentStatus.EXPIRED):
        return False
    language = await repo.language_of(tx, payment.user_id)
    await books.outbox.add(
        tx,
        payment.user_id,
        payment_texts.request_expired(
            payment.method, payment.amount, payment.currency, payment.code, language
        ),
    )
    return True


def parse_rate(text: str) -> Decimal | None:
    """A rate as admins type it: more than 0, at most 10^9, at most 6 decimals."""
    value = parse_plain_decimal(text)
    if value is None or value <= 0 or value > MAX_RATE:
        return None
    return value


@dataclass(frozen=True, slots=True)
class Limits:
    """The amounts a method takes, in the shop's currency; presets are the buttons."""

    minimum: Decimal
    maximum: Decimal
    presets: tuple[Decimal, ...]

    def allows(self, amount: Decimal) -> bool:
        return self.minimum <= amount <= self.maximum

    def shown_presets(self) -> tuple[Decimal, ...]:
        return tuple(p for p in self.presets if self.allows(p))


@dataclass(frozen=True, slots=True)
class Conversion:
    """How an amount in the shop's currency is asked for in `currency`: x `per_unit`."""

    currency: str
    per_unit: Decimal

    def ask(self, amount: Decimal) -> Decimal:
        """Rounded up to what the currency can be paid in (whole VND, cents)."""
        step = Decimal(1) if self.currency in ZERO_DECIMAL_CURRENCIES else CENT
        return (amount * self.per_unit).quantize(step, rounding=ROUND_CEILING)

    def back(self, paid: Decimal) -> Decimal:
        """What `paid` in `currency` is worth in the shop's currency, rounded down."""
        return (paid / self.per_unit).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR)


class PayRates:
    """Exchange rates admins set with /payrate: units of a currency per 1 of the shop's."""

    def __init__(self, settings: SettingsRepository) -> None:
        self._settings = settings

    async def get(self, currency: str) -> Decimal | None:
        stored = await self._settings.get(RATE_KEY.format(currency=currency.lower()))
        return None if stored is None else parse_rate(stored)

    async def set(self, currency: str, rate: Decimal) -> None:
        if currency not in RATE_CURRENCIES or parse_rate(str(rate)) is None:
            raise ValueError(f"bad rate {rate} for {currency}")
        await self._settings.set(RATE_KEY.format(currency=currency.lower()), str(rate))

    async def conversion(self, shop_currency: str, currency: str) -> Conversion | None:
        """1:1 when the shop sells in `currency`, else the admins' rate; None without one."""
        if shop_currency == currency:
            return Conversion(currency, Decimal(1))
        rate = await self.get(currency)
        return None if rate is None else Conversion(currency, rate)


class Crediting:
    """One top-up credited: the ledger, the person's message, the referrer's share."""

    def __init__(self, books: Books, shares: ReferralShares, repo: PaymentRepository) -> None:
        self._books = books
        self._shares = shares
        self._repo = repo

    async def credit(
        self,
        tx: Transaction,
        user_id: int,
        amount: Decimal,
        method: Method,
        reference: str,
        currency: str,
        message: Callable[[LedgerEntry, str | None], str],
    ) -> LedgerEntry:
        """`message(entry, language)` renders what the person is told. Raises DuplicateEntry
        if this (method, reference) was credited before (the caller's transaction rolls back)."""
        entry = await self._books.ledger.apply(
            tx, user_id, amount, LEDGER_KINDS[method], reference, f"{method.value} top-up"
        )
        language = await self._repo.language_of(tx, user_id)
        await self._books.outbox.add(tx, user_id, message(entry, language))
        await self._shares.pay(tx, user_id, amount, f"{method.value}:{reference}", currency)
        return entry


class Reviews:
    """What admins must decide (requests with a proof, transfers with no known code): the
    cards announcing them go out from bot/review_desk.py, woken by `added`."""

    def __init__(self, repo: PaymentRepository) -> None:
        self.repo = repo
        self.added = asyncio.Event()

    def announce_after(self, tx: Transaction) -> None:
        tx.after_commit.append(self.added.set)

    async def unannounced(self) -> tuple[list[Payment], list[BankTransfer]]:
        return await self.repo.unannounced()

    async def announced(self, subject: str) -> None:
        await self.repo.mark_announced(subject)

    async def remember_message(self, subject: str, chat_id: int, message_id: int) -> None:
        await self.repo.add_review_message(subject, chat_id, message_id)

    async def messages(self, subject: str) -> list[tuple[int, int]]:
        return await self.repo.review_messages(subject)

    async def open_items(self, limit: int) -> tuple[list[Payment], list[BankTransfer]]:
        return await self.repo.in_review(limit), await self.repo.unmatched_transfers(limit)


def payment_subject(payment_id: int) -> str:
    return f"payment:{payment_id}"


def transfer_subject(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


# ---- outcomes of an admin's decision ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decided:
    """This admin's decision was applied; `balance` is the person's after a credit."""

    subject: str
    user_id: int | None
    amount: Decimal | None = None
    balance: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AlreadyDecided:
    """Someone decided first: `by` (their name) and what (`status`)."""

    subject: str
    by: str
    status: str


@dataclass(frozen=True, slots=True)
class NotFoundToDecide:
    """No such request or transfer (a forged button)."""

    subject: str


@dataclass(frozen=True, slots=True)
class UnknownPerson:
    """The user id names nobody who has used the bot."""

    user_id: int


@dataclass(frozen=True, slots=True)
class NoRate:
    """No admin-set rate converts this currency: nothing was done."""

    currency: str


Decision = Decided | AlreadyDecided | NotFoundToDecide | UnknownPerson | NoRate
