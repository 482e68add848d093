"""What a simulated panel keeps of each order, refill and product order. ``outcome*`` is
decided when the item is created; the rest is what the API shows now."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

FINAL_ORDER: Final = frozenset({"completed", "partial", "canceled"})
FINAL_REFILL: Final = frozenset({"completed", "rejected"})


@dataclass(slots=True)
class SimOrder:
    """A service order."""

    id: int
    service: int
    link: str
    quantity: int  # for drip-feed, the total: quantity per run x runs
    full_charge: Decimal  # what was debited at creation
    charge: Decimal  # what the panel keeps now (less after Partial / Canceled)
    outcome: str  # "Completed", "Partial" or "Canceled"
    outcome_remains: int
    real_start_count: int
    anchor: float  # when the last timed step happened
    status: str = "Pending"
    start_count: str = "0"
    remains: str = ""
    frozen: bool = False  # set_order() was used: time no longer moves it
    runs: int | None = None  # drip-feed only
    interval: int | None = None  # drip-feed only, minutes
    cancel_requested: bool = False  # the next step ends it Canceled (or Partial)

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in FINAL_ORDER


@dataclass(slots=True)
class SimRefill:
    id: int
    order: int
    outcome: str  # "Completed" or "Rejected"
    anchor: float
    status: str = "Pending"
    frozen: bool = False

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in FINAL_REFILL


@dataclass(slots=True)
class SimProductOrder:
    id: int
    product: int
    quantity: int
    require: str | None
    charge: Decimal
    outcome: str  # "Completed", "Partial" or "Canceled"
    outcome_remains: int
    anchor: float
    status: str = "Pending"
    remains: int | None = None
    result: str | None = None
    note: str | None = None
    frozen: bool = False

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in FINAL_ORDER
