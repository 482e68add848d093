"""Amounts that come from outside (a webhook, an API call), checked before any arithmetic.

`Decimal` does not bound itself: `1e999999` is a finite Decimal whose quantize raises, NaN
compares unequal to everything, and an amount past 9.2 x 10^12 no longer fits SQLite's 64-bit
integer micro-units. So an amount is taken only when it is a finite number, more than zero
(or zero, where that is allowed), at most the door's maximum, with at most `places` decimals:

    amount = parse_amount(data.get("amount"), maximum=Decimal(10_000))  # AmountError: why not
"""

from __future__ import annotations

import re
from decimal import Context, Decimal

# 10^12 units fit the database's micro-units (a 64-bit integer holds 9.2 x 10^12 units).
LARGEST_STORABLE = Decimal(10) ** 12
# A plain decimal as text: digits, optionally a point and decimals; a sign. Never an exponent.
PLAIN_NUMBER = re.compile(r"[+-]?\d{1,20}(?:\.\d{1,20})?", re.ASCII)
_WIDE = Context(prec=60)  # quantize an amount of up to 10^12 to 20 places without a signal


class AmountError(ValueError):
    """Why an amount is refused, in a few words a log line or an HTTP answer can carry (never
    the value itself, which may be anything)."""


def bounded(
    value: Decimal, *, maximum: Decimal, places: int = 6, allow_zero: bool = False
) -> Decimal:
    """`value` when it is an amount we take (see the module's note), else AmountError."""
    if maximum > LARGEST_STORABLE:
        raise ValueError(f"a maximum above {LARGEST_STORABLE} cannot be stored")
    if not value.is_finite():
        raise AmountError("is not a finite number")
    if value < 0:
        raise AmountError("is negative")
    if value == 0 and not allow_zero:
        raise AmountError("is zero")
    if value > maximum:
        raise AmountError(f"is above the maximum of {maximum:f}")
    if value != value.quantize(Decimal(1).scaleb(-places), context=_WIDE):
        raise AmountError(f"has more than {places} decimal places")
    return value


def parse_amount(
    raw: object, *, maximum: Decimal, places: int = 6, allow_zero: bool = False
) -> Decimal:
    """An amount as JSON or a form gives it: an integer, a Decimal (JSON read exactly), or a
    plain decimal string ("12.50"); never a bool, a float, an exponent, NaN or Infinity."""
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise AmountError("is not a number")
    if isinstance(raw, str):
        text = raw.strip()
        if not PLAIN_NUMBER.fullmatch(text):
            raise AmountError("is not a plain decimal number")
        value = Decimal(text)
    elif isinstance(raw, int):
        value = Decimal(raw)
    else:
        value = raw
    return bounded(value, maximum=maximum, places=places, allow_zero=allow_zero)
