"""Product orders (digital goods: accounts, codes): charged rate x quantity, taken from the
product's stock, and delivered as a result of one code a line (or Partial, or Canceled with a
note); undelivered units go back to the stock and their share of the charge to the balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from simulators.panel.errors import ERR_ORDER, ERR_OUT_OF_STOCK, Refusal
from simulators.panel.fate import Fate
from simulators.panel.money import Wallet, round_charge, share
from simulators.panel.records import SimProductOrder
from simulators.panel.shelf import Shelf
from simulators.panel.timeline import Timeline
from simulators.panel.values import decimal, integer, parse_id

FIRST_PRODUCT_ORDER_ID: Final = 7000


class ProductOrders:
    def __init__(self, timeline: Timeline, fate: Fate, wallet: Wallet, shelf: Shelf) -> None:
        self._timeline = timeline
        self._fate = fate
        self._wallet = wallet
        self._shelf = shelf
        self.orders: dict[int, SimProductOrder] = {}
        self._next_id = FIRST_PRODUCT_ORDER_ID

    def place(self, product: dict[str, Any], quantity: int, require: str | None) -> int:
        """Take an order whose fields were read (the quantity within the product's bounds)."""
        inventory = product.get("inventory")
        if inventory is not None and integer(inventory) < quantity:
            raise Refusal(ERR_OUT_OF_STOCK)
        price = round_charge(decimal(product["rate"]) * quantity)
        self._wallet.debit(price)
        product_id = integer(product["product"])
        if inventory is not None:
            self._shelf.set_product_stock(product_id, integer(inventory) - quantity)
        outcome, outcome_remains = self._fate.outcome(quantity, may_overdeliver=False)
        order = SimProductOrder(
            id=self._next_id,
            product=product_id,
            quantity=quantity,
            require=require if product.get("require") else None,
            charge=price,
            outcome=outcome,
            outcome_remains=outcome_remains,
            anchor=self._timeline.now(),
        )
        self._next_id += 1
        self.orders[order.id] = order
        return order.id

    def view(self, raw_id: str) -> dict[str, object]:
        """What `product_order_status` shows of one order."""
        order_id = parse_id(raw_id)
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None:
            raise Refusal(ERR_ORDER)
        self.refresh(order)
        view: dict[str, object] = {"charge": order.charge, "status": order.status}
        if order.remains is not None:
            view["remains"] = order.remains
        if order.result is not None:
            view["result"] = order.result
        if order.note is not None:
            view["note"] = order.note
        return view

    def set_product_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        """Force what ``product_order_status`` shows; the order then stops moving with time."""
        order = self.orders[order_id]
        self.refresh(order)
        order.frozen = True
        if status is not None:
            order.status = status
            if status.casefold() == "canceled":
                order.charge = self._wallet.recharge(order.charge, Decimal(0))
                order.result = order.remains = None
        if remains is not None:
            order.remains = remains
        if result is not None:
            order.result = result
        if note is not None:
            order.note = note

    def advance(self, steps: int) -> None:
        for order in self.orders.values():
            self.refresh(order)
            for _ in range(steps):
                self._step(order)

    def refresh(self, order: SimProductOrder) -> None:
        for _ in range(self._timeline.due_steps(order)):
            self._step(order)

    def _step(self, order: SimProductOrder) -> None:
        if order.is_final:
            return
        if order.status == "Pending":
            order.status = "In progress"
            return
        order.status = order.outcome
        undelivered = order.outcome_remains
        delivered = order.quantity - undelivered
        if undelivered:
            self._shelf.restock(order.product, undelivered)
            new_charge = share(order.charge, delivered, order.quantity)
            order.charge = self._wallet.recharge(order.charge, new_charge)
        if order.outcome == "Canceled":
            order.note = "Out of stock"
            return
        if order.outcome == "Partial":
            order.remains = undelivered
        order.result = self._fate.codes(delivered)
