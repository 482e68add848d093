"""How numbers and money read: thousands separators, currency, no float artefacts."""

from __future__ import annotations

import html
from decimal import Decimal
from functools import cache

from babel.core import UnknownLocaleError
from babel.numbers import get_decimal_symbol, get_group_symbol

from shop.i18n import current_language

DEFAULT_LOCALE = "en"
# Russian groups digits with a narrow no-break space (1 234,50): it never breaks a number apart.
NARROW_NBSP = "\u202f"
# (thousands separator, decimal mark) per language; other languages take Babel's (CLDR) symbols.
SEPARATORS = {"en": (",", "."), "ru": (NARROW_NBSP, ","), "vi": (".", ",")}

# Currencies shown without minor units (125,000 VND).
ZERO_DECIMAL_CURRENCIES = frozenset({"VND", "IDR", "JPY", "KRW", "XTR", "CLP", "UGX"})


def quote(text: str) -> str:
    """Text from a person or the panel, made safe inside an HTML message."""
    return html.escape(text, quote=False)


def plain_number(value: Decimal) -> str:
    """A rate or percentage as people write it: 50, 45.5, 1,000."""
    return f"{value.normalize():,f}"


@cache
def separators(locale: str) -> tuple[str, str]:
    """(thousands separator, decimal mark) of a language."""
    if locale in SEPARATORS:
        return SEPARATORS[locale]
    try:
        return get_group_symbol(locale), get_decimal_symbol(locale)
    except (UnknownLocaleError, ValueError):  # a name Babel does not know
        return SEPARATORS[DEFAULT_LOCALE]


def localize(formatted: str) -> str:
    """Python's '1,234.5' with the current language's separators: 1 234,5 or 1.234,5."""
    group, decimal = separators(current_language())
    return formatted.translate({ord(","): group, ord("."): decimal})


def format_number(value: int) -> str:
    return localize(f"{value:,}")


def format_money(amount: Decimal, currency: str = "USD") -> str:
    """2.50 USD, 0.048 USD, 125,000 VND, 0.000123 USD: exact, trailing zeros trimmed; the
    separators are the current language's (ru 1 234,50 USD, vi 1.234,50 USD)."""
    minimum = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    normalized = amount.normalize()
    exponent = normalized.as_tuple().exponent
    decimals = max(minimum, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{localize(f'{amount:,.{decimals}f}')} {currency}".strip()
