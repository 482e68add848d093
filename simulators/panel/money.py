"""The panel's balance and how it rounds charges: Decimal throughout."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final

from simulators.panel.errors import ERR_FUNDS, Refusal

CHARGE_STEP: Final = Decimal("0.00001")
BALANCE_STEP: Final = Decimal("0.0001")


def round_charge(value: Decimal) -> Decimal:
    """A charge as the panel rounds it: five places, half up."""
    return value.quantize(CHARGE_STEP, rounding=ROUND_HALF_UP)


def share(full_charge: Decimal, delivered: int, quantity: int) -> Decimal:
    """What the panel keeps of ``full_charge`` when ``delivered`` of ``quantity`` came."""
    return round_charge(full_charge * delivered / quantity)


class Wallet:
    """The reseller's balance on this panel: debited when an order is taken, refunded by the
    panel itself when an order ends with less than it charged."""

    def __init__(self, balance: Decimal) -> None:
        self.balance = Decimal(balance)

    def debit(self, amount: Decimal) -> None:
        if amount > self.balance:
            raise Refusal(ERR_FUNDS)
        self.balance -= amount

    def recharge(self, old: Decimal, new: Decimal) -> Decimal:
        """An order's charge changes from ``old`` to ``new``: the difference comes back (or is
        taken). Returns ``new``."""
        self.balance += old - new
        return new

    def text(self) -> str:
        """The balance as panels write it: four places, cut down, as a string."""
        return format(self.balance.quantize(BALANCE_STEP, rounding=ROUND_DOWN), "f")
