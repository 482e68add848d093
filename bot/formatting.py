"""How numbers and money read: thousands separators, currency, no float artefacts."""

from __future__ import annotations

from decimal import Decimal

# Currencies shown without minor units (125,000 VND).
ZERO_DECIMAL_CURRENCIES = frozenset({"VND", "IDR", "JPY", "KRW", "XTR", "CLP", "UGX"})


def format_number(value: int) -> str:
    return f"{value:,}"


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """2.50 USD, 0.048 USD, 125,000 VND, 0.000123 USD: exact, trailing zeros trimmed."""
    minimum = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    normalized = amount.normalize()
    exponent = normalized.as_tuple().exponent
    decimals = max(minimum, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{amount:,.{decimals}f} {currency}".strip()
