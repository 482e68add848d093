"""Sending an order to the routes of its service, one after another: a clear refusal of one
moves to the next within the same confirm; an unclear answer ends it, since the order may exist
on that panel and must never be sent to another. Never sells at a loss."""

from __future__ import annotations

import logging
from dataclasses import replace

from provider.errors import PanelRefused
from provider.models import OrderRequest
from shop.offers import Route
from shop.panels import Panels
from shop.service_drafts import Quote
from storage.db import Database
from storage.order_repository import OrderRepository

logger = logging.getLogger(__name__)


class NoRouteLeft(PanelRefused):
    """Every route of the service refused the order clearly, or was skipped by our own checks.
    Nothing was placed anywhere. `attempts`: per route, what happened, for admins."""

    def __init__(self, attempts: list[str], last: PanelRefused | None) -> None:
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


class Failover:
    def __init__(self, db: Database, orders: OrderRepository, panels: Panels) -> None:
        self._db = db
        self._orders = orders
        self._panels = panels

    async def submit(self, quote: Quote, request: OrderRequest, order_id: int) -> int:
        """The panel's order id from the first route that takes it. The order names the panel
        it may be on *before* that panel is asked, so an unclear answer leaves it unconfirmed
        where it may be. Raises NoRouteLeft when no route took it, PanelUnavailable (unclear)
        or a PanelRefused about the order itself (every panel would refuse it)."""
        attempts: list[str] = []
        last: PanelRefused | None = None
        recorded = quote.route
        for route in quote.routes:
            reason = skip_reason(route, quote, request)
            if reason is not None:
                attempts.append(f"{route.panel}:{route.panel_service_id} skipped, {reason}")
                continue
            if route is not recorded:
                async with self._db.transaction() as tx:
                    await self._orders.set_route(
                        tx, order_id, route.panel, route.panel_service_id, route.refill,
                        route.cancel,
                    )  # fmt: skip
                recorded = route
            client = self._panels.client(route.panel)
            try:
                return await client.add(replace(request, service=route.panel_service_id))
            except PanelRefused as error:
                if not error.is_route_refusal:
                    raise  # about the order itself (its link, ...): every panel would refuse
                attempts.append(f"{route.panel}:{route.panel_service_id} refused: {error.message}")
                last = error
                logger.info("Order %s refused by %s (%s); next route", order_id, route.panel, error)
        raise NoRouteLeft(attempts, last)
