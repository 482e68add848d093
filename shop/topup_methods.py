"""The top-up methods this shop offers besides Stars, as handlers see them: each is there when
its settings are (None otherwise), and offered when it can price a top-up (a method that needs
an exchange rate nobody set is hidden, and admins are told why, at most hourly)."""

from __future__ import annotations

import time

from shop.alerts import Alerts
from shop.bank_topups import BankTopUps
from shop.catalog import Catalog
from shop.crypto_topups import CryptoTopUps
from shop.manual_topups import ManualTopUps
from shop.method_health import MethodHealth
from shop.payment_texts import admin_method_hidden
from shop.topups import Limits, PayRates, Reviews
from storage.payments import BankTransfer, Method, Payment, PaymentRepository

HIDDEN_ALERT_SECONDS = 3600


class TopUpMethods:
    def __init__(
        self,
        *,
        crypto: CryptoTopUps | None,
        bank: BankTopUps | None,
        manual: ManualTopUps | None,
        rates: PayRates,
        reviews: Reviews,
        repo: PaymentRepository,
        catalog: Catalog,
        alerts: Alerts,
        health: MethodHealth | None = None,
    ) -> None:
        self.crypto = crypto
        self.bank = bank
        self.manual = manual
        self.rates = rates
        self.reviews = reviews
        self._repo = repo
        self._catalog = catalog
        self._alerts = alerts
        self._hidden_told: dict[Method, float] = {}
        self.health = health or MethodHealth()  # each method's calls out, for /healthz

    async def close(self) -> None:
        if self.crypto is not None:
            await self.crypto.client.close()

    @property
    def configured(self) -> list[Method]:
        return [
            service.method
            for service in (self.crypto, self.bank, self.manual)
            if service is not None
        ]

    def limits(self, method: Method) -> Limits:
        service = {Method.CRYPTO: self.crypto, Method.BANK: self.bank, Method.MANUAL: self.manual}[
            method
        ]
        if service is None:
            raise LookupError(f"{method} top-ups are not configured")
        return service.limits

    async def offered(self) -> list[Method]:
        """The configured methods that can take a top-up now, in the order they are shown."""
        offered = []
        for method in self.configured:
            reason = await self.hidden_because(method)
            if reason is None:
                offered.append(method)
            else:
                await self._tell_admins(method, reason)
        return offered

    async def hidden_because(self, method: Method) -> str | None:
        """Why a configured method is not offered (for admins), or None when it is."""
        currency = await self._catalog.currency()
        if method is Method.CRYPTO and self.crypto and await self.crypto.conversion() is None:
            return (
                f"Crypto Pay cannot price invoices in {currency} and no USD rate is set. "
                "Set one with /payrate usd RATE (USD per 1 " + currency + ")."
            )
        if method is Method.BANK and self.bank and await self.bank.conversion() is None:
            return (
                f"the shop sells in {currency} and no VND rate is set. "
                "Set one with /payrate vnd RATE (VND per 1 " + currency + ")."
            )
        return None

    async def _tell_admins(self, method: Method, reason: str) -> None:
        now = time.monotonic()
        if now - self._hidden_told.get(method, -HIDDEN_ALERT_SECONDS) < HIDDEN_ALERT_SECONDS:
            return
        self._hidden_told[method] = now
        names = {Method.CRYPTO: "Crypto Pay", Method.BANK: "Bank transfer", Method.MANUAL: "Manual"}
        await self._alerts.throttled(
            f"topup_hidden:{method.value}", admin_method_hidden(names[method], reason)
        )

    # ---- for /payments --------------------------------------------------------------------------

    async def latest(self, method: Method, limit: int) -> list[Payment]:
        return await self._repo.latest(method, limit)

    async def latest_transfers(self, limit: int) -> list[BankTransfer]:
        return await self._repo.latest_transfers(limit)

    async def payment(self, payment_id: int) -> Payment | None:
        return await self._repo.get(payment_id)
