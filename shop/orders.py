"""Quoting and placing orders, balance changes by admins: the shop's rules. No Telegram types.

Placing an order follows DESIGN.md: the order row and the debit are written in one transaction
before the panel is called; a definite refusal is refunded at once; an ambiguous failure leaves
the order `unconfirmed` with the money held, and admins are alerted. A draft becomes at most one
order (UNIQUE draft_key), so a double-pressed confirm charges once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

from pydantic import BaseModel, Field

from provider.client import PanelClient
from provider.errors import ProviderError, ProviderUnavailable
from provider.models import OrderRequest, ServiceType
from shop import cancels, texts
from shop.alerts import Alerts
from shop.catalog import PAGE_SIZE, Catalog, Offer, Page, Route, fetch_page
from shop.dripfeed import total_quantity
from shop.panels import Panels
from storage.db import Database, Transaction
from storage.errors import InsufficientFunds
from storage.ledger import Ledger, LedgerEntry
from storage.notifications import NotificationRepository
from storage.orders import NewOrder, OrderRecord, OrderRepository, Stage
from storage.refills import RefillRecord, RefillRepository
from storage.users import User, UserRepository

logger = logging.getLogger(__name__)


def new_draft_key() -> str:
    return secrets.token_urlsafe(9)


class Draft(BaseModel):
    """What a person has entered so far of an order; kept in the conversation between steps."""

    key: str = Field(default_factory=new_draft_key)  # the confirm button's: one order per draft
    price: Decimal | None = None  # the price on the confirm card: the only price charged


class OrderDraft(Draft):
    service_id: int
    link: str = ""
    quantity: int = 0
    lines: list[str] = Field(default_factory=list)  # comments, or the Special (1DG) list
    suggest: list[str] = Field(default_factory=list)
    search: list[str] = Field(default_factory=list)
    runs: int | None = None  # drip-feed: `quantity` is then per run, paid for quantity x runs
    interval: int | None = None  # drip-feed: minutes between runs


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


@dataclass(frozen=True, slots=True)
class Quote(Bill):
    offer: Offer
    quantity: int
    route: Route | None = None  # the route the price comes from, tried first

    @property
    def routes(self) -> list[Route]:
        """The routes in the order placing tries them: the quoted one, then the others."""
        if self.route is None:
            return list(self.offer.routes)
        return [self.route, *(r for r in self.offer.routes if r is not self.route)]


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
    provider_out_of_funds: bool = False
    # No panel could take it (service off, out of range, too dear): not the customer's doing.
    service_unavailable: bool = False


@dataclass(frozen=True, slots=True)
class Held:
    """The panel's answer was ambiguous: the order is unconfirmed, the money held."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class ServiceGone:
    """The service was removed or hidden since the person opened it."""


PlaceResult = Placed | AlreadyPlaced | NotEnoughBalance | Refused | Held | ServiceGone


@dataclass(frozen=True, slots=True)
class PriceChanged:
    """The price moved (markup or panel rate) since the person saw it: nothing was charged."""

    quote: Bill


@dataclass(frozen=True, slots=True)
class RefillRequested:
    panel_refill_id: int


@dataclass(frozen=True, slots=True)
class RefillRefused:
    reason: str  # in the person's words


RefillResult = RefillRequested | RefillRefused


class ResolveError(Exception):
    """An admin's /resolve cannot apply; the message says why."""


class NoRouteLeft(ProviderError):
    """Every route of the service refused the order clearly, or was skipped by our own checks.
    Nothing was placed anywhere. `attempts`: per route, what happened, for admins."""

    def __init__(self, attempts: list[str], last: ProviderError | None) -> None:
        super().__init__(last.message if last is not None else "no route could take the order")
        self.attempts = attempts
        self.out_of_funds = last is not None and last.is_out_of_funds


def skip_reason(route: Route, quote: Quote, request: OrderRequest) -> str | None:
    """Why our own checks do not send the order to this route, or None. A route is skipped when
    it would sell at a loss: its cost above what the person was charged."""
    if route.kind is not quote.offer.kind:
        return f"a {route.kind.value} service, not {quote.offer.kind.value}"
    if request.runs is not None and not route.dripfeed:
        return "no drip-feed"
    per_run = request.quantity if request.runs is not None and request.quantity else quote.quantity
    if not route.takes(per_run):
        return f"takes {route.min_quantity}-{route.max_quantity}, not {per_run}"
    cost = route.cost(quote.quantity)
    if cost > quote.price:
        return f"costs {cost}, more than the {quote.price} charged"
    if not route.affords(cost):
        return f"its balance ({route.panel_balance}) is below the cost ({cost})"
    return None


def effective_quantity(offer: Offer, draft: OrderDraft) -> int:
    if offer.kind is ServiceType.PACKAGE:
        return 1
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        return len(draft.lines)
    return total_quantity(draft.quantity, draft.runs)  # drip-feed: paid for every run


def order_request(offer: Offer, draft: OrderDraft) -> OrderRequest:
    return OrderRequest.for_type(
        offer.kind,
        offer.service.id,
        draft.link,
        quantity=draft.quantity,
        lines=draft.lines,
        suggest=draft.suggest,
        search=draft.search,
        runs=draft.runs,
        interval=draft.interval,
    )


class Shop:
    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        panels: Panels,
        outbox: NotificationRepository,
        alerts: Alerts,
    ) -> None:
        self._db = db
        self._catalog = catalog
        self.panels = panels
        self.alerts = alerts
        self.users = UserRepository(db)
        self.ledger = Ledger(db)
        self.orders = OrderRepository(db)
        self.outbox = outbox
        self.refills = RefillRepository(db)
        self._refill_lock = asyncio.Lock()  # one refill request at a time: no double refill
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

    def panel_for(self, order: OrderRecord) -> PanelClient:
        """The client of the panel that holds the order (refills, cancels, refreshes)."""
        return self.panels.client(order.panel)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.alerts.admin_ids

    # ---- people, balances and orders as they read them ----------------------------------------

    async def person(self, user_id: int) -> User | None:
        return await self.users.get(user_id)

    async def register_person(
        self, user_id: int, full_name: str, username: str | None, language: str
    ) -> User:
        """Registered on first contact; name, username and last seen kept up to date."""
        return await self.users.register(user_id, full_name, username, language)

    async def set_language(self, user_id: int, language: str) -> None:
        await self.users.set_language(user_id, language)

    async def balance(self, user_id: int) -> Decimal:
        return await self.ledger.balance(user_id)

    async def history(self, user_id: int, limit: int) -> list[LedgerEntry]:
        """The last balance movements, newest first."""
        return await self.ledger.history(user_id, limit)

    async def orders_page(
        self, user_id: int, page: int, size: int = PAGE_SIZE
    ) -> Page[OrderRecord]:
        total = await self.orders.count_for_user(user_id)
        return await fetch_page(page, total, partial(self.orders.for_user, user_id), size)

    async def recent_orders(self, user_id: int, limit: int) -> list[OrderRecord]:
        return await self.orders.for_user(user_id, 0, limit)

    async def order(self, order_id: int) -> OrderRecord | None:
        return await self.orders.get(order_id)

    async def own_order(self, user_id: int, order_id: int) -> OrderRecord | None:
        """The order, if it is this person's: a forged button cannot show another's."""
        order = await self.orders.get(order_id)
        return order if order is not None and order.user_id == user_id else None

    async def placed_by_draft(self, draft_key: str) -> OrderRecord | None:
        return await self.orders.by_draft(draft_key)

    async def unconfirmed(self, limit: int) -> list[OrderRecord]:
        return await self.orders.in_stage(Stage.UNCONFIRMED, limit=limit)

    async def can_refill(self, order: OrderRecord) -> bool:
        return (
            order.refill_allowed
            and order.stage is Stage.COMPLETED
            and await self.refills.open_for_order(order.id) is None
        )

    # ---- quoting and placing ------------------------------------------------------------------

    async def quote(self, user_id: int, draft: OrderDraft) -> Quote | None:
        offer = await self._catalog.offer(draft.service_id)
        if offer is None:
            return None
        quantity = effective_quantity(offer, draft)
        route = offer.route_for(quantity)
        price = await self._catalog.price(offer, quantity, route)
        balance = await self.ledger.balance(user_id)
        return Quote(price, balance, offer.currency, offer=offer, quantity=quantity, route=route)

    async def place(self, user: User, draft: OrderDraft) -> PlaceResult | PriceChanged:
        existing = await self.orders.by_draft(draft.key)
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
        )
        return await self.charge_and_submit(
            new_order, quote, partial(self._submit_by_routes, quote, request)
        )

    async def _submit_by_routes(self, quote: Quote, request: OrderRequest, order_id: int) -> int:
        """Try the routes in order; a clear refusal of one moves to the next, within this one
        confirm. An unclear answer (ProviderUnavailable) ends it: the order may exist on that
        panel, so it is never sent to another. Raises NoRouteLeft when no route took it."""
        attempts: list[str] = []
        last: ProviderError | None = None
        recorded = quote.route
        for route in quote.routes:
            reason = skip_reason(route, quote, request)
            if reason is not None:
                attempts.append(f"{route.panel}:{route.panel_service_id} skipped, {reason}")
                continue
            if route is not recorded:  # the order names the panel it may be on, before asking
                async with self._db.transaction() as tx:
                    await self.orders.set_route(
                        tx, order_id, route.panel, route.panel_service_id, route.refill,
                        route.cancel,
                    )  # fmt: skip
                recorded = route
            client = self.panels.client(route.panel)
            try:
                return await client.add(replace(request, service=route.panel_service_id))
            except ProviderError as error:
                if not error.is_route_refusal:
                    raise  # about the order itself (its link, ...): every panel would refuse
                attempts.append(f"{route.panel}:{route.panel_service_id} refused: {error.message}")
                last = error
                logger.info("Order %s refused by %s (%s); next route", order_id, route.panel, error)
        raise NoRouteLeft(attempts, last)

    async def charge_and_submit(
        self, new_order: NewOrder, quote: Bill, submit: Callable[[int], Awaitable[int]]
    ) -> PlaceResult:
        """Write the order and the debit in one transaction, then call the panel once."""
        try:
            async with self._db.transaction() as tx:
                order_id = await self.orders.create(tx, new_order)
                if new_order.price > 0:
                    await self.ledger.apply(
                        tx, new_order.user_id, -new_order.price, "order", str(order_id),
                        new_order.service_name,
                    )  # fmt: skip
        except InsufficientFunds:
            return NotEnoughBalance(quote)
        except sqlite3.IntegrityError:
            # The same draft was placed by a concurrent press: that order stands.
            placed = await self.orders.by_draft(new_order.draft_key)
            if placed is None:
                raise
            return AlreadyPlaced(placed)
        try:
            panel_order_id = await submit(order_id)
        except ProviderError as error:
            return await self._refuse(order_id, error)
        except ProviderUnavailable as error:
            return await self._hold(order_id, str(error))
        except Exception as error:  # a bug must not strand the money silently
            logger.exception("Unexpected failure placing order %s", order_id)
            return await self._hold(order_id, f"internal error: {type(error).__name__}")
        async with self._db.transaction() as tx:
            await self.orders.set_placed(tx, order_id, panel_order_id)
            order = await self.orders.get_in(tx, order_id)
        assert order is not None
        logger.info("Order %s placed on the panel as %s", order_id, panel_order_id)
        return Placed(order, quote.currency)

    async def _refuse(self, order_id: int, error: ProviderError) -> Refused:
        async with self._db.transaction() as tx:
            order = await self.orders.get_in(tx, order_id)
            assert order is not None
            if order.price > 0:
                await self.ledger.apply(
                    tx, order.user_id, order.price, "refund", str(order_id), "refused by the panel"
                )
                await self.orders.add_refunded(tx, order_id, order.price)
            await self.orders.set_stage(tx, order_id, Stage.FAILED, error.message)
            out_of_funds = error.is_out_of_funds
            if isinstance(error, NoRouteLeft):
                out_of_funds = error.out_of_funds
                await self.alerts.throttled_in(
                    tx,
                    f"no_route:{order.service_id}",
                    texts.admin_no_route_left(order, error.attempts),
                )
            elif out_of_funds:
                await self.alerts.throttled_in(
                    tx, "panel_no_funds", texts.admin_panel_out_of_funds(order_id)
                )
            order = await self.orders.get_in(tx, order_id)
        assert order is not None
        logger.info("Order %s refused: %s", order_id, error.message)
        return Refused(
            order,
            error.message,
            provider_out_of_funds=out_of_funds,
            service_unavailable=isinstance(error, NoRouteLeft) and not out_of_funds,
        )

    async def _hold(self, order_id: int, reason: str, *, tell_customer: bool = False) -> Held:
        """Unconfirmed, the money held; admins alerted. The customer reads it in the chat when
        they are waiting for the result, or (tell_customer) gets a notification."""
        async with self._db.transaction() as tx:
            await self.orders.set_stage(tx, order_id, Stage.UNCONFIRMED, reason)
            order = await self.orders.get_in(tx, order_id)
            assert order is not None
            await self.alerts.always(tx, texts.admin_order_unconfirmed(order, reason))
            if tell_customer:
                language = await self.users.language_in(tx, order.user_id)
                await self.outbox.add(tx, order.user_id, texts.order_held(order, language))
        logger.warning("Order %s unconfirmed: %s", order_id, reason)
        return Held(order)

    async def recover_interrupted(self) -> int:
        """Orders left `submitting` by a crash may or may not exist on the panel: hold them."""
        stranded = await self.orders.in_stage(Stage.SUBMITTING, limit=10_000)
        for order in stranded:
            await self._hold(
                order.id, "the bot stopped while placing this order", tell_customer=True
            )
        return len(stranded)

    # ---- refills and unconfirmed orders -------------------------------------------------------

    async def request_refill(self, order: OrderRecord) -> RefillResult:
        """Ask the panel to refill a completed order; one open refill per order at a time."""
        if not order.refill_allowed or order.stage is not Stage.COMPLETED:
            return RefillRefused(texts.refill_not_offered())
        async with self._refill_lock:
            if await self.refills.open_for_order(order.id) is not None:
                return RefillRefused(texts.refill_already_pending())
            assert order.panel_order_id is not None
            try:
                panel_refill_id = await self.panel_for(order).refill(order.panel_order_id)
            except ProviderError as error:
                return RefillRefused(texts.refill_refused(error.message))
            except ProviderUnavailable:
                return RefillRefused(texts.provider_unavailable())
            async with self._db.transaction() as tx:
                await self.refills.add(tx, order.id, panel_refill_id)
        return RefillRequested(panel_refill_id)

    async def latest_refill(self, order_id: int) -> RefillRecord | None:
        """The order's newest refill request (the order card shows its state)."""
        return await self.refills.latest_for_order(order_id)

    # ---- cancel requests (shop/cancels.py) ----------------------------------------------------

    def can_cancel(self, order: OrderRecord) -> bool:
        return cancels.can_cancel(order)

    async def request_cancel(self, order: OrderRecord) -> cancels.CancelResult:
        """Ask the panel holding the order to cancel it, once; the refund follows its status."""
        return await cancels.request_cancel(self._db, self.orders, self.panel_for(order), order)

    async def resolve_with_panel_order(
        self, order_id: int, panel_order_id: int, admin_id: int
    ) -> OrderRecord:
        """An admin found the unconfirmed order on the panel: attach it; the tracker takes over.

        Checked and written in one transaction, so of two admins settling the same order at the
        same moment one wins and the other gets a ResolveError saying what the first did.
        """
        async with self._db.transaction() as tx:
            order = await self._unconfirmed_in(tx, order_id)
            owner = await self.orders.by_panel_id_in(tx, order.kind, order.panel, panel_order_id)
            if owner is not None:
                raise ResolveError(
                    f"panel order {panel_order_id} already belongs to order #{owner.id}"
                )
            await self.orders.resolve(tx, order.id, panel_order_id, admin_id)
            resolved = await self.orders.get_in(tx, order.id)
        assert resolved is not None
        logger.info("Order %s resolved by %s as panel order %s", order_id, admin_id, panel_order_id)
        return resolved

    async def resolve_with_refund(
        self, order_id: int, currency: str, admin_id: int
    ) -> tuple[OrderRecord, Decimal]:
        """An admin decided the unconfirmed order does not exist: refund it all, tell the person.
        One transaction, as for resolve_with_panel_order. Returns the order and the refund."""
        async with self._db.transaction() as tx:
            order = await self._unconfirmed_in(tx, order_id)
            amount = order.price - order.refunded
            if amount > 0:
                await self.ledger.apply(
                    tx, order.user_id, amount, "refund", str(order.id), "unconfirmed order"
                )
                await self.orders.add_refunded(tx, order.id, amount)
            await self.orders.set_stage(tx, order.id, Stage.FAILED, "not placed on the panel")
            await self.orders.set_resolved_by(tx, order.id, admin_id)
            language = await self.users.language_in(tx, order.user_id)
            await self.outbox.add(
                tx, order.user_id, texts.unconfirmed_refunded(order, amount, currency, language)
            )
            resolved = await self.orders.get_in(tx, order.id)
        assert resolved is not None
        logger.info("Order %s resolved by %s with a refund of %s", order_id, admin_id, amount)
        return resolved, amount

    async def _unconfirmed_in(self, tx: Transaction, order_id: int) -> OrderRecord:
        order = await self.orders.get_in(tx, order_id)
        if order is None:
            raise ResolveError(f"there is no order #{order_id}")
        if order.stage is not Stage.UNCONFIRMED:
            raise ResolveError(texts.admin_order_settled(order))
        return order

    # ---- balances changed by admins -----------------------------------------------------------

    async def adjust_balance(
        self, user_id: int, amount: Decimal, reference: str, note: str, currency: str
    ) -> Decimal:
        """Credit (amount > 0) or debit (< 0) through the ledger; the person is told of a credit.

        `reference` names the admin's command message, so a re-delivered update applies once.
        Raises DuplicateEntry, InsufficientFunds or NotFound.
        """
        kind = "credit" if amount > 0 else "debit"
        async with self._db.transaction() as tx:
            entry = await self.ledger.apply(tx, user_id, amount, kind, reference, note)
            if amount > 0:
                user_language = await self.users.language_in(tx, user_id)
                await self.outbox.add(
                    tx,
                    user_id,
                    texts.credited(amount, entry.balance_after, currency, note, user_language),
                )
        return entry.balance_after
