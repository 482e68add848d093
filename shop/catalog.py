"""The catalog: syncing the panels' services into SQLite; browsing and searching them, priced.

A shop service is sold through its routes (storage/routes.py). An offer lists the routes that
sell now, in the order they are tried: the routes' order, or cheapest first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Generic, Protocol, TypeVar

from provider.errors import PanelError
from provider.models import Service, ServiceType
from shop.panels import Checked, Panel, PanelProblem, Panels
from shop.pricing import service_price
from storage.catalog import (
    CatalogEntry,
    CatalogRepository,
    Category,
    Imported,
    PanelTerms,
    RouteRecord,
    ServiceRecord,
    SyncResult,
)
from storage.markup import MarkupRepository, MarkupRule
from storage.panels import MAIN, PanelMode
from storage.search import fold
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

PAGE_SIZE = 8
MARKUP_KEY = "markup_percent"
CURRENCY_KEY = "panel_currency"
DEFAULT_CURRENCY = "USD"
T = TypeVar("T")
MAX_QUERY_LENGTH = 100  # characters a search may have
MIN_QUERY_CHARACTERS = 2  # letters or digits a search needs, unless it is a number (an id)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int  # items on every page together

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


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


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> int:
    return min(max(page, 0), page_count(total, size) - 1)


async def fetch_page(
    page: int, total: int, fetch: Callable[[int, int], Awaitable[list[T]]], size: int = PAGE_SIZE
) -> Page[T]:
    """Page `page` (clamped to what exists) of `total` items, `size` a page (the chat's 8; the
    Mini App's longer lists); fetch(offset, limit) reads it."""
    page = clamp_page(page, total, size)
    return Page(await fetch(page * size, size), page, page_count(total, size), total)


class QueryProblem(Enum):
    TOO_SHORT = "too_short"  # fewer than 2 letters or digits, and not a number
    TOO_LONG = "too_long"  # more than 100 characters


class BadQuery(ValueError):
    """A search that cannot be made; `problem` says why."""

    def __init__(self, problem: QueryProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def search_terms(query: str) -> str:
    """The words a search looks for, as names are compared (storage/search.py): "🔥 YouTube
    Views!" -> "youtube views", "#1234" -> "1234". Searching them finds what the query finds.
    Raises BadQuery for a query over 100 characters, or with under 2 letters or digits that
    is not a number."""
    text = query.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(QueryProblem.TOO_LONG)
    terms = fold(text)
    if not terms.isdigit() and len(terms.replace(" ", "")) < MIN_QUERY_CHARACTERS:
        raise BadQuery(QueryProblem.TOO_SHORT)
    return terms


def route_from(record: RouteRecord, panel: Panel, conversion: Decimal) -> Route:
    balance = panel.record.balance
    return Route(
        panel=record.panel,
        panel_service_id=record.panel_service_id,
        kind=ServiceType.parse(record.type),
        rate=record.rate * conversion,
        min_quantity=max(1, record.min_quantity),
        max_quantity=max(1, record.min_quantity, record.max_quantity),
        refill=record.refill,
        cancel=record.cancel,
        dripfeed=record.dripfeed,
        panel_balance=None if balance is None else balance * conversion,
    )


def conversion_of(
    name: str, panel_currency: str, rate: Decimal | None, currency: str
) -> Decimal | None:
    """One unit of a panel's currency in the shop's `currency`: 1 for the same currency (and
    for main, whose currency is the shop's), the admin's rate else; None when there is none."""
    theirs = panel_currency.strip().upper()
    if name == MAIN or not theirs or theirs == currency.strip().upper():
        return Decimal(1)
    return rate


def to_entry(service: Service) -> CatalogEntry:
    return CatalogEntry(
        id=service.service,
        name=service.name or f"Service {service.service}",
        type=service.type or ServiceType.DEFAULT.value,
        category=service.category or "Other",
        rate=service.rate,
        min_quantity=max(1, service.min),
        max_quantity=max(1, service.min, service.max),
        refill=service.refill,
        cancel=service.cancel,
        description=service.description,
        dripfeed=service.dripfeed,
    )


def to_entries(services: list[Service]) -> list[CatalogEntry]:
    """A panel's list, each id once (a panel that repeats one: the last wins)."""
    unique = {service.service: service for service in services}.values()
    return [to_entry(service) for service in unique]


class Listing(Protocol):
    """Another listing sold through the same panels (the products, shop/products.py): described
    again whenever a panel's terms change, as the services are."""

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> object: ...

    async def routed_panels(self) -> frozenset[str]: ...


class Catalog:
    def __init__(
        self,
        repository: CatalogRepository,
        settings: SettingsRepository,
        panels: Panels,
        default_markup: Decimal,
        markup_rules: MarkupRepository,
    ) -> None:
        self._repository = repository
        self._markup_rules = markup_rules
        self._settings = settings
        self.panels = panels
        self._default_markup = default_markup
        self._cached: dict[str, str | None] = {}
        self._listings: list[Listing] = []

    # ---- syncing the panels -------------------------------------------------------------------

    async def sync(self) -> SyncResult:
        """Sync every panel that is on. Raises the main panel's PanelError when no panel
        answered (a panel that fails does not stop the others)."""
        outcomes = await self.sync_each()
        failures = [o for o in outcomes.values() if isinstance(o, PanelError)]
        if failures and len(failures) == len(outcomes):
            raise failures[0]
        return next((o for o in outcomes.values() if isinstance(o, SyncResult)), SyncResult())

    async def sync_each(self, names: list[str] | None = None) -> dict[str, SyncResult | PanelError]:
        """Fetch the panels' services at once, then store every answer in one transaction.
        Per panel: what changed in the shop (the same for every panel stored), or its error."""
        wanted = [
            p for p in self.panels.all() if p.record.enabled and (names is None or p.name in names)
        ]
        answers = await asyncio.gather(
            *(p.client.services() for p in wanted), return_exceptions=True
        )
        lists: dict[str, list[CatalogEntry]] = {}
        outcomes: dict[str, SyncResult | PanelError] = {}
        for panel, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, PanelError):
                logger.warning("Catalog sync of panel %s failed: %s", panel.name, answer)
                outcomes[panel.name] = answer
            elif isinstance(answer, BaseException):
                raise answer
            else:
                lists[panel.name] = to_entries(answer)
        if MAIN in lists:
            await self._refresh_currency()
        if lists:
            result = await self._repository.sync_panels(lists, await self.terms())
            outcomes.update(dict.fromkeys(lists, result))
            logger.info(
                "Catalog synced (%s): %d added, %d changed, %d removed",
                ", ".join(lists), len(result.added), len(result.changed), len(result.removed),
            )  # fmt: skip
        return outcomes

    async def _refresh_currency(self) -> None:
        try:
            balance = await self.panels.main.client.balance()
        except PanelError:
            return
        await self.panels.record_balance(MAIN, balance)
        if balance.currency and balance.currency != await self.currency():
            await self._settings.set(CURRENCY_KEY, balance.currency)
            self._cached.pop(CURRENCY_KEY, None)
            await self._rebuild()  # every other panel's rate

    async def terms(self) -> dict[str, PanelTerms]:
        currency = await self.currency()
        return {
            panel.name: PanelTerms(
                enabled=panel.record.enabled,
                conversion=self.conversion(panel, currency),
                mirror=panel.record.mode is PanelMode.ALL,
                position=panel.record.position,
            )
            for panel in self.panels.all()
        }

    @staticmethod
    def conversion(panel: Panel, currency: str) -> Decimal | None:
        """One unit of the panel's currency in the shop's (see conversion_of); None: not sold."""
        return conversion_of(panel.name, panel.record.currency, panel.record.rate, currency)

    # ---- the panels, as admins change them ----------------------------------------------------

    async def add_panel(self, name: str, url: str, key: str) -> Checked:
        """Check the panel answers, keep it (picked: nothing sold until imported), store its
        list so /import can name its services."""
        checked = await self.panels.check_and_add(name, url, key)
        await self._repository.sync_panels(
            {checked.panel.name: to_entries(checked.services)}, await self.terms()
        )
        return checked

    def also_rebuild(self, listing: Listing) -> None:
        """`listing` is described again with the services whenever a panel's terms change."""
        self._listings.append(listing)

    async def _rebuild(self, *, mirror: str = "") -> SyncResult:
        terms = await self.terms()
        result = await self._repository.rebuild(terms, mirror=mirror)
        for listing in self._listings:
            await listing.rebuild(terms, mirror=mirror)
        return result

    async def set_panel_enabled(self, name: str, enabled: bool) -> SyncResult:
        await self.panels.set_enabled(name, enabled)
        return await self._rebuild()

    async def set_panel_rate(self, name: str, rate: Decimal) -> SyncResult:
        await self.panels.set_rate(name, rate)
        return await self._rebuild()

    async def set_panel_mode(self, name: str, mode: PanelMode) -> SyncResult:
        panel = await self.panels.set_mode(name, mode)
        return await self._rebuild(mirror=panel.name if mode is PanelMode.ALL else "")

    async def remove_panel(self, name: str) -> SyncResult:
        await self.panels.remove(name)
        return await self._rebuild()

    async def import_services(
        self, name: str, panel_ids: list[int], category: str | None
    ) -> Imported:
        panel = self.panels.named(name)
        return await self._repository.import_services(
            panel.name, panel_ids, category, await self.terms()
        )

    async def set_routes(self, service_id: int, routes: list[tuple[str, int]] | None) -> None:
        """Raises PanelProblem naming an unknown panel or a service a panel does not list."""
        for panel_name, _ in routes or ():
            self.panels.named(panel_name)
        unknown = await self._repository.set_routes(service_id, routes, await self.terms())
        if unknown:
            listed = ", ".join(f"{panel}:{panel_id}" for panel, panel_id in unknown)
            raise PanelProblem(f"Not in the panels' lists (try /sync first): {listed}.")

    async def rename(self, service_id: int, name: str | None) -> None:
        await self._repository.set_own_text(service_id, "own_name", name, await self.terms())

    async def describe(self, service_id: int, text: str | None) -> None:
        await self._repository.set_own_text(service_id, "own_description", text, await self.terms())

    async def routes_of(self, service_id: int) -> tuple[str, list[RouteRecord]]:
        """How a service is routed ('ordered' or 'cheapest') and its routes, for admins."""
        return (
            await self._repository.routing(service_id),
            await self._repository.routes(service_id),
        )

    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a service (or a product) customers can buy."""
        routed = await self._repository.routed_panels()
        for listing in self._listings:
            routed |= await listing.routed_panels()
        return routed

    def selling_panel(self, name: str, currency: str) -> tuple[Panel, Decimal] | None:
        """The panel, and one unit of its currency in the shop's, when a route to it sells now
        (the panel known and on, its rate known); None otherwise."""
        panel = self.panels.get(name)
        if panel is None or not panel.record.enabled:
            return None
        conversion = self.conversion(panel, currency)
        return None if conversion is None else (panel, conversion)

    async def _setting(self, key: str) -> str | None:
        """Settings change only through this class, so they are read once and kept."""
        if key not in self._cached:
            self._cached[key] = await self._settings.get(key)
        return self._cached[key]

    async def currency(self) -> str:
        return await self._setting(CURRENCY_KEY) or DEFAULT_CURRENCY

    async def markup_percent(self) -> Decimal:
        stored = await self._setting(MARKUP_KEY)
        return Decimal(stored) if stored is not None else self._default_markup

    async def set_markup_percent(self, percent: Decimal) -> None:
        await self._settings.set(MARKUP_KEY, str(percent))
        self._cached.pop(MARKUP_KEY, None)

    async def markup_for(self, service: ServiceRecord) -> Decimal:
        """The most specific rule wins: the service's, its category's, then the global one."""
        specific = await self._markup_rules.for_service(service.id, service.category_id)
        return specific if specific is not None else await self.markup_percent()

    async def markup_rules(self) -> list[MarkupRule]:
        return await self._markup_rules.all()

    async def set_markup_rule(self, scope: str, target: int, percent: Decimal) -> None:
        await self._markup_rules.set(scope, target, percent)

    async def remove_markup_rule(self, scope: str, target: int) -> bool:
        return await self._markup_rules.remove(scope, target)

    async def category_by_name(self, name: str) -> Category | None:
        return await self._repository.category_by_name(name)

    async def service(self, service_id: int) -> ServiceRecord | None:
        """A service as stored, hidden or not (for the owner)."""
        return await self._repository.service(service_id)

    async def set_hidden(self, target: ServiceRecord | Category, hidden: bool) -> None:
        if isinstance(target, Category):
            await self._repository.set_category_hidden(target.id, hidden)
        else:
            await self._repository.set_service_hidden(target.id, hidden)

    async def categories(self, page: int, size: int = PAGE_SIZE) -> Page[Category]:
        total = await self._repository.count_categories()
        return await fetch_page(page, total, self._repository.categories, size)

    async def category(self, category_id: int) -> Category | None:
        category = await self._repository.category(category_id)
        return category if category is not None and not category.hidden else None

    async def services(
        self, category: Category, page: int, size: int = PAGE_SIZE
    ) -> Page[ServiceRecord]:
        return await fetch_page(
            page, category.service_count, partial(self._repository.services_in, category.id), size
        )

    async def search(self, query: str, page: int, size: int = PAGE_SIZE) -> Page[ServiceRecord]:
        """Visible services with every word of the query in their name, best first; a number
        also finds the service with that id, first. Raises BadQuery (see search_terms)."""
        terms = search_terms(query)
        page = max(page, 0)
        found = await self._repository.search(terms, page * size, size)
        if found.total and not found.items:  # past the end (an old button): the last page
            page = clamp_page(page, found.total, size)
            found = await self._repository.search(terms, page * size, size)
        total = found.total
        return Page(
            list(found.items), clamp_page(page, total, size), page_count(total, size), total
        )

    async def offer(self, service_id: int) -> Offer | None:
        """The service with our price, or None when it is unknown, hidden or sold nowhere."""
        service = await self._repository.service(service_id)
        if service is None or not service.orderable:
            return None
        return await self._offer_of(service, await self.selling_routes(service_id))

    async def offers(self, services: Sequence[ServiceRecord]) -> dict[int, Offer]:
        """The offers of a page of services (those sold now), their routes read at once: what
        a list priced row by row costs in one read (the Mini App's lists)."""
        wanted = tuple(service.id for service in services if service.orderable)
        routed = await self._repository.routes_of(wanted) if wanted else {}
        currency = await self.currency()
        offers = {}
        for service in services:
            if service.id in routed:
                routing, records = routed[service.id]
                offer = await self._offer_of(service, self._selling(routing, records, currency))
                if offer is not None:
                    offers[service.id] = offer
        return offers

    async def _offer_of(self, service: ServiceRecord, routes: tuple[Route, ...]) -> Offer | None:
        """The service as its first selling route sells it, priced by its markup rule."""
        if not routes:
            return None
        first = routes[0]
        service = replace(
            service,
            type=first.kind.value,
            rate=first.rate,
            min_quantity=first.min_quantity,
            max_quantity=first.max_quantity,
            refill=first.refill,
            cancel=first.cancel,
            dripfeed=first.dripfeed,
        )
        markup = await self.markup_for(service)
        unit_price = service_price(first.rate, 1000, markup, is_package=first.is_package)
        return Offer(service, first.kind, unit_price, await self.currency(), markup, routes)

    async def selling_routes(self, service_id: int) -> tuple[Route, ...]:
        """The routes that sell now (panel on, rate known, service listed), in the order they
        are tried: the routes' own, or cheapest first."""
        routing = await self._repository.routing(service_id)
        records = await self._repository.routes(service_id)
        return self._selling(routing, records, await self.currency())

    def _selling(
        self, routing: str, records: Sequence[RouteRecord], currency: str
    ) -> tuple[Route, ...]:
        routes = []
        for record in records:
            selling = self.selling_panel(record.panel, currency) if record.listed else None
            if selling is not None:
                routes.append(route_from(record, *selling))
        if routing == "cheapest":
            routes.sort(key=lambda route: route.rate)  # stable: equal rates keep their order
        return tuple(routes)

    async def count_services(self) -> int:
        return await self._repository.count_services()

    async def listed(self) -> list[ServiceRecord]:
        """Every visible service, described by its first route (the API's price list)."""
        return await self._repository.listed()

    async def price(self, offer: Offer, quantity: int, route: Route | None = None) -> Decimal:
        """Always from the current rate and rule, so a rate rise never sells at a loss; from
        `route`'s rate when given (the route the order is quoted by)."""
        rate = offer.service.rate if route is None else route.rate
        return service_price(rate, quantity, offer.markup_percent, is_package=offer.is_package)
