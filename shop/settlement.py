"""Settling one unconfirmed order: attached to the panel order it became, or refunded in full.

Each settlement is checked and written in one transaction, so of two admins settling the same
order at the same moment one wins and the other is told what the first did. `/resolve`'s
batches (shop/resolving.py) settle each of their orders through here.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from shop import texts
from shop.books import Books
from shop.order_news import announce
from storage.db import Transaction
from storage.orders import OrderRecord, Stage

logger = logging.getLogger(__name__)


class ResolveError(Exception):
    """An admin's /resolve cannot apply; the message says why."""


class Settler:
    def __init__(self, books: Books) -> None:
        self._books = books

    async def unconfirmed_between(self, first: int, last: int, limit: int) -> list[OrderRecord]:
        return await self._books.orders.unconfirmed_between(first, last, limit)

    async def with_panel_order(
        self, order_id: int, panel_order_id: int, admin_id: int
    ) -> OrderRecord:
        """The admin found the unconfirmed order on its panel: attach it; the tracker takes
        over. A panel order already attached to another order is refused."""
        books = self._books
        async with books.db.transaction() as tx:
            order = await self._unconfirmed_in(tx, order_id)
            owner = await books.orders.by_panel_id_in(tx, order.kind, order.panel, panel_order_id)
            if owner is not None:
                raise ResolveError(
                    f"panel order {panel_order_id} already belongs to order #{owner.id}"
                )
            await books.orders.resolve(tx, order.id, panel_order_id, admin_id)
            resolved = await books.orders.get_in(tx, order.id)
        assert resolved is not None
        logger.info("Order %s resolved by %s as panel order %s", order_id, admin_id, panel_order_id)
        return resolved

    async def with_refund(
        self, order_id: int, currency: str, admin_id: int
    ) -> tuple[OrderRecord, Decimal]:
        """The admin decided the unconfirmed order does not exist: refund it all, tell the
        person. Returns the order and the refund."""
        books = self._books
        async with books.db.transaction() as tx:
            order = await self._unconfirmed_in(tx, order_id)
            amount = order.price - order.refunded
            if amount > 0:
                await books.ledger.apply(
                    tx, order.user_id, amount, "refund", str(order.id), "unconfirmed order"
                )
                await books.orders.add_refunded(tx, order.id, amount)
            await books.orders.set_stage(tx, order.id, Stage.FAILED, "not placed on the panel")
            await books.orders.set_resolved_by(tx, order.id, admin_id)
            language = await books.users.language_in(tx, order.user_id)
            await books.outbox.add(
                tx, order.user_id, texts.unconfirmed_refunded(order, amount, currency, language)
            )
            await announce(tx, books, [order], currency)  # a reseller's callback: Canceled
            resolved = await books.orders.get_in(tx, order.id)
        assert resolved is not None
        logger.info("Order %s resolved by %s with a refund of %s", order_id, admin_id, amount)
        return resolved, amount

    async def _unconfirmed_in(self, tx: Transaction, order_id: int) -> OrderRecord:
        order = await self._books.orders.get_in(tx, order_id)
        if order is None:
            raise ResolveError(f"there is no order #{order_id}")
        if order.stage is not Stage.UNCONFIRMED:
            raise ResolveError(texts.admin_order_settled(order))
        return order
