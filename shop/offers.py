"""What a service sells for now: its routes (each a panel's service and what it costs the shop)
and the offer a customer sees (our price after markup, through the first route)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from provider.models import ServiceType
from shop.panel_lists import quantity_range
from shop.panels import Panel
from shop.pricing import service_price
from storage.catalog import RouteRecord, ServiceRecord


@dataclass(frozen=True, slots=True)
class Route:
    """A way to buy a service now: a panel's service, what it costs in the shop's currency."""

    panel: str
    panel_service_id: int
    kind: ServiceType
    rate: Decimal  # per 1000 (a Package: the package), converted to the shop's currency
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    dripfeed: bool
    panel_balance: Decimal | None  # converted; None when the panel has not said

    def cost(self, quantity: int) -> Decimal:
        """What the panel charges for `quantity` (a Package: for the package)."""
        return service_price(self.rate, quantity, Decimal(0), is_package=self.is_package)

    @property
    def is_package(self) -> bool:
        return self.kind is ServiceType.PACKAGE

    def takes(self, quantity: int) -> bool:
        return self.is_package or self.min_quantity <= quantity <= self.max_quantity

    def affords(self, cost: Decimal) -> bool:
        """Our own check of the panel's balance, as it last answered."""
        return self.panel_balance is None or self.panel_balance >= cost


@dataclass(frozen=True, slots=True)
class Offer:
    """A service as a customer sees it: our price after markup, through its first route."""

    service: ServiceRecord  # as its first route describes it
    kind: ServiceType
    unit_price: Decimal  # per 1000, or the package price
    currency: str
    markup_percent: Decimal  # the rule that applies to this service
    routes: tuple[Route, ...] = ()  # those that sell now, in the order they are tried

    @property
    def is_package(self) -> bool:
        return self.kind is ServiceType.PACKAGE

    def route_for(self, quantity: int) -> Route | None:
        """The route an order of `quantity` is quoted and sent by: the first that takes the
        quantity and whose panel can pay for it."""
        for route in self.routes:
            if route.takes(quantity) and route.affords(route.cost(quantity)):
                return route
        return self.routes[0] if self.routes else None


def route_from(record: RouteRecord, panel: Panel, conversion: Decimal) -> Route:
    balance = panel.record.balance
    low, high = quantity_range(record.min_quantity, record.max_quantity)
    return Route(
        panel=record.panel,
        panel_service_id=record.panel_service_id,
        kind=ServiceType.parse(record.type),
        rate=record.rate * conversion,
        min_quantity=low,
        max_quantity=high,
        refill=record.refill,
        cancel=record.cancel,
        dripfeed=record.dripfeed,
        panel_balance=None if balance is None else balance * conversion,
    )


def in_selling_order(routing: str, routes: list[Route]) -> tuple[Route, ...]:
    """The routes in the order they are tried: their own, or cheapest first ('cheapest')."""
    if routing == "cheapest":
        routes = sorted(routes, key=lambda route: route.rate)  # stable: equal rates keep order
    return tuple(routes)


def as_first_route_sells(service: ServiceRecord, first: Route) -> ServiceRecord:
    """The service as its first selling route describes it (type, rate, range, features)."""
    return replace(
        service,
        type=first.kind.value,
        rate=first.rate,
        min_quantity=first.min_quantity,
        max_quantity=first.max_quantity,
        refill=first.refill,
        cancel=first.cancel,
        dripfeed=first.dripfeed,
    )
