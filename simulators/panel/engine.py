"""The order engine: service orders taken on `add`, moved Pending -> In progress -> a final
status (Completed, Partial or Canceled) by time or ``advance()``, and canceled on request.

A cancel is a request: the order turns Canceled (or Partial, when it was already in progress)
at its next step, and the panel refunds itself then.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Final

from simulators.panel.errors import (
    ERR_ACTIVE,
    ERR_CANCEL_DISABLED,
    ERR_NOT_CANCELABLE,
    ERR_ORDER,
    Refusal,
)
from simulators.panel.fate import Fate
from simulators.panel.money import Wallet, round_charge, share
from simulators.panel.records import SimOrder
from simulators.panel.shelf import Service, Shelf
from simulators.panel.timeline import Timeline
from simulators.panel.values import decimal, integer, parse_id, plain

FIRST_ORDER_ID: Final = 1000


class OrderEngine:
    def __init__(
        self, timeline: Timeline, fate: Fate, wallet: Wallet, shelf: Shelf, currency: str
    ) -> None:
        self._timeline = timeline
        self._fate = fate
        self._wallet = wallet
        self._shelf = shelf
        self._currency = currency
        self.orders: dict[int, SimOrder] = {}
        self._active_links: dict[tuple[int, str], int] = {}
        self._next_id = FIRST_ORDER_ID

    def place(
        self, service: Service, link: str, quantity: int, drip: tuple[int, int] | None
    ) -> SimOrder:
        """Take an order whose fields were read: ``quantity`` is the total over every run;
        ``drip`` is (runs, interval) for drip-feed."""
        active_id = self._active_links.get((service.id, link))
        if active_id is not None:
            active = self.orders[active_id]
            self.refresh(active)
            if not active.is_final:
                raise Refusal(ERR_ACTIVE)
        package = service.kind == "package"
        price = service.rate if package else round_charge(service.rate * quantity / 1000)
        self._wallet.debit(price)
        outcome, outcome_remains = self._fate.outcome(quantity, may_overdeliver=True)
        order = SimOrder(
            id=self._next_id,
            service=service.id,
            link=link,
            quantity=quantity,
            full_charge=price,
            charge=price,
            outcome=outcome,
            outcome_remains=outcome_remains,
            real_start_count=self._fate.start_count(),
            anchor=self._timeline.now(),
            remains=str(quantity),
            runs=None if drip is None else drip[0],
            interval=None if drip is None else drip[1],
        )
        self._next_id += 1
        self.orders[order.id] = order
        self._active_links[(service.id, link)] = order.id
        return order

    def find(self, raw_id: str) -> SimOrder:
        """The order a request names, brought up to date."""
        order_id = parse_id(raw_id)
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None:
            raise Refusal(ERR_ORDER)
        self.refresh(order)
        return order

    def view(self, raw_id: str) -> dict[str, str]:
        """What `status` shows of one order."""
        order = self.find(raw_id)
        view = {
            "charge": plain(order.charge),
            "start_count": order.start_count,
            "status": order.status,
            "remains": order.remains,
            "currency": self._currency,
        }
        if order.runs is not None:  # drip-feed panels add the runs; clients ignore what they
            view["runs"] = str(order.runs)  # do not know, and remains counts every run
        return view

    def request_cancel(self, raw_id: str) -> None:
        order = self.find(raw_id)
        if not self._shelf.service(order.service).cancel:
            raise Refusal(ERR_CANCEL_DISABLED)
        if order.is_final or order.cancel_requested:
            raise Refusal(ERR_NOT_CANCELABLE)
        order.cancel_requested = True

    def set_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | str | None = None,
        start_count: int | str | None = None,
        charge: Decimal | str | None = None,
    ) -> None:
        """Force what ``status`` shows for an order; it then stops moving with time.

        Without ``charge``, Canceled charges 0 and Partial charges the delivered share. The
        panel balance is credited (or debited) with the change of charge.
        """
        order = self.orders[order_id]
        self.refresh(order)
        order.frozen = True
        if status is not None:
            order.status = status
        if remains is not None:
            order.remains = str(remains)
        if start_count is not None:
            order.start_count = str(start_count)
        new_charge = order.charge
        if charge is not None:
            new_charge = decimal(charge)
        elif status is not None and status.casefold() == "canceled":
            new_charge = Decimal(0)
        elif status is not None and status.casefold() == "partial":
            with contextlib.suppress(ValueError):
                left = min(max(integer(order.remains), 0), order.quantity)
                new_charge = share(order.full_charge, order.quantity - left, order.quantity)
        order.charge = self._wallet.recharge(order.charge, new_charge)

    def advance(self, steps: int) -> None:
        for order in self.orders.values():
            self.refresh(order)
            for _ in range(steps):
                self._step(order)

    def refresh(self, order: SimOrder) -> None:
        for _ in range(self._timeline.due_steps(order)):
            self._step(order)

    def _step(self, order: SimOrder) -> None:
        if order.is_final:
            return
        if order.cancel_requested:
            self._finish_canceled(order)
            return
        if order.status == "Pending":
            order.status = "In progress"
            order.start_count = str(order.real_start_count)
            order.remains = str((order.quantity + 1) // 2)
            return
        order.status = order.outcome
        order.remains = str(order.outcome_remains)
        delivered = order.quantity - max(order.outcome_remains, 0)
        new_charge = share(order.full_charge, delivered, order.quantity)
        order.charge = self._wallet.recharge(order.charge, new_charge)

    def _finish_canceled(self, order: SimOrder) -> None:
        """A canceled order that had not started delivers nothing: Canceled, remains = quantity,
        charge 0. One already in progress keeps what it delivered, as real panels do: Partial."""
        left = order.quantity
        if order.status.casefold() not in {"pending", "processing"}:
            with contextlib.suppress(ValueError):
                left = min(max(integer(order.remains), 0), order.quantity)
        delivered = order.quantity - left
        order.status = "Partial" if delivered else "Canceled"
        order.remains = str(left)
        new_charge = share(order.full_charge, delivered, order.quantity)
        order.charge = self._wallet.recharge(order.charge, new_charge)
