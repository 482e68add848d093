"""Top-ups paid in Telegram Stars, and their refunds: the rules. Handlers render the outcomes.

- A top-up row is written before its invoice is sent; the invoice payload names it.
- Pre-checkout is a read only (no writer lock): Telegram wants the answer within 10 seconds.
- A successful payment is credited once per telegram_payment_charge_id (ledger kind "topup",
  reference = the charge id), in one transaction with the person's notification and with the
  referrer's share (kind "referral", same reference).
- A refund debits first (kind "topup_refund"), then asks Telegram. A definite refusal puts the
  money back (kind "topup_refund_reverted"); an ambiguous failure (network, 5xx) leaves the
  top-up `refunding` with the money held, and running /refund_stars again finishes it.
- The referrer's share of a refunded top-up is taken back in the same transaction as the debit
  (kind "referral_reversed"), as much of it as their balance still holds: the customer's refund
  is never held up by it, and the admins are told what could not be taken back. A refusal
  gives the share back too (kind "referral_restored").
- A top-up an admin reversed with /reverse (shop/reversals.py) is not refunded: its balance was
  taken back already, and the Stars stay paid.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Protocol

from shop import payment_texts
from shop.books import Books
from shop.catalog import Catalog
from shop.formatting import format_money
from shop.pricing import parse_plain_decimal
from shop.referrals import SHARE_TAKEN_BACK, ReferralShares
from shop.reversals import REVERSED_KIND
from storage.db import Transaction
from storage.errors import DuplicateEntry, InsufficientFunds
from storage.money import from_micros
from storage.settings import SettingsRepository
from storage.topups import TopUp, TopUpRepository, TopUpStatus

logger = logging.getLogger(__name__)

STARS_CURRENCY = "XTR"
STARS_RATE_KEY = "stars_per_unit"
PAYLOAD_PREFIX = "topup:"
TOPUP_PRESETS = (Decimal(5), Decimal(10), Decimal(25), Decimal(50))
TOPUP_MIN = Decimal(1)
TOPUP_MAX = Decimal(10_000)
MAX_STARS_RATE = Decimal(1_000_000)


def stars_for(amount: Decimal, rate: Decimal) -> int:
    """Stars for `amount` of the panel currency: rounded up, at least 1."""
    return max(1, int((amount * rate).to_integral_value(rounding=ROUND_CEILING)))


def payload_for(topup_id: int) -> str:
    return f"{PAYLOAD_PREFIX}{topup_id}"


def topup_id_of(payload: str) -> int | None:
    number = payload.removeprefix(PAYLOAD_PREFIX)
    if not payload.startswith(PAYLOAD_PREFIX) or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def parse_stars_rate(text: str) -> Decimal | None:
    """Stars per 1 unit of the panel currency: more than 0, at most 1,000,000."""
    value = parse_plain_decimal(text)
    if value is None or value <= 0 or value > MAX_STARS_RATE:
        return None
    return value


def amount_allowed(amount: Decimal) -> bool:
    return TOPUP_MIN <= amount <= TOPUP_MAX


@dataclass(frozen=True, slots=True)
class TopUpOption:
    amount: Decimal
    stars: int


class StarsRefundRefused(Exception):
    """Telegram refused the refund: nothing was given back to the person's Stars."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StarsRefundUncertain(Exception):
    """No clear answer (network, 5xx): the refund may or may not have happened."""


class StarsRefunds(Protocol):
    """Gives Stars back to a payer (bot/telegram_stars.py speaks to Telegram). Returns when the
    charge is refunded (also when it was refunded before); raises StarsRefundRefused or
    StarsRefundUncertain."""

    async def refund(self, user_id: int, charge_id: str) -> None: ...


class CheckoutProblem(StrEnum):
    UNKNOWN = "unknown"  # not our payload, not this person's, or no such top-up
    PAID = "paid"  # this invoice was paid already
    MISMATCH = "mismatch"  # another total or currency than the invoice we sent


# ---- outcomes of a successful payment ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credited:
    topup_id: int
    amount: Decimal
    balance: Decimal
    referrer_id: int | None
    referral_amount: Decimal


@dataclass(frozen=True, slots=True)
class AlreadyCredited:
    topup_id: int


@dataclass(frozen=True, slots=True)
class NotMatched:
    """Telegram took the Stars but the payload names no top-up of this person: admins told."""


CreditResult = Credited | AlreadyCredited | NotMatched


# ---- outcomes of a refund ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refunded:
    topup: TopUp
    balance: Decimal


@dataclass(frozen=True, slots=True)
class RefundRefused:
    """Nothing was changed; `reason` is for the admin."""

    reason: str


@dataclass(frozen=True, slots=True)
class RefundReverted:
    """Telegram refused: the debit was put back."""

    topup: TopUp
    reason: str


@dataclass(frozen=True, slots=True)
class RefundUncertain:
    """Telegram did not answer clearly: the money stays debited; run the refund again."""

    topup: TopUp
    reason: str


RefundResult = Refunded | RefundRefused | RefundReverted | RefundUncertain


class Payments:
    def __init__(
        self,
        books: Books,
        catalog: Catalog,
        settings: SettingsRepository,
        stars: StarsRefunds,
        *,
        default_stars_per_unit: Decimal,
        referral_percent: Decimal,
    ) -> None:
        self._db = books.db
        self._books = books
        self._catalog = catalog
        self._settings = settings
        self._stars = stars
        self._default_rate = default_stars_per_unit
        self.topups = TopUpRepository(books.db)
        self._shares = ReferralShares(books, referral_percent)
        self._refund_lock = asyncio.Lock()  # one refund at a time: no double call to Telegram

    # ---- the rate -----------------------------------------------------------------------------

    async def stars_per_unit(self) -> Decimal:
        stored = await self._settings.get(STARS_RATE_KEY)
        rate = parse_stars_rate(stored) if stored is not None else None
        return rate if rate is not None else self._default_rate

    async def set_stars_per_unit(self, rate: Decimal) -> None:
        if parse_stars_rate(str(rate)) is None:
            raise ValueError(f"bad Stars rate {rate}")
        await self._settings.set(STARS_RATE_KEY, str(rate))

    async def currency(self) -> str:
        return await self._catalog.currency()

    async def options(self) -> list[TopUpOption]:
        rate = await self.stars_per_unit()
        return [TopUpOption(amount, stars_for(amount, rate)) for amount in TOPUP_PRESETS]

    # ---- invoices -----------------------------------------------------------------------------

    async def new_topup(self, user_id: int, amount: Decimal) -> TopUp:
        """The row an invoice will name; the Stars total is fixed now, at today's rate."""
        if not amount_allowed(amount):
            raise ValueError(f"top-up amount {amount} out of range")
        stars = stars_for(amount, await self.stars_per_unit())
        return await self.topups.create(user_id, amount, stars)

    async def check_checkout(
        self, user_id: int, payload: str, currency: str, total: int
    ) -> CheckoutProblem | None:
        """None when the payment may go ahead. Reads only: answered at once."""
        topup_id = topup_id_of(payload)
        topup = None if topup_id is None else await self.topups.get(topup_id)
        if topup is None or topup.user_id != user_id:
            return CheckoutProblem.UNKNOWN
        if topup.status is not TopUpStatus.PENDING:
            return CheckoutProblem.PAID
        if currency != STARS_CURRENCY or total != topup.stars:
            return CheckoutProblem.MISMATCH
        return None

    # ---- successful payments ------------------------------------------------------------------

    async def credit_payment(
        self, user_id: int, payload: str, currency: str, total: int, charge_id: str
    ) -> CreditResult:
        """Credit a paid top-up once per charge id; notifications go in the same transaction."""
        shop_currency = await self.currency()
        try:
            async with self._db.transaction() as tx:
                known = await self.topups.by_charge_in(tx, charge_id)
                if known is not None:
                    return AlreadyCredited(known.id)
                topup_id = topup_id_of(payload)
                topup = None if topup_id is None else await self.topups.get_in(tx, topup_id)
                if (
                    topup is None
                    or topup.user_id != user_id
                    or currency != STARS_CURRENCY
                    or total != topup.stars
                ):
                    await self._not_matched(tx, user_id, payload, currency, total, charge_id)
                    return NotMatched()
                if topup.status is TopUpStatus.PENDING:
                    await self.topups.mark_paid(tx, topup.id, charge_id)
                    credited_id = topup.id
                else:  # the same invoice paid twice: the Stars were taken, so credit again
                    credited_id = await self.topups.add_paid(
                        tx, user_id, topup.amount, topup.stars, charge_id
                    )
                entry = await self._books.ledger.apply(
                    tx, user_id, topup.amount, "topup", charge_id, f"{topup.stars} Stars"
                )
                language = await self._language(tx, user_id)
                await self._books.outbox.add(
                    tx,
                    user_id,
                    payment_texts.topup_credited(
                        topup.amount, topup.stars, entry.balance_after, shop_currency, language
                    ),
                )
                referrer_id, share = await self._shares.pay(
                    tx, user_id, topup.amount, charge_id, shop_currency
                )
        except DuplicateEntry:  # defence in depth: the ledger saw this charge already
            return AlreadyCredited(0)
        logger.info("Top-up %s credited (charge %s)", credited_id, charge_id)
        return Credited(credited_id, topup.amount, entry.balance_after, referrer_id, share)

    async def _not_matched(
        self,
        tx: Transaction,
        user_id: int,
        payload: str,
        currency: str,
        total: int,
        charge_id: str,
    ) -> None:
        logger.warning("Payment %s of user %s matches no top-up", charge_id, user_id)
        await self._books.alerts.always(
            tx,
            payment_texts.admin_payment_not_matched(user_id, total, currency, payload, charge_id),
        )
        language = await self._language(tx, user_id)
        await self._books.outbox.add(
            tx, user_id, payment_texts.payment_not_matched(total, charge_id, language)
        )

    async def _language(self, tx: Transaction, user_id: int) -> str | None:
        return await self.topups.language_of(tx, user_id)

    # ---- refunds (admins) ---------------------------------------------------------------------

    async def refund(self, charge_id: str) -> RefundResult:
        async with self._refund_lock:
            currency = await self.currency()
            try:
                async with self._db.transaction() as tx:
                    topup = await self.topups.by_charge_in(tx, charge_id)
                    if topup is None:
                        return RefundRefused(f"no credited Stars payment has charge id {charge_id}")
                    if topup.status is TopUpStatus.REFUNDED:
                        return RefundRefused(f"top-up #{topup.id} was refunded already")
                    if await self._books.ledger.entry_in(
                        tx, REVERSED_KIND, f"topup:{charge_id}"
                    ):  # an admin took the money back with /reverse: the Stars stay paid
                        return RefundRefused(
                            f"top-up #{topup.id} was reversed with /reverse already, so its "
                            "balance was taken back without refunding the Stars"
                        )
                    if topup.status is TopUpStatus.PAID:
                        attempt = await self.topups.start_refund(tx, topup.id)
                        reference = self._attempt_reference(charge_id, attempt)
                        await self._books.ledger.apply(
                            tx, topup.user_id, -topup.amount, "topup_refund", reference,
                            "Stars refund",
                        )  # fmt: skip
                        await self._take_back_share(tx, topup, reference, currency)
                    # REFUNDING: a refund interrupted before Telegram answered: ask again.
                    topup = await self.topups.get_in(tx, topup.id)
                    assert topup is not None
            except InsufficientFunds as error:
                have = format_money(from_micros(error.balance_micros), currency)
                need = format_money(from_micros(error.amount_micros), currency)
                return RefundRefused(
                    f"the user's balance ({have}) no longer covers the {need} of this top-up; "
                    "nothing was changed and Telegram was not asked"
                )
            return await self._ask_telegram(topup, currency)

    async def _take_back_share(
        self, tx: Transaction, topup: TopUp, reference: str, currency: str
    ) -> None:
        """The referrer's share of this top-up, or what is left of it on their balance."""
        assert topup.charge_id is not None
        await self._shares.take_back(
            tx, topup.charge_id, reference, f"refund of top-up #{topup.id}", currency,
            lambda referrer_id, missing: payment_texts.admin_referral_share_spent(
                referrer_id, topup.id, missing, currency
            ),
        )  # fmt: skip

    async def _restore_share(self, tx: Transaction, topup: TopUp, reference: str) -> None:
        """A refused refund: the share taken back for it returns to the referrer."""
        ledger = self._books.ledger
        taken = await ledger.entry_in(tx, SHARE_TAKEN_BACK, reference)
        if taken is None:
            return
        await ledger.apply(
            tx, taken.user_id, -taken.amount, "referral_restored", reference,
            f"refund of top-up #{topup.id} refused",
        )  # fmt: skip

    @staticmethod
    def _attempt_reference(charge_id: str, attempt: int) -> str:
        return charge_id if attempt <= 1 else f"{charge_id}#{attempt}"

    async def _ask_telegram(self, topup: TopUp, currency: str) -> RefundResult:
        assert topup.charge_id is not None
        try:
            await self._stars.refund(topup.user_id, topup.charge_id)
        except StarsRefundUncertain as error:
            logger.warning("Refund of top-up %s is uncertain: %s", topup.id, error)
            return RefundUncertain(topup, str(error))
        except StarsRefundRefused as error:
            return await self._revert(topup, error.reason, currency)
        async with self._db.transaction() as tx:
            await self.topups.set_status(tx, topup.id, TopUpStatus.REFUNDED)
            balance = await self.topups.balance_of(tx, topup.user_id)
            language = await self._language(tx, topup.user_id)
            await self._books.outbox.add(
                tx,
                topup.user_id,
                payment_texts.topup_refunded(
                    topup.amount, topup.stars, balance, currency, language
                ),
            )
            done = await self.topups.get_in(tx, topup.id)
        assert done is not None
        logger.info("Top-up %s refunded (charge %s)", topup.id, topup.charge_id)
        return Refunded(done, balance)

    async def _revert(self, topup: TopUp, reason: str, currency: str) -> RefundReverted:
        assert topup.charge_id is not None
        reference = self._attempt_reference(topup.charge_id, topup.refund_attempts)
        async with self._db.transaction() as tx:
            await self._books.ledger.apply(
                tx, topup.user_id, topup.amount, "topup_refund_reverted", reference,
                "Telegram refused the refund",
            )  # fmt: skip
            await self._restore_share(tx, topup, reference)
            await self.topups.set_status(tx, topup.id, TopUpStatus.PAID)
            back = await self.topups.get_in(tx, topup.id)
        assert back is not None
        logger.warning("Telegram refused the refund of top-up %s: %s", topup.id, reason)
        return RefundReverted(back, reason)
