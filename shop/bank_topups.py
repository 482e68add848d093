"""Top-ups by bank transfer in Vietnam: a VietQR code to pay, SePay to learn of the transfer.

- A request gets a code (SMM + 6) that the QR code puts in the transfer's description; the QR
  asks for the amount in VND (the shop's currency x the admins' /payrate vnd, unless the shop
  sells in VND). Without a rate the method is hidden.
- Each SePay transaction is recorded once (UNIQUE SePay id). A code found in its content (case,
  spaces and punctuation ignored) credits what was *transferred*, converted at the request's
  own rate (ledger kind "topup_bank", reference = the SePay id), in the same transaction.
- A transfer naming no known code waits for an admin: credit it to a person, or ignore it. So
  does one far above its request (crediting more than the method's maximum, or more than
  BANK_OVERPAY_REVIEW_MULTIPLE times what was asked): a mistyped amount or a forged one is
  never credited by itself.
- The amount is checked before any arithmetic (shop/amounts.py): more than 0, at most
  10^12 VND, at most 6 decimals; anything else is refused (the webhook answers 400) and
  nothing is recorded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from payments_api import vietqr
from payments_api.paths import secret_path
from payments_api.sepay import Transaction as SePayTransaction
from payments_api.sepay import api_key_ok
from shop import payment_texts
from shop.amounts import LARGEST_STORABLE, AmountError, bounded
from shop.books import Books
from shop.catalog import Catalog
from shop.topups import (
    AlreadyDecided,
    Conversion,
    Crediting,
    Decided,
    Decision,
    Limits,
    NoRate,
    NotFoundToDecide,
    PayRates,
    Reviews,
    UnknownPerson,
    create_payment,
    transfer_subject,
)
from storage.db import Transaction
from storage.errors import DuplicateEntry
from storage.money import MICRO
from storage.payments import (
    BankTransfer,
    IncomingTransfer,
    Method,
    NewPayment,
    Payment,
    PaymentRepository,
    PaymentStatus,
    TransferStatus,
)

logger = logging.getLogger(__name__)

CODE_PREFIX = "SMM"
CODE_IN_TEXT = re.compile(r"(?=(SMM[A-Z0-9]{6}))")  # overlapping: every candidate is tried
VND = "VND"
# No bank moves more in one transfer; the database holds at most ~9.2 x 10^12 in micro-units.
MAX_TRANSFER_VND = LARGEST_STORABLE
DEFAULT_OVERPAY_REVIEW_MULTIPLE = Decimal(2)


def codes_in(content: str) -> list[str]:
    """Codes a transfer's description may carry, however the person typed it ("smm 8f3k-2q")."""
    squashed = re.sub(r"[^A-Z0-9]", "", content.upper())
    return list(dict.fromkeys(CODE_IN_TEXT.findall(squashed)))


@dataclass(frozen=True, slots=True)
class BankAccount:
    bin: str
    number: str
    name: str


@dataclass(frozen=True, slots=True)
class TransferCredited:
    payment: Payment
    amount: Decimal  # credited, in the shop's currency


@dataclass(frozen=True, slots=True)
class TransferUnmatched:
    transfer_id: int


@dataclass(frozen=True, slots=True)
class TransferHeld:
    """It names a request but is far above it: recorded, and waits for an admin."""

    transfer_id: int
    why: str


@dataclass(frozen=True, slots=True)
class TransferSeen:
    """This SePay transaction was handled before (SePay retried), or is not incoming money."""


@dataclass(frozen=True, slots=True)
class TransferRefused:
    """Its amount is none a transfer can have (`reason`): nothing recorded, nothing credited."""

    reason: str


TransferResult = (
    TransferCredited | TransferUnmatched | TransferHeld | TransferSeen | TransferRefused
)


class BankTopUps:
    method = Method.BANK

    def __init__(
        self,
        books: Books,
        catalog: Catalog,
        rates: PayRates,
        crediting: Crediting,
        reviews: Reviews,
        repo: PaymentRepository,
        *,
        account: BankAccount,
        api_key: str,
        limits: Limits,
        overpay_review_multiple: Decimal = DEFAULT_OVERPAY_REVIEW_MULTIPLE,
    ) -> None:
        self._db = books.db
        self._books = books
        self._catalog = catalog
        self._rates = rates
        self._crediting = crediting
        self._reviews = reviews
        self._repo = repo
        self.account = account
        self._api_key = api_key
        self.limits = limits
        self.overpay_review_multiple = overpay_review_multiple

    # ---- the webhook's credentials ------------------------------------------------------------

    def api_key_ok(self, header: str | None) -> bool:
        return api_key_ok(self._api_key, header)

    @property
    def webhook_path(self) -> str:
        return secret_path(self._api_key, "sepay")

    # ---- a request ----------------------------------------------------------------------------

    async def conversion(self) -> Conversion | None:
        return await self._rates.conversion(await self._catalog.currency(), VND)

    async def open_request(self, user_id: int, amount: Decimal) -> Payment | None:
        """None when no rate converts the shop's currency to VND (nothing was written)."""
        if not self.limits.allows(amount):
            raise ValueError(f"bank top-up amount {amount} out of range")
        conversion = await self.conversion()
        if conversion is None:
            return None
        currency = await self._catalog.currency()
        return await create_payment(
            self._repo,
            CODE_PREFIX,
            lambda code: NewPayment(
                Method.BANK, user_id, amount, currency, conversion.ask(amount), VND, code
            ),
        )

    def qr_payload(self, payment: Payment) -> str:
        return vietqr.payload(
            self.account.bin, self.account.number, int(payment.pay_amount), payment.code
        )

    # ---- SePay's webhook ----------------------------------------------------------------------

    async def on_transfer(self, transaction: SePayTransaction) -> TransferResult:
        if not transaction.incoming:
            return TransferSeen()
        try:
            amount = bounded(transaction.amount, maximum=MAX_TRANSFER_VND)
        except AmountError as error:
            return TransferRefused(f"transferAmount {error}")
        incoming = IncomingTransfer(
            transaction.id, amount, transaction.content, transaction.gateway, transaction.reference
        )
        shop_currency = await self._catalog.currency()
        try:
            async with self._db.transaction() as tx:
                if await self._repo.transfer_by_sepay_id_in(tx, transaction.id) is not None:
                    return TransferSeen()
                payment = await self._request_named_in(tx, transaction)
                # At the request's own rate: the amount asked converts back to the amount.
                credited = Decimal(0) if payment is None else self._worth(payment, amount)
                if payment is None or credited <= 0:
                    transfer_id = await self._repo.add_transfer(
                        tx, incoming, TransferStatus.UNMATCHED
                    )
                    self._reviews.announce_after(tx)
                    logger.warning("Bank transfer %s matches no request", transaction.id)
                    return TransferUnmatched(transfer_id)
                why = self.too_much(payment, amount, credited)
                if why is not None:
                    transfer_id = await self._repo.add_transfer(
                        tx, incoming, TransferStatus.UNMATCHED, payment
                    )
                    self._reviews.announce_after(tx)
                    logger.warning(
                        "Bank transfer %s held for admins: %s (payment %s)",
                        transaction.id,
                        why,
                        payment.id,
                    )
                    return TransferHeld(transfer_id, why)
                await self._repo.add_transfer(
                    tx, incoming, TransferStatus.CREDITED, payment, credited
                )
                await self._repo.move(tx, payment.id, [PaymentStatus.PENDING], PaymentStatus.PAID)
                await self._repo.add_credited(tx, payment.id, credited)
                await self._crediting.credit(
                    tx,
                    payment.user_id,
                    credited,
                    Method.BANK,
                    transaction.id,
                    shop_currency,
                    lambda entry, language: payment_texts.bank_credited(
                        credited,
                        amount,
                        payment.pay_amount,
                        entry.balance_after,
                        shop_currency,
                        language,
                    ),
                )
        except DuplicateEntry:  # defence in depth: the ledger has this transaction already
            return TransferSeen()
        logger.info("Bank transfer %s credited to payment %s", transaction.id, payment.id)
        return TransferCredited(payment, credited)

    def too_much(self, payment: Payment, transferred: Decimal, credited: Decimal) -> str | None:
        """Why a transfer naming `payment` is too far above it to credit by itself, or None."""
        if credited > self.limits.maximum:
            return "it credits more than the method's maximum"
        if transferred > payment.pay_amount * self.overpay_review_multiple:
            return f"it is more than {self.overpay_review_multiple:f} times what was asked"
        return None

    async def _request_named_in(
        self, tx: Transaction, transaction: SePayTransaction
    ) -> Payment | None:
        for code in codes_in(transaction.code) + codes_in(transaction.content):
            payment = await self._repo.by_code_in(tx, Method.BANK, code)
            if payment is not None:
                return payment
        return None

    @staticmethod
    def _worth(payment: Payment, transferred: Decimal) -> Decimal:
        return (transferred * payment.amount / payment.pay_amount).quantize(
            MICRO, rounding=ROUND_FLOOR
        )

    # ---- admins settle a transfer that named no request ---------------------------------------

    async def transfer(self, transfer_id: int) -> BankTransfer | None:
        return await self._repo.transfer(transfer_id)

    async def waiting(self, transfer_id: int) -> BankTransfer | AlreadyDecided | NotFoundToDecide:
        """The transfer if it waits for a decision, else why not (a read, for the prompt)."""
        transfer = await self._repo.transfer(transfer_id)
        return self._waiting(transfer_id, transfer)

    @staticmethod
    def _waiting(
        transfer_id: int, transfer: BankTransfer | None
    ) -> BankTransfer | AlreadyDecided | NotFoundToDecide:
        subject = transfer_subject(transfer_id)
        if transfer is None:
            return NotFoundToDecide(subject)
        if transfer.status is not TransferStatus.UNMATCHED:
            return AlreadyDecided(subject, transfer.decided_by_name or "?", transfer.status)
        return transfer

    async def credit_transfer(
        self, transfer_id: int, user_id: int, admin_id: int, admin_name: str
    ) -> Decision:
        subject = transfer_subject(transfer_id)
        conversion = await self.conversion()
        if conversion is None:
            return NoRate(VND)
        shop_currency = await self._catalog.currency()
        async with self._db.transaction() as tx:
            transfer = self._waiting(
                transfer_id, await self._repo.transfer_by_id_in(tx, transfer_id)
            )
            if not isinstance(transfer, BankTransfer):
                return transfer
            if not await self._repo.user_exists(tx, user_id):
                return UnknownPerson(user_id)
            # A transfer held as far above its request converts at that request's own rate.
            request = (
                None
                if transfer.payment_id is None
                else await self._repo.get_in(tx, transfer.payment_id)
            )
            credited = (
                conversion.back(transfer.amount)
                if request is None
                else self._worth(request, transfer.amount)
            )
            if credited <= 0:
                return NoRate(VND)
            await self._repo.decide_transfer(
                tx, transfer_id, TransferStatus.CREDITED, admin_id, admin_name, user_id, credited
            )
            if request is not None and request.user_id == user_id:
                await self._repo.move(tx, request.id, [PaymentStatus.PENDING], PaymentStatus.PAID)
                await self._repo.add_credited(tx, request.id, credited)
            entry = await self._crediting.credit(
                tx,
                user_id,
                credited,
                Method.BANK,
                transfer.sepay_id,
                shop_currency,
                lambda entry, language: payment_texts.bank_credited(
                    credited,
                    transfer.amount,
                    transfer.amount,
                    entry.balance_after,
                    shop_currency,
                    language,
                ),
            )
        logger.info(
            "Bank transfer %s credited to user %s by admin %s", transfer_id, user_id, admin_id
        )
        return Decided(subject, user_id, credited, entry.balance_after)

    async def ignore_transfer(self, transfer_id: int, admin_id: int, admin_name: str) -> Decision:
        subject = transfer_subject(transfer_id)
        async with self._db.transaction() as tx:
            transfer = self._waiting(
                transfer_id, await self._repo.transfer_by_id_in(tx, transfer_id)
            )
            if not isinstance(transfer, BankTransfer):
                return transfer
            await self._repo.decide_transfer(
                tx, transfer_id, TransferStatus.IGNORED, admin_id, admin_name
            )
        return Decided(subject, None)
