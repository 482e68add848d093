"""Pure Decimal arithmetic on money: markup, prices, refunds. No I/O, never float.

Prices are rounded *up* to the micro-unit (we never sell below cost by a rounding); refunds are
rounded *down* (we never give back more than was paid). The figure shown is the figure charged.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from shop.numbers import AmbiguousNumber, parse_number

MICRO = Decimal("0.000001")
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)
MAX_MARKUP_PERCENT = Decimal(10_000)
MAX_AMOUNT = Decimal(10) ** 12


def round_price(amount: Decimal) -> Decimal:
    return amount.quantize(MICRO, rounding=ROUND_CEILING)


def with_markup(amount: Decimal, markup_percent: Decimal) -> Decimal:
    return round_price(amount * (HUNDRED + markup_percent) / HUNDRED)


def service_price(
    rate: Decimal, quantity: int, markup_percent: Decimal, *, is_package: bool = False
) -> Decimal:
    """`rate` is per 1000 units; a Package's rate is the price of the package."""
    base = rate if is_package else rate * quantity / THOUSAND
    return with_markup(base, markup_percent)


def product_price(rate: Decimal, quantity: int, markup_percent: Decimal) -> Decimal:
    """A product's `rate` is per unit."""
    return with_markup(rate * quantity, markup_percent)


def refund_for_remains(price: Decimal, remains: int | None, quantity: int) -> Decimal:
    """The undelivered share of what the user paid: price x clamp(remains, 0, quantity) / quantity.

    Negative remains (over-delivered) and unknown remains refund nothing.
    """
    if quantity <= 0 or remains is None:
        return Decimal(0)
    undelivered = min(max(remains, 0), quantity)
    return (price * undelivered / quantity).quantize(MICRO, rounding=ROUND_FLOOR)


def parse_plain_decimal(text: str) -> Decimal | None:
    """A number as people type it (shop/numbers.py); None also when it is ambiguous. Signs,
    exponents, "inf" and "NaN" are not numbers a person types."""
    try:
        return parse_number(text)
    except AmbiguousNumber:
        return None


def parse_markup_percent(text: str) -> Decimal | None:
    """'30', '12.5', '30%' -> Decimal; None unless a percentage from 0 to 10,000."""
    value = parse_plain_decimal(text.strip().removesuffix("%"))
    if value is None or value > MAX_MARKUP_PERCENT:
        return None
    return value


def parse_amount(text: str) -> Decimal | None:
    """A positive amount of money (at most 6 decimals, below 10^12), or None."""
    value = parse_plain_decimal(text)
    if value is None or value <= 0 or value >= MAX_AMOUNT:
        return None
    return value
