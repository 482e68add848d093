"""Money moved by the shop's admins: a credit or debit of a person's balance, a refund of (part
of) an order by hand. Each through the ledger, once per its reference, and the person is told
in the same transaction."""

from __future__ import annotations

from decimal import Decimal

from shop import texts
from shop.books import Books
from shop.catalog import Catalog
from shop.console import ConsoleError
from shop.formatting import format_money
from shop.order_news import announce
from storage.errors import DuplicateEntry
from storage.orders import OrderRecord, Stage


class Credits:
    def __init__(self, books: Books, catalog: Catalog) -> None:
        self._books = books
        self._catalog = catalog  # the shop's currency

    async def adjust_balance(
        self, user_id: int, amount: Decimal, reference: str, note: str, currency: str
    ) -> Decimal:
        """Credit (amount > 0) or debit (< 0) through the ledger; the person is told of a credit.

        `reference` names the admin's command message, so a re-delivered update applies once.
        Raises DuplicateEntry, InsufficientFunds or NotFound.
        """
        books = self._books
        kind = "credit" if amount > 0 else "debit"
        async with books.db.transaction() as tx:
            entry = await books.ledger.apply(tx, user_id, amount, kind, reference, note)
            if amount > 0:
                language = await books.users.language_in(tx, user_id)
                await books.outbox.add(
                    tx,
                    user_id,
                    texts.credited(amount, entry.balance_after, currency, note, language),
                )
        return entry.balance_after

    async def refund_order(
        self, order_id: int, amount: Decimal | None
    ) -> tuple[OrderRecord, Decimal]:
        """Give back (part of) what a person paid for an order, once per order; they are told."""
        books, currency = self._books, await self._catalog.currency()
        async with books.db.transaction() as tx:
            # Read inside the transaction: the tracker may refund the same order meanwhile.
            order = await books.orders.get_in(tx, order_id)
            if order is None:
                raise ConsoleError(f"there is no order #{order_id}")
            if order.stage in (Stage.UNCONFIRMED, Stage.SUBMITTING):
                # A refund here and a later /resolve N PANEL_ID would deliver it for free.
                raise ConsoleError(
                    f"order #{order_id} is {order.stage.value}: settle it with "
                    f"/resolve {order_id} PANEL_ORDER_ID or /resolve {order_id} refund"
                )
            left = order.price - order.refunded
            if left <= 0:
                raise ConsoleError(f"order #{order_id} is already fully refunded")
            amount = left if amount is None else amount
            if amount > left:
                raise ConsoleError(
                    f"at most {format_money(left, currency)} can still be refunded "
                    f"for order #{order_id}"
                )
            try:
                await books.ledger.apply(
                    tx, order.user_id, amount, "admin_refund", str(order.id), "refund by the shop"
                )
            except DuplicateEntry:
                raise ConsoleError(f"order #{order_id} was already refunded by hand") from None
            await books.orders.add_refunded(tx, order.id, amount)
            language = await books.users.language_in(tx, order.user_id)
            await books.outbox.add(
                tx, order.user_id, texts.refunded_by_shop(order, amount, currency, language)
            )
            await announce(tx, books, [order], currency)  # a reseller's callback: Partial, ...
        return order, amount
