"""Fields of a payment provider's JSON, read by type: a field of the wrong type is a ValueError
naming the field (the webhook answers 400 with it), never a str() of whatever came.

Numbers are only converted here (an integer, a Decimal from JSON read exactly, or a numeric
string), finite and within 1e-40 .. 1e40; whether an amount is one the shop takes is the
shop's rule (shop/amounts.py), checked before any arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_EXPONENT = 40
MAX_ID = 2**63 - 1  # what SQLite's integers hold


def number(data: Mapping[str, Any], name: str) -> Decimal:
    raw = data.get(name)
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise ValueError(f"{name} is not a number")
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise ValueError(f"{name} is not a number") from None
    if not value.is_finite() or (value and abs(value.adjusted()) > MAX_EXPONENT):
        raise ValueError(f"{name} is out of range")
    return value


def optional_number(data: Mapping[str, Any], name: str) -> Decimal | None:
    return None if data.get(name) in (None, "") else number(data, name)


def text(data: Mapping[str, Any], name: str, max_length: int) -> str:
    """A string field, cut to `max_length`; missing or null reads as ""."""
    raw = data.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"{name} is not text")
    return raw[:max_length]


def integer_id(data: Mapping[str, Any], name: str) -> int:
    """A positive integer id that the database can hold."""
    raw = data.get(name)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_ID:
        raise ValueError(f"{name} is not an id")
    return raw


def text_id(data: Mapping[str, Any], name: str, max_length: int = 64) -> str:
    """An id given as a positive integer or as non-empty text (kept as text)."""
    raw = data.get(name)
    if isinstance(raw, str) and 0 < len(raw.strip()) <= max_length:
        return raw.strip()
    return str(integer_id(data, name))
