"""The catalog as customers and admins browse it: categories and services, paged and searched,
each service offered at our price through the routes that sell it now.

A shop service is sold through its routes (storage/routes.py). An offer lists the routes that
sell now, in the order they are tried: the routes' order, or cheapest first. Beneath browsing:
the panels' terms and sync (shop/catalog_panels.py), then the currency and the markup
(shop/catalog_prices.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial

from shop.catalog_panels import CatalogPanels
from shop.offers import Offer, Route, as_first_route_sells, in_selling_order, route_from
from shop.paging import PAGE_SIZE, Page, clamp_page, fetch_page, page_count
from shop.pricing import service_price
from shop.search_query import search_terms
from storage.catalog import Category, RouteRecord, ServiceRecord


class Catalog(CatalogPanels):
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
        service = as_first_route_sells(service, first)
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
        return in_selling_order(routing, routes)

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
