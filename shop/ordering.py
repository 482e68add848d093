"""Placing orders: quote, charge once, send to the panels (with failover), settle the outcome.

The order row and the debit are written in one transaction before any panel is called; a
definite refusal is refunded at once; an ambiguous failure leaves the order `unconfirmed` with
the money held, and admins are alerted. A draft becomes at most one order (UNIQUE draft_key), so
a double-pressed confirm charges once. Every front door places orders through here (products
through `charge_and_submit`), so an order placed from any door is the same order.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from provider.errors import PanelRefused, PanelUnavailable
from provider.models import ServiceType
from shop import texts
from shop.books import Books
from shop.catalog import Catalog
from shop.checkout import (
    AlreadyPlaced,
    Bill,
    Held,
    LinkBusy,
    NotEnoughBalance,
    Placed,
    PlaceResult,
    PriceChanged,
    Refused,
    ServiceGone,
)
from shop.discounts import Discounts, discounted
from shop.failover import Failover, NoRouteLeft
from shop.order_news import tell
from shop.panels import Panels
from shop.pricing import service_price
from shop.service_drafts import OrderDraft, Quote, effective_quantity, order_request
from storage.catalog import ServiceRecord
from storage.errors import InsufficientFunds
from storage.orders import NewOrder, OrderRecord, Stage
from storage.users import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Listed:
    """A service in a person's price list: what they pay per 1,000 (a Package: for it)."""

    service: ServiceRecord
    kind: ServiceType
    rate: Decimal


class Ordering:
    """The service shop: a `Seller` of `OrderDraft`s (shop/checkout.py)."""

    def __init__(
        self, books: Books, catalog: Catalog, panels: Panels, discounts: Discounts
    ) -> None:
        self._books = books
        self._catalog = catalog
        self.discounts = discounts  # resellers' prices, in every door's quote
        self._alerts = books.alerts
        self._failover = Failover(books.db, books.orders, panels)
        self._draft_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def draft_lock(self, draft_key: str) -> asyncio.Lock:
        """Presses of one confirm button are handled one after the other, so a second press
        sees the first one's order instead of racing it on screen."""
        lock = self._draft_locks.get(draft_key)
        if lock is None:
            lock = self._draft_locks[draft_key] = asyncio.Lock()
        return lock

    async def price_list(self, user_id: int) -> list[Listed]:
        """Every visible service at this person's price (their discount, never below what its
        route costs), as the quote of 1,000 would be."""
        percent = await self.discounts.percent(user_id)
        listed = []
        for service in await self._catalog.listed():
            kind = ServiceType.parse(service.type)
            package = kind is ServiceType.PACKAGE
            markup = await self._catalog.markup_for(service)
            price = service_price(service.rate, 1000, markup, is_package=package)
            cost = service_price(service.rate, 1000, Decimal(0), is_package=package)
            listed.append(Listed(service, kind, discounted(price, percent, cost)))
        return listed

    async def placed_by_draft(self, draft_key: str) -> OrderRecord | None:
        return await self._books.orders.by_draft(draft_key)

    async def quote(self, user_id: int, draft: OrderDraft) -> Quote | None:
        offer = await self._catalog.offer(draft.service_id)
        if offer is None:
            return None
        quantity = effective_quantity(offer, draft)
        route = offer.route_for(quantity)
        price = await self._catalog.price(offer, quantity, route)
        if route is not None:  # never below what the route costs
            price = await self.discounts.apply(user_id, price, route.cost(quantity))
        balance = await self._books.ledger.balance(user_id)
        return Quote(price, balance, offer.currency, offer=offer, quantity=quantity, route=route)

    async def place(self, user: User, draft: OrderDraft) -> PlaceResult | PriceChanged:
        existing = await self._books.orders.by_draft(draft.key)
        if existing is not None:
            return AlreadyPlaced(existing)
        quote = await self.quote(user.id, draft)
        if quote is None or quote.route is None:
            return ServiceGone()
        if draft.price is not None and quote.price != draft.price:
            return PriceChanged(quote)
        offer = quote.offer
        request = order_request(offer, draft)
        new_order = NewOrder(
            user_id=user.id,
            service_id=offer.service.id,
            service_name=offer.service.name,
            service_type=offer.kind.value,
            link=draft.link,
            quantity=draft.quantity if request.runs else quote.quantity,  # drip-feed: per run
            price=quote.price,
            draft_key=draft.key,
            refill_allowed=quote.route.refill,
            comments=request.comments,
            list=request.list,
            suggest=request.suggest,
            search=request.search,
            panel=quote.route.panel,
            panel_service_id=quote.route.panel_service_id,
            runs=request.runs,
            interval=request.interval,
            cancel_allowed=quote.route.cancel,
            via_api=draft.via_api,
        )
        return await self.charge_and_submit(
            new_order,
            quote,
            partial(self._failover.submit, quote, request),
            one_per_link=draft.one_per_link,
        )

    async def charge_and_submit(
        self,
        new_order: NewOrder,
        quote: Bill,
        submit: Callable[[int], Awaitable[int]],
        *,
        one_per_link: bool = False,
    ) -> PlaceResult:
        """Write the order and the debit in one transaction, then call the panel once.
        `one_per_link`: refused (LinkBusy) while the person's API order of the same service
        for the same link is open, checked in the same transaction."""
        books = self._books
        try:
            async with books.db.transaction() as tx:
                if one_per_link:
                    busy = await books.orders.open_api_order_in(
                        tx, new_order.user_id, new_order.service_id, new_order.link
                    )
                    if busy is not None:
                        return LinkBusy(busy)
                order_id = await books.orders.create(tx, new_order)
                if new_order.price > 0:
                    await books.ledger.apply(
                        tx, new_order.user_id, -new_order.price, "order", str(order_id),
                        new_order.service_name,
                    )  # fmt: skip
        except InsufficientFunds:
            return NotEnoughBalance(quote)
        except sqlite3.IntegrityError:
            # The same draft was placed by a concurrent press: that order stands.
            placed = await books.orders.by_draft(new_order.draft_key)
            if placed is None:
                raise
            return AlreadyPlaced(placed)
        try:
            panel_order_id = await submit(order_id)
        except PanelRefused as error:
            return await self._refuse(order_id, error)
        except PanelUnavailable as error:
            return await self._hold(order_id, str(error))
        except Exception as error:  # a bug must not strand the money silently
            logger.exception("Unexpected failure placing order %s", order_id)
            return await self._hold(order_id, f"internal error: {type(error).__name__}")
        async with books.db.transaction() as tx:
            order = await books.orders.set_placed(tx, order_id, panel_order_id)
        assert order is not None
        logger.info("Order %s placed on the panel as %s", order_id, panel_order_id)
        return Placed(order, quote.currency)

    async def _refuse(self, order_id: int, error: PanelRefused) -> Refused:
        books = self._books
        async with books.db.transaction() as tx:
            order = await books.orders.get_in(tx, order_id)
            assert order is not None
            if order.price > 0:
                await books.ledger.apply(
                    tx, order.user_id, order.price, "refund", str(order_id), "refused by the panel"
                )
                await books.orders.add_refunded(tx, order_id, order.price)
            await books.orders.set_stage(tx, order_id, Stage.FAILED, error.message)
            out_of_funds = error.is_out_of_funds
            if isinstance(error, NoRouteLeft):
                out_of_funds = error.out_of_funds
                await self._alerts.throttled_in(
                    tx,
                    f"no_route:{order.service_id}",
                    texts.admin_no_route_left(order, error.attempts),
                )
            elif out_of_funds:
                await self._alerts.throttled_in(
                    tx, "panel_no_funds", texts.admin_panel_out_of_funds(order_id)
                )
            order = await books.orders.get_in(tx, order_id)
        assert order is not None
        logger.info("Order %s refused: %s", order_id, error.message)
        return Refused(
            order,
            error.message,
            panel_out_of_funds=out_of_funds,
            service_unavailable=isinstance(error, NoRouteLeft) and not out_of_funds,
        )

    async def _hold(self, order_id: int, reason: str, *, tell_customer: bool = False) -> Held:
        """Unconfirmed, the money held; admins alerted. The customer reads it in the chat when
        they are waiting for the result, or (tell_customer) gets a notification."""
        books = self._books
        async with books.db.transaction() as tx:
            await books.orders.set_stage(tx, order_id, Stage.UNCONFIRMED, reason)
            order = await books.orders.get_in(tx, order_id)
            assert order is not None
            await self._alerts.always(tx, texts.admin_order_unconfirmed(order, reason))
            if tell_customer:
                language = await books.users.language_in(tx, order.user_id)
                text = texts.order_held(order, language)
                await tell(tx, books, order.user_id, text, via_api=order.via_api)
        logger.warning("Order %s unconfirmed: %s", order_id, reason)
        return Held(order)

    async def recover_interrupted(self) -> int:
        """Orders left `submitting` by a crash may or may not exist on the panel: hold them."""
        stranded = await self._books.orders.in_stage(Stage.SUBMITTING, limit=10_000)
        for order in stranded:
            await self._hold(
                order.id, "the bot stopped while placing this order", tell_customer=True
            )
        return len(stranded)
