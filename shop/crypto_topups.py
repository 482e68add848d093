"""Top-ups through Crypto Pay (@CryptoBot): the rules.

- The payment row is written first, then the invoice is created (priced in the shop's currency
  when Crypto Pay has it as a fiat, else in USD at the admins' /payrate), payable in the assets
  of CRYPTO_PAY_ASSETS, expiring after CRYPTO_PAY_EXPIRES_MINUTES. Its payload names the row.
- A paid invoice is learned from the webhook and from polling getInvoices for the open ones.
  Either, both at once, or one delivered twice: the payment's state moves to paid and the
  ledger row (kind "topup_crypto", reference = the invoice id) is written in one transaction,
  so the first one credits and the others find it done.
- An invoice the shop did not open, or whose price is not the one it asked, credits nothing:
  admins are told (at most hourly per invoice).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from payments_api.cryptopay import FIATS, CryptoPayClient, CryptoPayError, CryptoPayUnavailable
from payments_api.cryptopay import Invoice as CryptoInvoice
from shop import payment_texts
from shop.books import Books
from shop.catalog import Catalog
from shop.topups import (
    Conversion,
    Crediting,
    Limits,
    PayRates,
    create_payment,
    expire_pending,
)
from storage.db import Transaction
from storage.errors import DuplicateEntry
from storage.money import to_micros
from storage.payments import Method, NewPayment, Payment, PaymentRepository, PaymentStatus

logger = logging.getLogger(__name__)

CODE_PREFIX = "CP"
PAYLOAD_PREFIX = "payment:"
POLL_BATCH = 1000
UNPAID = (PaymentStatus.PENDING, PaymentStatus.EXPIRED, PaymentStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Opened:
    payment: Payment
    pay_url: str


@dataclass(frozen=True, slots=True)
class NotOpened:
    """Crypto Pay refused or did not answer: nothing to pay; `reason` is for the log."""

    reason: str


@dataclass(frozen=True, slots=True)
class CryptoCredited:
    payment: Payment
    balance: Decimal


@dataclass(frozen=True, slots=True)
class CryptoAlreadyCredited:
    payment_id: int


@dataclass(frozen=True, slots=True)
class CryptoNotOurs:
    """Not an invoice the shop opened, or not at its price: admins told, nothing credited."""

    invoice_id: int


CryptoResult = CryptoCredited | CryptoAlreadyCredited | CryptoNotOurs


class CryptoTopUps:
    method = Method.CRYPTO

    def __init__(
        self,
        books: Books,
        catalog: Catalog,
        client: CryptoPayClient,
        rates: PayRates,
        crediting: Crediting,
        repo: PaymentRepository,
        *,
        assets: Sequence[str],
        limits: Limits,
        expires_minutes: int,
        poll_seconds: float,
    ) -> None:
        self._db = books.db
        self._books = books
        self._catalog = catalog
        self.client = client
        self._rates = rates
        self._crediting = crediting
        self._repo = repo
        self.assets = tuple(assets)
        self.limits = limits
        self._expires_seconds = expires_minutes * 60
        self._poll_seconds = poll_seconds

    # ---- opening an invoice -------------------------------------------------------------------

    async def conversion(self) -> Conversion | None:
        """The invoice's fiat: the shop's currency if Crypto Pay prices in it, else USD at the
        admins' rate; None when neither (the method is hidden)."""
        currency = await self._catalog.currency()
        if currency in FIATS:
            return Conversion(currency, Decimal(1))
        return await self._rates.conversion(currency, "USD")

    async def open_invoice(self, user_id: int, amount: Decimal) -> Opened | NotOpened | None:
        """None when no rate converts the shop's currency (nothing was written)."""
        if not self.limits.allows(amount):
            raise ValueError(f"crypto top-up amount {amount} out of range")
        conversion = await self.conversion()
        if conversion is None:
            return None
        currency = await self._catalog.currency()
        payment = await create_payment(
            self._repo,
            CODE_PREFIX,
            lambda code: NewPayment(
                Method.CRYPTO,
                user_id,
                amount,
                currency,
                conversion.ask(amount),
                conversion.currency,
                code,
            ),
        )
        try:
            invoice = await self.client.create_invoice(
                amount=payment.pay_amount,
                fiat=payment.pay_currency,
                accepted_assets=self.assets,
                description=f"Balance top-up {payment.code}",
                payload=f"{PAYLOAD_PREFIX}{payment.id}",
                expires_in=self._expires_seconds,
            )
        except (CryptoPayError, CryptoPayUnavailable) as error:
            logger.warning("Crypto Pay invoice for payment %s not opened: %s", payment.id, error)
            async with self._db.transaction() as tx:
                await self._repo.move(tx, payment.id, [PaymentStatus.PENDING], PaymentStatus.FAILED)
            return NotOpened(str(error))
        expires_at = int(time.time()) + self._expires_seconds
        await self._repo.attach_invoice(
            payment.id, str(invoice.invoice_id), invoice.pay_url, expires_at
        )
        opened = await self._repo.get(payment.id)
        assert opened is not None
        logger.info("Crypto Pay invoice %s opened for payment %s", invoice.invoice_id, payment.id)
        return Opened(opened, invoice.pay_url)

    # ---- a paid invoice (webhook or polling) --------------------------------------------------

    async def on_paid(self, invoice: CryptoInvoice) -> CryptoResult:
        shop_currency = await self._catalog.currency()
        try:
            async with self._db.transaction() as tx:
                payment = await self._payment_of(tx, invoice)
                problem = self._problem(invoice, payment)
                if problem is not None or payment is None:
                    await self._not_ours(tx, invoice, problem or "it names no top-up")
                    return CryptoNotOurs(invoice.invoice_id)
                if not await self._repo.move(
                    tx, payment.id, UNPAID, PaymentStatus.PAID, credited=to_micros(payment.amount)
                ):
                    return CryptoAlreadyCredited(payment.id)
                paid = self._paid_text(invoice, payment)
                entry = await self._crediting.credit(
                    tx,
                    payment.user_id,
                    payment.amount,
                    Method.CRYPTO,
                    str(invoice.invoice_id),
                    shop_currency,
                    lambda entry, language: payment_texts.crypto_credited(
                        payment.amount, paid, entry.balance_after, payment.currency, language
                    ),
                )
        except DuplicateEntry:  # defence in depth: the ledger has this invoice already
            return CryptoAlreadyCredited(0)
        logger.info("Crypto Pay invoice %s credited (payment %s)", invoice.invoice_id, payment.id)
        return CryptoCredited(payment, entry.balance_after)

    async def _payment_of(self, tx: Transaction, invoice: CryptoInvoice) -> Payment | None:
        payment = await self._repo.by_provider_id_in(tx, Method.CRYPTO, str(invoice.invoice_id))
        if payment is not None:
            return payment
        # Opened, but the bot stopped before it wrote the invoice's id: the payload names it.
        number = invoice.payload.removeprefix(PAYLOAD_PREFIX)
        if not invoice.payload.startswith(PAYLOAD_PREFIX) or not number.isdigit():
            return None
        payment = await self._repo.get_in(tx, int(number[:18]))
        if payment is None or payment.method is not Method.CRYPTO or payment.provider_id:
            return None
        await self._repo.set_provider_id(tx, payment.id, str(invoice.invoice_id))
        return payment

    @staticmethod
    def _problem(invoice: CryptoInvoice, payment: Payment | None) -> str | None:
        if payment is None:
            return None
        if invoice.fiat != payment.pay_currency or invoice.amount != payment.pay_amount:
            return (
                f"its price ({invoice.amount} {invoice.currency}) is not the one asked for "
                f"payment #{payment.id} ({payment.pay_amount} {payment.pay_currency})"
            )
        return None

    @staticmethod
    def _paid_text(invoice: CryptoInvoice, payment: Payment) -> str:
        if invoice.paid_amount is not None and invoice.paid_asset:
            return f"{invoice.paid_amount.normalize():f} {invoice.paid_asset}"
        return f"{payment.pay_amount.normalize():f} {payment.pay_currency}"

    async def _not_ours(self, tx: Transaction, invoice: CryptoInvoice, why: str) -> None:
        logger.warning("Crypto Pay invoice %s paid but not credited: %s", invoice.invoice_id, why)
        await self._books.alerts.throttled_in(
            tx,
            f"crypto_invoice:{invoice.invoice_id}",
            payment_texts.admin_invoice_not_ours(
                invoice.invoice_id, invoice.amount, invoice.currency, why
            ),
        )

    async def on_expired(self, invoice: CryptoInvoice) -> bool:
        """True when this expiry closed an open payment (the person is told)."""
        async with self._db.transaction() as tx:
            payment = await self._repo.by_provider_id_in(tx, Method.CRYPTO, str(invoice.invoice_id))
            return payment is not None and await expire_pending(
                self._books, self._repo, tx, payment
            )

    # ---- polling ------------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Ask Crypto Pay about every open invoice; -> how many were paid or expired now."""
        open_payments = await self._repo.open_invoices(POLL_BATCH)
        ids = [
            int(p.provider_id) for p in open_payments if p.provider_id and p.provider_id.isdigit()
        ]
        if not ids:
            return 0
        changed = 0
        for invoice in await self.client.get_invoices(ids):
            if invoice.status == "paid":
                changed += isinstance(await self.on_paid(invoice), CryptoCredited)
            elif invoice.status == "expired":
                changed += await self.on_expired(invoice)
        return changed

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except (CryptoPayError, CryptoPayUnavailable) as error:
                logger.warning("Crypto Pay polling failed: %s", error)
            except Exception:
                logger.exception("Crypto Pay polling crashed")
            await asyncio.sleep(self._poll_seconds)
