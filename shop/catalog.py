"""The catalog: syncing the panel's services into SQLite; browsing and searching them, priced."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Generic, TypeVar

from provider.client import PanelClient
from provider.errors import PanelError
from provider.models import Service, ServiceType
from shop.pricing import service_price
from storage.catalog import CatalogEntry, CatalogRepository, Category, ServiceRecord, SyncResult
from storage.markup import MarkupRepository, MarkupRule
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
class Offer:
    """A service as a customer sees it: our price after markup."""

    service: ServiceRecord
    kind: ServiceType
    unit_price: Decimal  # per 1000, or the package price
    currency: str
    markup_percent: Decimal  # the rule that applies to this service

    @property
    def is_package(self) -> bool:
        return self.kind is ServiceType.PACKAGE


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def clamp_page(page: int, total: int) -> int:
    return min(max(page, 0), page_count(total) - 1)


async def fetch_page(
    page: int, total: int, fetch: Callable[[int, int], Awaitable[list[T]]]
) -> Page[T]:
    """Page `page` (clamped to what exists) of `total` items; fetch(offset, limit) reads it."""
    page = clamp_page(page, total)
    return Page(await fetch(page * PAGE_SIZE, PAGE_SIZE), page, page_count(total), total)


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


class Catalog:
    def __init__(
        self,
        repository: CatalogRepository,
        settings: SettingsRepository,
        panel: PanelClient,
        default_markup: Decimal,
        markup_rules: MarkupRepository,
    ) -> None:
        self._repository = repository
        self._markup_rules = markup_rules
        self._settings = settings
        self._panel = panel
        self._default_markup = default_markup
        self._cached: dict[str, str | None] = {}

    async def sync(self) -> SyncResult:
        """Fetch the panel's services and store them. Raises PanelError when the panel fails."""
        services = await self._panel.services()
        unique = list({service.service: service for service in services}.values())
        result = await self._repository.sync([to_entry(service) for service in unique])
        await self._refresh_currency()
        logger.info(
            "Catalog synced: %d added, %d changed, %d removed",
            len(result.added),
            len(result.changed),
            len(result.removed),
        )
        return result

    async def _refresh_currency(self) -> None:
        try:
            balance = await self._panel.balance()
        except PanelError:
            return
        if balance.currency and balance.currency != await self.currency():
            await self._settings.set(CURRENCY_KEY, balance.currency)
            self._cached.pop(CURRENCY_KEY, None)

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

    async def categories(self, page: int) -> Page[Category]:
        total = await self._repository.count_categories()
        return await fetch_page(page, total, self._repository.categories)

    async def category(self, category_id: int) -> Category | None:
        category = await self._repository.category(category_id)
        return category if category is not None and not category.hidden else None

    async def services(self, category: Category, page: int) -> Page[ServiceRecord]:
        return await fetch_page(
            page, category.service_count, partial(self._repository.services_in, category.id)
        )

    async def search(self, query: str, page: int) -> Page[ServiceRecord]:
        """Visible services with every word of the query in their name, best first; a number
        also finds the service with that id, first. Raises BadQuery (see search_terms)."""
        terms = search_terms(query)
        page = max(page, 0)
        found = await self._repository.search(terms, page * PAGE_SIZE, PAGE_SIZE)
        if found.total and not found.items:  # past the end (an old button): the last page
            page = clamp_page(page, found.total)
            found = await self._repository.search(terms, page * PAGE_SIZE, PAGE_SIZE)
        total = found.total
        return Page(list(found.items), clamp_page(page, total), page_count(total), total)

    async def offer(self, service_id: int) -> Offer | None:
        """The service with our price, or None when it is unknown, hidden or gone."""
        service = await self._repository.service(service_id)
        if service is None or not service.orderable:
            return None
        kind = ServiceType.parse(service.type)
        markup = await self.markup_for(service)
        is_package = kind is ServiceType.PACKAGE
        unit_price = service_price(service.rate, 1000, markup, is_package=is_package)
        return Offer(service, kind, unit_price, await self.currency(), markup)

    async def count_services(self) -> int:
        return await self._repository.count_services()

    async def price(self, offer: Offer, quantity: int) -> Decimal:
        """Always from the current rate and rule, so a rate rise never sells at a loss."""
        return service_price(
            offer.service.rate, quantity, offer.markup_percent, is_package=offer.is_package
        )
