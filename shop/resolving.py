"""Settling unconfirmed orders, one at a time or many at once (/resolve).

An order whose placement got no clear answer is held as unconfirmed; an admin checks the panel
and settles it: attached to the panel order it became, or refunded in full. Each settlement is
checked and written in one transaction (shop/settlement.py), so it applies once whoever else
settles the same order at the same moment. Many at once: the admin sees a preview, and the
batch is applied by the first press of its Apply button, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from shop.catalog import Catalog
from shop.people import People
from shop.settlement import ResolveError, Settler
from storage.orders import OrderRecord, Stage
from storage.resolve_batches import ResolveBatch, ResolveBatchRepository

MAX_BATCH = 200
ID = r"#?(\d{1,18})"
SETTLEMENT_LINE = re.compile(rf"^{ID}\s+(?:(refund)|{ID})$", re.IGNORECASE)
RANGE_LINE = re.compile(rf"^{ID}\s*-\s*{ID}\s+refund$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Settlement:
    order_id: int
    panel_order_id: int | None  # None: the order does not exist on the panel: refund it

    @property
    def is_refund(self) -> bool:
        return self.panel_order_id is None


@dataclass(frozen=True, slots=True)
class OrderRange:
    """`A-B refund`: every unconfirmed order from #A to #B."""

    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Settled:
    settlement: Settlement
    order: OrderRecord
    refunded: Decimal


@dataclass(frozen=True, slots=True)
class NotSettled:
    settlement: Settlement
    reason: str


Outcome = Settled | NotSettled


@dataclass(frozen=True, slots=True)
class Preview:
    """What a batch would do, as the orders stand now; `batch_id` names it for Apply."""

    batch_id: int | None  # None: nothing in it can be applied
    ready: list[tuple[Settlement, OrderRecord]]
    refused: list[NotSettled]

    @property
    def refund_total(self) -> Decimal:
        return sum(
            (order.price - order.refunded for s, order in self.ready if s.is_refund), Decimal(0)
        )


@dataclass(frozen=True, slots=True)
class AlreadyDecided:
    """The batch was applied or canceled before (another press, another admin)."""

    status: str
    decided_by: int | None


class ResolveInputError(ValueError):
    """What the admin typed is not a list of settlements; the message says which line."""


def parse_settlements(text: str) -> list[Settlement] | OrderRange:
    """`N PANEL_ID`, `N refund` (one a line, at most MAX_BATCH), or `A-B refund`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ResolveInputError("name at least one order")
    if len(lines) == 1 and (whole := RANGE_LINE.match(lines[0])):
        first, last = int(whole.group(1)), int(whole.group(2))
        if first > last:
            raise ResolveInputError(f"the range {first}-{last} runs backwards")
        return OrderRange(first, last)
    if len(lines) > MAX_BATCH:
        raise ResolveInputError(f"at most {MAX_BATCH} orders at once")
    settlements: dict[int, Settlement] = {}
    for number, line in enumerate(lines, start=1):
        match = SETTLEMENT_LINE.match(line)
        if match is None:
            raise ResolveInputError(f"line {number} ({line[:40]}) is not ORDER_ID PANEL_ORDER_ID")
        order_id = int(match.group(1))
        panel_id = None if match.group(2) else int(match.group(3))
        if order_id in settlements:
            raise ResolveInputError(f"order #{order_id} is named twice")
        settlements[order_id] = Settlement(order_id, panel_id)
    return list(settlements.values())


class Resolutions:
    def __init__(
        self, settler: Settler, people: People, catalog: Catalog, batches: ResolveBatchRepository
    ) -> None:
        self._settler = settler
        self._people = people
        self._catalog = catalog
        self._batches = batches

    async def settle(self, settlement: Settlement, admin_id: int) -> Outcome:
        try:
            if settlement.panel_order_id is None:
                currency = await self._catalog.currency()
                order, refunded = await self._settler.with_refund(
                    settlement.order_id, currency, admin_id
                )
                return Settled(settlement, order, refunded)
            order = await self._settler.with_panel_order(
                settlement.order_id, settlement.panel_order_id, admin_id
            )
            return Settled(settlement, order, Decimal(0))
        except ResolveError as error:
            return NotSettled(settlement, str(error))

    async def in_range(self, orders: OrderRange) -> list[Settlement]:
        """A refund for every order of the range that is unconfirmed now."""
        found = await self._settler.unconfirmed_between(orders.first, orders.last, MAX_BATCH)
        return [Settlement(order.id, None) for order in found]

    async def preview(self, admin_id: int, settlements: list[Settlement]) -> Preview:
        """Check each settlement against the order as it stands; keep the good ones as a batch."""
        ready: list[tuple[Settlement, OrderRecord]] = []
        refused: list[NotSettled] = []
        for settlement in settlements:
            order = await self._people.order(settlement.order_id)
            if order is None:
                refused.append(NotSettled(settlement, f"there is no order #{settlement.order_id}"))
            elif order.stage is not Stage.UNCONFIRMED:
                refused.append(NotSettled(settlement, f"#{order.id} is {order.stage.value}"))
            else:
                ready.append((settlement, order))
        if not ready:
            return Preview(None, ready, refused)
        items = [(s.order_id, s.panel_order_id) for s, _ in ready]
        return Preview(await self._batches.create(admin_id, items), ready, refused)

    async def claim(self, batch_id: int, admin_id: int) -> ResolveBatch | AlreadyDecided | None:
        """Mark a previewed batch applied, once: the first press wins (then `apply` it).
        None: no such batch."""
        batch = await self._batches.get(batch_id)
        if batch is None:
            return None
        if not await self._batches.decide(batch_id, "applied", admin_id):
            decided = await self._batches.get(batch_id)
            assert decided is not None
            return AlreadyDecided(decided.status, decided.decided_by)
        return batch

    async def apply(self, batch: ResolveBatch, admin_id: int) -> list[Outcome]:
        """Settle each order of a claimed batch (each checked again in its transaction)."""
        return [
            await self.settle(Settlement(order_id, panel_id), admin_id)
            for order_id, panel_id in batch.items
        ]

    async def cancel(self, batch_id: int, admin_id: int) -> AlreadyDecided | None:
        """None when canceled now; otherwise what had happened to it already."""
        if await self._batches.decide(batch_id, "canceled", admin_id):
            return None
        batch = await self._batches.get(batch_id)
        return AlreadyDecided(batch.status, batch.decided_by) if batch else None
