"""SePay's webhook (https://developer.sepay.vn/en/sepay-webhooks): one POST per bank
transaction, JSON, `Authorization: Apikey <key>`. SePay retries until it gets a 2xx answer with
`{"success": true}`, so the same transaction `id` can arrive more than once.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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


def api_key_ok(key: str, header: str | None) -> bool:
    """`Authorization: Apikey KEY`, the scheme in any case."""
    scheme, _, given = (header or "").strip().partition(" ")
    return (
        bool(key)
        and scheme.lower() == AUTH_SCHEME
        and hmac.compare_digest(given.strip().encode(), key.encode())
    )


def parse_transaction(body: bytes) -> Transaction:
    """ValueError when the body is not a SePay transaction."""
    try:
        raw = json.loads(body)
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        amount = Decimal(str(raw["transferAmount"]))
        transaction_id = str(raw["id"]).strip()
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, InvalidOperation, ValueError):
        raise ValueError("not a SePay transaction") from None
    if not transaction_id or len(transaction_id) > 64 or not amount.is_finite():
        raise ValueError("not a SePay transaction")
    return Transaction(
        id=transaction_id,
        amount=amount,
        incoming=str(raw.get("transferType", "")).lower() == "in",
        content=str(raw.get("content") or "")[:1000],
        code=str(raw.get("code") or "")[:64],
        gateway=str(raw.get("gateway") or "")[:100],
        account_number=str(raw.get("accountNumber") or "")[:64],
        reference=str(raw.get("referenceCode") or "")[:100],
        date=str(raw.get("transactionDate") or "")[:40],
    )
