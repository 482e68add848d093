"""The Crypto Pay API of @CryptoBot (https://help.send.tg/en/articles/10279948-crypto-pay-api).

Calls go to `<url>/<method>` with the app's token in the `Crypto-Pay-API-Token` header and
answer `{"ok": true, "result": ...}` or `{"ok": false, "error": {"code": 400, "name": "..."}}`.
Webhook updates are signed: the `crypto-pay-api-signature` header is the hex HMAC-SHA-256 of
the raw body, keyed with the SHA-256 of the token. The token never reaches a log line, an
exception or a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp

from payments_api import fields
from payments_api.paths import secret_path

logger = logging.getLogger(__name__)

MAIN_URL = "https://pay.crypt.bot/api"
TESTNET_URL = "https://testnet-pay.crypt.bot/api"
TOKEN_HEADER = "Crypto-Pay-API-Token"  # noqa: S105 - a header name
SIGNATURE_HEADER = "crypto-pay-api-signature"
# The fiat currencies an invoice can be priced in (createInvoice `fiat`).
FIATS = frozenset(
    [
        "USD",
        "EUR",
        "RUB",
        "BYN",
        "UAH",
        "GBP",
        "CNY",
        "KZT",
        "UZS",
        "GEL",
        "TRY",
        "AMD",
        "THB",
        "INR",
        "BRL",
        "IDR",
        "AZN",
        "AED",
        "PLN",
        "ILS",
    ]
)
ASSETS = frozenset(["USDT", "TON", "BTC", "ETH", "LTC", "BNB", "TRX", "USDC"])
MAX_IDS = 1000  # getInvoices `count` is at most 1000
MAX_EXPIRES_IN = 2_678_400  # seconds (31 days)


class CryptoPayError(Exception):
    """Crypto Pay refused the call (`ok: false`): its error name, nothing secret."""


class CryptoPayUnavailable(Exception):
    """No clear answer: a network error, a timeout, a 5xx or a body that is not the API's."""


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: int
    status: str  # active, paid, expired
    amount: Decimal  # in `fiat` for fiat invoices, else in `asset`
    fiat: str | None
    asset: str | None
    pay_url: str
    payload: str
    paid_asset: str | None = None
    paid_amount: Decimal | None = None

    @property
    def currency(self) -> str:
        return self.fiat or self.asset or ""


def parse_invoice(raw: Mapping[str, Any]) -> Invoice:
    """An Invoice object of the API; ValueError naming the field when it is not one."""
    status = fields.text(raw, "status", 20)
    if not status:
        raise ValueError("status is missing")
    return Invoice(
        invoice_id=fields.integer_id(raw, "invoice_id"),
        status=status,
        amount=fields.number(raw, "amount"),
        fiat=fields.text(raw, "fiat", 10) or None,
        asset=fields.text(raw, "asset", 10) or None,
        pay_url=(
            fields.text(raw, "bot_invoice_url", 500)
            or fields.text(raw, "mini_app_invoice_url", 500)
            or fields.text(raw, "pay_url", 500)
        ),
        payload=fields.text(raw, "payload", 4096),
        paid_asset=fields.text(raw, "paid_asset", 10) or None,
        paid_amount=fields.optional_number(raw, "paid_amount"),
    )


def signature(token: str, body: bytes) -> str:
    """What Crypto Pay puts in the signature header of a webhook with this body."""
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_ok(token: str, body: bytes, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(signature(token, body), (header or "").lower())


def paid_invoice_in(update: Mapping[str, Any]) -> Invoice | None:
    """The invoice of an `invoice_paid` update (its JSON, read with exact numbers); None for
    any other update type. ValueError naming what is wrong when it is not an update."""
    if not isinstance(update.get("payload"), dict):
        raise ValueError("not a Crypto Pay update: no payload object")
    if update.get("update_type") != "invoice_paid":
        return None
    return parse_invoice(update["payload"])


def plain(amount: Decimal) -> str:
    """An amount as the API takes it: a plain decimal string, never an exponent."""
    return f"{amount.normalize():f}"


class CryptoPayClient:
    def __init__(self, url: str, token: str, *, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0))
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"CryptoPayClient(url={self.url!r})"

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        return signature_ok(self._token, body, header)

    @property
    def webhook_path(self) -> str:
        return secret_path(self._token, "cryptopay")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def create_invoice(
        self,
        *,
        amount: Decimal,
        fiat: str,
        accepted_assets: Sequence[str],
        description: str,
        payload: str,
        expires_in: int,
    ) -> Invoice:
        """An invoice priced in `fiat`, payable in any of `accepted_assets`."""
        result = await self._call(
            "createInvoice",
            {
                "currency_type": "fiat",
                "fiat": fiat,
                "accepted_assets": ",".join(accepted_assets),
                "amount": plain(amount),
                "description": description[:1024],
                "payload": payload,
                "expires_in": min(max(expires_in, 1), MAX_EXPIRES_IN),
                "allow_comments": False,
            },
        )
        if not isinstance(result, dict):
            raise CryptoPayUnavailable("createInvoice answered no invoice")
        return self._invoice(result)

    async def get_invoices(self, invoice_ids: Sequence[int]) -> list[Invoice]:
        found: list[Invoice] = []
        for start in range(0, len(invoice_ids), MAX_IDS):
            chunk = invoice_ids[start : start + MAX_IDS]
            result = await self._call(
                "getInvoices",
                {"invoice_ids": ",".join(str(i) for i in chunk), "count": len(chunk)},
            )
            items = result.get("items") if isinstance(result, dict) else None
            if not isinstance(items, list):
                raise CryptoPayUnavailable("getInvoices answered no items")
            found += [self._invoice(item) for item in items if isinstance(item, dict)]
        return found

    @staticmethod
    def _invoice(raw: Mapping[str, Any]) -> Invoice:
        try:
            return parse_invoice(raw)
        except ValueError as error:
            raise CryptoPayUnavailable(str(error)) from None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        try:
            async with self._http().post(
                f"{self.url}/{method}", json=params, headers={TOKEN_HEADER: self._token}
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise CryptoPayUnavailable(f"{method}: {type(error).__name__}") from None
        try:
            body = json.loads(text, parse_float=Decimal)  # amounts stay exact
        except (ValueError, RecursionError):  # not JSON, or nested past the parser
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            raise CryptoPayUnavailable(f"{method}: HTTP {status}, not an API answer")
        if body["ok"] is True:
            return body.get("result")
        if status >= 500:
            raise CryptoPayUnavailable(f"{method}: HTTP {status}")
        problem = body.get("error")
        name = problem.get("name") if isinstance(problem, dict) else problem
        raise CryptoPayError(f"{method}: {str(name)[:200]}")
