"""Refills: asked for a completed order on a service with refill, at most one open per
order; Pending -> In progress -> Completed or Rejected."""

from __future__ import annotations

from typing import Final

from simulators.panel.engine import OrderEngine
from simulators.panel.errors import ERR_NOT_ELIGIBLE, ERR_REFILL, ERR_REFILL_DISABLED, Refusal
from simulators.panel.fate import Fate
from simulators.panel.records import SimRefill
from simulators.panel.shelf import Shelf
from simulators.panel.timeline import Timeline
from simulators.panel.values import parse_id

FIRST_REFILL_ID: Final = 500


class Refills:
    def __init__(self, timeline: Timeline, fate: Fate, shelf: Shelf, orders: OrderEngine) -> None:
        self._timeline = timeline
        self._fate = fate
        self._shelf = shelf
        self._orders = orders
        self.refills: dict[int, SimRefill] = {}
        self._next_id = FIRST_REFILL_ID

    def create(self, raw_order_id: str) -> int:
        order = self._orders.find(raw_order_id)
        if not self._shelf.service(order.service).refill:
            raise Refusal(ERR_REFILL_DISABLED)
        if order.status.casefold() != "completed":
            raise Refusal(ERR_NOT_ELIGIBLE)
        for refill in self.refills.values():
            if refill.order == order.id:
                self.refresh(refill)
                if not refill.is_final:
                    raise Refusal(ERR_NOT_ELIGIBLE)
        refill = SimRefill(
            id=self._next_id,
            order=order.id,
            outcome=self._fate.refill_outcome(),
            anchor=self._timeline.now(),
        )
        self._next_id += 1
        self.refills[refill.id] = refill
        return refill.id

    def status(self, raw_id: str) -> str:
        refill_id = parse_id(raw_id)
        refill = self.refills.get(refill_id) if refill_id is not None else None
        if refill is None:
            raise Refusal(ERR_REFILL)
        self.refresh(refill)
        return refill.status

    def set_refill(self, refill_id: int, status: str) -> None:
        """Force a refill's status; it then stops moving with time."""
        refill = self.refills[refill_id]
        refill.frozen = True
        refill.status = status

    def advance(self, steps: int) -> None:
        for refill in self.refills.values():
            self.refresh(refill)
            for _ in range(steps):
                self._step(refill)

    def refresh(self, refill: SimRefill) -> None:
        for _ in range(self._timeline.due_steps(refill)):
            self._step(refill)

    @staticmethod
    def _step(refill: SimRefill) -> None:
        if refill.is_final:
            return
        refill.status = "In progress" if refill.status == "Pending" else refill.outcome
