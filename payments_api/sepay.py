"""SePay: its webhook, and its transactions API that finds what the webhook missed.

The webhook (https://developer.sepay.vn/en/sepay-webhooks): one POST per bank transaction, JSON,
`Authorization: Apikey <key>`. SePay retries an answer outside 200-299 seven times over about
33 minutes (https://developer.sepay.vn/en/sepay-webhooks/xu-ly-loi), then marks the delivery
Failed and alerts the account's owner; so the same transaction `id` can arrive more than once,
and a body we refuse (400) is seen by the owner in SePay's delivery log.

The transactions API, as its docs give it (https://developer.sepay.vn/en/sepay-api/v1/api-giao-dich,
the comparison with API v2 at https://developer.sepay.vn/en/sepay-api/v2/nang-cap-tu-v1):
- `GET https://my.sepay.vn/userapi/transactions/list` with `Authorization: Bearer <API token>`
  (Company settings -> API Access). Filters: `account_number`, `transaction_date_min` and
  `_max` (>= and <=; a date, or a date and time as in the docs' example "2023-04-30 08:00:00"),
  `since_id` (ids >= it), `limit` (at most 5000, and 5000 by default: "only the 5000 most
  recent"), `reference_number`, `amount_in`, `amount_out`. No page numbers: a walk goes by
  `since_id` and the dates (shop/bank_reconcile.py).
- It answers `{"status": 200, "error": null, "messages": {"success": true}, "transactions":
  [...]}`, each `{"id": "49682", "bank_brand_name", "account_number", "transaction_date":
  "2023-05-05 19:59:48", "amount_out": "0.00", "amount_in": "18067000.00", "accumulated",
  "transaction_content", "reference_number", "code", "sub_account", "bank_account_id"}`.
- Against the webhook: `amount_in` / `amount_out` (strings with 2 decimals) instead of
  `transferType` + `transferAmount`, `transaction_content` for `content`,
  `reference_number` for `referenceCode`, `bank_brand_name` for `gateway`,
  `transaction_date` for `transactionDate`; the `id` is the same number (as a string), which
  is what makes a transfer credited once whichever way it came. API v2 (userapi.sepay.vn/v2)
  has UUIDs instead, so this client uses the legacy API, which SePay keeps working.
- A refused token gets HTTP 200 with an empty body; errors of the request HTTP 200 too; more
  than 3 calls a second HTTP 429 (`x-sepay-userapi-retry-after`). The order of the list is not
  documented: nothing here relies on it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp

from payments_api import fields

AUTH_SCHEME = "apikey"


@dataclass(frozen=True, slots=True)
class Transaction:
    id: str
    amount: Decimal  # transferAmount, in VND
    incoming: bool  # transferType "in"
    content: str
    code: str  # the payment code SePay recognised itself ("" when none)
    gateway: str
    account_number: str
    reference: str  # the bank's reference (referenceCode)
    date: str


# A transaction's text fields: (at most this long, the webhook's name, the list's name).
TEXT_FIELDS = {
    "content": (1000, "content", "transaction_content"),
    "code": (64, "code", "code"),
    "gateway": (100, "gateway", "bank_brand_name"),
    "account_number": (64, "accountNumber", "account_number"),
    "reference": (100, "referenceCode", "reference_number"),
    "date": (40, "transactionDate", "transaction_date"),
}


def texts(data: Mapping[str, Any], *, listed: bool) -> dict[str, str]:
    """The text fields of a transaction from the webhook, or (`listed`) from the list."""
    return {
        field: fields.text(data, listed_name if listed else name, limit)
        for field, (limit, name, listed_name) in TEXT_FIELDS.items()
    }


def api_key_ok(key: str, header: str | None) -> bool:
    """`Authorization: Apikey KEY`, the scheme in any case."""
    scheme, _, given = (header or "").strip().partition(" ")
    return (
        bool(key)
        and scheme.lower() == AUTH_SCHEME
        and hmac.compare_digest(given.strip().encode(), key.encode())
    )


def parse_transaction(data: Mapping[str, Any]) -> Transaction:
    """A SePay transaction from its webhook's JSON (read with exact numbers); ValueError naming
    the field that is missing or of the wrong type. The amount is only converted here: whether
    the shop takes it is shop/bank_topups.py's rule."""
    transfer_type = data.get("transferType")
    if transfer_type not in ("in", "out"):
        raise ValueError('transferType is not "in" or "out"')
    return Transaction(
        id=fields.text_id(data, "id"),
        amount=fields.number(data, "transferAmount"),
        incoming=transfer_type == "in",
        **texts(data, listed=False),
    )


# ---- the transactions API: what the webhook may have missed -------------------------------------

API_URL = "https://my.sepay.vn/userapi"
LIST_PATH = "/transactions/list"
MAX_LIMIT = 5000  # the API's own maximum and default
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # Vietnam time, as the API shows and filters dates
DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # 5,000 transactions of ~500 bytes, and room


class SePayApiError(Exception):
    """The API gave no usable answer: not reached, timed out, an HTTP error, HTML, an empty body
    (how the legacy API refuses a token), or JSON that is not a transactions list. The text says
    which in a few words and never carries the token."""


def parse_listed(raw: Mapping[str, Any]) -> Transaction:
    """A transaction as the list gives it, in the webhook's terms (the same `id`); ValueError
    naming the field that is missing or of the wrong type. Amounts are only converted here, as
    the webhook's are: whether the shop takes one is shop/bank_topups.py's rule."""
    transaction_id = fields.text_id(raw, "id")
    if not transaction_id.isdigit():  # the legacy API's ids are numbers, given as strings
        raise ValueError("id is not a transaction id")
    amount_in = fields.optional_number(raw, "amount_in") or Decimal(0)
    amount_out = fields.optional_number(raw, "amount_out") or Decimal(0)
    incoming = amount_in > 0
    return Transaction(
        id=transaction_id,
        amount=amount_in if incoming else amount_out,
        incoming=incoming,
        **texts(raw, listed=True),
    )


class SePayApi:
    """SePay's transactions API (the legacy user API: its ids are the webhook's ids, where API v2
    has UUIDs of its own). `Authorization: Bearer <API token>`."""

    def __init__(
        self, url: str, token: str, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def transactions(
        self,
        *,
        account_number: str = "",
        since_id: int | None = None,
        date_min: str | None = None,
        date_max: str | None = None,
        limit: int = MAX_LIMIT,
    ) -> list[Transaction]:
        """One call of `GET /transactions/list`: at most `limit` transactions with an id of at
        least `since_id`, dated from `date_min` to `date_max` (DATE_FORMAT), of one account.
        SePayApiError when the answer is not a list of transactions."""
        query: dict[str, str] = {"limit": str(max(1, min(limit, MAX_LIMIT)))}
        if account_number:
            query["account_number"] = account_number
        if since_id is not None:
            query["since_id"] = str(since_id)
        if date_min:
            query["transaction_date_min"] = date_min
        if date_max:
            query["transaction_date_max"] = date_max
        body = await self._get(LIST_PATH, query)
        rows = body.get("transactions")
        if body.get("status") != 200 or body.get("error") or not isinstance(rows, list):
            raise SePayApiError("the answer is not a transactions list")
        listed = []
        for row in rows:
            try:
                if not isinstance(row, dict):
                    raise ValueError("it is not an object")
                listed.append(parse_listed(row))
            except ValueError as error:
                raise SePayApiError(f"a listed transaction is malformed: {error}") from None
        return listed

    async def _get(self, path: str, query: Mapping[str, str]) -> Mapping[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            async with self._session.get(self.url + path, params=query, headers=headers) as answer:
                status = answer.status
                raw = await answer.content.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError:
            raise SePayApiError("no answer in time") from None
        except aiohttp.ClientError as error:
            raise SePayApiError(f"not reached ({type(error).__name__})") from None
        if status == 429:
            raise SePayApiError("HTTP 429, too many requests")
        if status != 200:
            raise SePayApiError(f"HTTP {status}")
        if not raw.strip():
            raise SePayApiError("HTTP 200 with an empty body (is SEPAY_API_TOKEN right?)")
        if len(raw) > MAX_ANSWER_BYTES:
            raise SePayApiError("the answer is too large")
        try:
            body = json.loads(raw, parse_float=Decimal)
        except (ValueError, RecursionError):  # HTML, not UTF-8, or nested past the parser
            raise SePayApiError("HTTP 200, not JSON") from None
        if not isinstance(body, dict):
            raise SePayApiError("HTTP 200, not a JSON object")
        return body
