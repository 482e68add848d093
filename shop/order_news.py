"""News of an order, written in the same transaction as the change it announces: a message in
the chat, and for an order placed through the reseller API a status callback to the reseller's
URL (delivered at least once from the same outbox, by bot/callback_sender.py).

A reseller with 1,000 API orders a day does not want 1,000 chat messages: their API orders are
told in the chat only when they turned that on in /api.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from shop.books import Books
from shop.order_views import order_view, product_order_view, status_and_remains
from storage.db import Transaction
from storage.orders import OrderKind, OrderRecord


def callback_body(order: OrderRecord, currency: str) -> str:
    """What a callback carries: the order as `status` (or `product_order_status`) answers it,
    with its id."""
    view = order_view if order.kind is OrderKind.SERVICE else product_order_view
    return json.dumps({"order": order.id, **view(order, currency)}, separators=(",", ":"))


async def tell(tx: Transaction, books: Books, user_id: int, text: str, *, via_api: bool) -> None:
    """A chat message about an order (or its refill) to its person, unless it is an API order
    whose reseller has not asked to be told in the chat."""
    if via_api:
        news = (await books.resellers.news_in(tx, [user_id])).get(user_id)
        if news is None or not news.notify:
            return
    await books.outbox.add(tx, user_id, text)


async def announce(
    tx: Transaction, books: Books, before: Iterable[OrderRecord], currency: str
) -> int:
    """A callback for each API order among `before` whose status (as the API names it) this
    transaction changed, when its reseller has a callback URL. Returns how many were written."""
    api_orders = {order.id: order for order in before if order.via_api}
    if not api_orders:
        return 0
    news = await books.resellers.news_in(tx, [order.user_id for order in api_orders.values()])
    wanted = {
        order_id: order
        for order_id, order in api_orders.items()
        if (hears := news.get(order.user_id)) is not None and hears.callback_url
    }
    written = 0
    for order in await books.orders.get_many_in(tx, list(wanted)):
        if status_and_remains(order)[0] == status_and_remains(wanted[order.id])[0]:
            continue
        await books.outbox.add_callback(tx, order.user_id, callback_body(order, currency))
        written += 1
    return written
