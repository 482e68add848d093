"""What every front door's checkout deals in, whatever it sells: a draft of what a person is
ordering, the bill for it, the outcome of placing it, and `Seller`, the protocol the service
shop (`shop/ordering.py`) and the product shop (`shop/products.py`) both implement.

A draft's `key` names one confirm: it becomes at most one order (UNIQUE draft_key), so a double
press, a retried request or a second tab charges once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, TypeVar

from pydantic import BaseModel, Field

from storage.orders import OrderRecord
from storage.users import User


def new_draft_key() -> str:
    return secrets.token_urlsafe(9)


class Draft(BaseModel):
    """What a person has entered so far of an order; kept between steps."""

    key: str = Field(default_factory=new_draft_key)  # the confirm's: one order per draft
    price: Decimal | None = None  # the price on the confirm card: the only price charged
    via_api: bool = False  # placed by a reseller's key (reseller_api/), followed there


@dataclass(frozen=True, slots=True)
class Bill:
    """What an order would cost a person, against their balance."""

    price: Decimal
    balance: Decimal
    currency: str

    @property
    def balance_after(self) -> Decimal:
        return self.balance - self.price

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), self.price - self.balance)


# ---- outcomes of placing an order -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placed:
    order: OrderRecord
    currency: str


@dataclass(frozen=True, slots=True)
class AlreadyPlaced:
    order: OrderRecord


@dataclass(frozen=True, slots=True)
class NotEnoughBalance:
    quote: Bill


@dataclass(frozen=True, slots=True)
class Refused:
    """The panel refused the order; the money is back on the balance."""

    order: OrderRecord
    reason: str
    # The shop's own panel account is empty: the panel's words would read to the customer
    # as if *their* balance were short, so they are told something else.
    panel_out_of_funds: bool = False
    # No panel could take it (service off, out of range, too dear): not the customer's doing.
    service_unavailable: bool = False


@dataclass(frozen=True, slots=True)
class Held:
    """The panel's answer was ambiguous: the order is unconfirmed, the money held."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class LinkBusy:
    """The person already has an open order of this service for this link (the API's
    one-active-order-per-link rule, which keeps a retried request from ordering twice).
    Nothing was charged."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class ServiceGone:
    """The service was removed or hidden since the person opened it."""


@dataclass(frozen=True, slots=True)
class OutOfStock:
    """The product sold out: nothing was sent to the panel, nothing charged."""


PlaceResult = Placed | AlreadyPlaced | NotEnoughBalance | Refused | Held | ServiceGone | LinkBusy


@dataclass(frozen=True, slots=True)
class PriceChanged:
    """The price moved (markup or panel rate) since the person saw it: nothing was charged."""

    quote: Bill


Placement = PlaceResult | PriceChanged | OutOfStock

DraftT = TypeVar("DraftT", bound=Draft, contravariant=True)
BillT = TypeVar("BillT", bound=Bill, covariant=True)


class Seller(Protocol[DraftT, BillT]):
    """A shop a front door's checkout sells through."""

    async def quote(self, user_id: int, draft: DraftT) -> BillT | None:
        """The bill for the draft as it stands; None when what it orders is gone."""

    async def place(self, user: User, draft: DraftT) -> Placement:
        """Charge once and place the order (at most one order per draft key)."""
