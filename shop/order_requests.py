"""What a person may ask of a placed order: a refill of a completed one, a cancel of an open
one. Each goes to the panel that holds the order, once: one open refill request per order at
a time; a cancel request is claimed in a transaction before the panel is asked
(shop/cancels.py). Refunds follow the panel's statuses, in the tracker, never here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from provider.client import PanelClient
from provider.errors import PanelRefused, PanelUnavailable
from shop import cancels, texts
from shop.books import Books
from shop.panels import Panels
from storage.orders import OrderRecord, Stage
from storage.refills import RefillRecord


@dataclass(frozen=True, slots=True)
class RefillRequested:
    panel_refill_id: int
    refill_id: int = 0  # ours: the API's refill id


class RefillRefusal(StrEnum):
    NOT_OFFERED = "not_offered"  # the service takes no refills
    NOT_COMPLETED = "not_completed"  # only a completed order is refilled
    PENDING = "pending"  # one refill at a time
    REFUSED = "refused"  # by the panel, in its words
    UNAVAILABLE = "unavailable"  # the panel did not answer clearly


@dataclass(frozen=True, slots=True)
class RefillRefused:
    reason: str  # in the person's words
    why: RefillRefusal = RefillRefusal.REFUSED
    panel_message: str = ""  # the panel's own words, when it refused


RefillResult = RefillRequested | RefillRefused


class OrderRequests:
    def __init__(self, books: Books, panels: Panels) -> None:
        self._books = books
        self._panels = panels
        self._refill_lock = asyncio.Lock()  # one refill request at a time: no double refill

    def panel_for(self, order: OrderRecord) -> PanelClient:
        """The client of the panel that holds the order."""
        return self._panels.client(order.panel)

    async def can_refill(self, order: OrderRecord) -> bool:
        return (
            order.refill_allowed
            and order.stage is Stage.COMPLETED
            and await self._books.refills.open_for_order(order.id) is None
        )

    async def request_refill(self, order: OrderRecord) -> RefillResult:
        """Ask the panel to refill a completed order; one open refill per order at a time."""
        if not order.refill_allowed:
            return RefillRefused(texts.refill_not_offered(), RefillRefusal.NOT_OFFERED)
        if order.stage is not Stage.COMPLETED:
            return RefillRefused(texts.refill_not_offered(), RefillRefusal.NOT_COMPLETED)
        refills = self._books.refills
        async with self._refill_lock:
            if await refills.open_for_order(order.id) is not None:
                return RefillRefused(texts.refill_already_pending(), RefillRefusal.PENDING)
            assert order.panel_order_id is not None
            try:
                panel_refill_id = await self.panel_for(order).refill(order.panel_order_id)
            except PanelRefused as error:
                reason = texts.refill_refused(error.message)
                return RefillRefused(reason, RefillRefusal.REFUSED, error.message)
            except PanelUnavailable:
                return RefillRefused(texts.panel_unavailable(), RefillRefusal.UNAVAILABLE)
            async with self._books.db.transaction() as tx:
                refill_id = await refills.add(tx, order.id, panel_refill_id)
        return RefillRequested(panel_refill_id, refill_id)

    async def refills_of(self, user_id: int, refill_ids: Sequence[int]) -> list[RefillRecord]:
        """These refill requests, those of them on the person's orders (the API's)."""
        return await self._books.refills.of_user(user_id, refill_ids)

    async def latest_refill(self, order_id: int) -> RefillRecord | None:
        """The order's newest refill request (the order card shows its state)."""
        return await self._books.refills.latest_for_order(order_id)

    def can_cancel(self, order: OrderRecord) -> bool:
        return cancels.can_cancel(order)

    async def request_cancel(self, order: OrderRecord) -> cancels.CancelResult:
        """Ask the panel holding the order to cancel it, once; the refund follows its status."""
        return await cancels.request_cancel(self._books, self.panel_for(order), order)
