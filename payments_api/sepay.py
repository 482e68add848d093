"""SePay's webhook (https://developer.sepay.vn/en/sepay-webhooks): one POST per bank
transaction, JSON, `Authorization: Apikey <key>`. SePay retries an answer outside 200-299 seven
times over about 33 minutes (https://developer.sepay.vn/en/sepay-webhooks/xu-ly-loi), then marks
the delivery Failed and alerts the account's owner; so the same transaction `id` can arrive
more than once, and a body we refuse (400) is seen by the owner in SePay's delivery log.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
        content=fields.text(data, "content", 1000),
        code=fields.text(data, "code", 64),
        gateway=fields.text(data, "gateway", 100),
        account_number=fields.text(data, "accountNumber", 64),
        reference=fields.text(data, "referenceCode", 100),
        date=fields.text(data, "transactionDate", 40),
    )
