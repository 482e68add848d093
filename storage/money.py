"""Money crosses into SQL as integer micro-units (1/1,000,000) and back as Decimal. Never float."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

MICROS_PER_UNIT = 1_000_000
MICRO = Decimal("0.000001")


def to_micros(amount: Decimal) -> int:
    """Exact conversion; an amount finer than a micro-unit is a bug upstream, so it is refused."""
    scaled = amount * MICROS_PER_UNIT
    if scaled != scaled.to_integral_value():
        raise ValueError(f"amount {amount} has more than 6 decimal places")
    return int(scaled)


def to_micros_ceiling(amount: Decimal) -> int:
    """For panel rates, which we must never under-price: round up to the next micro-unit."""
    return int((amount * MICROS_PER_UNIT).to_integral_value(rounding=ROUND_CEILING))


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS_PER_UNIT).quantize(MICRO).normalize() + Decimal("0.00")
