"""Digital products: syncing them from the panels, browsing with our prices, ordering them.

A product is sold through its routes, as a service is (storage/products.py): `/import product`
and `/route product` choose them. An order goes to the first route that sells it now (the
panel on, its rate known, the product listed; one with stock first), and records that panel:
the tracker follows it there. Ordering goes through the same money path as services
(`Ordering.charge_and_submit`): one order per confirm, the debit and the order row in one
transaction, refusals refunded at once, ambiguous failures held as unconfirmed. A product
order is not failed over to a second route.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import partial

from provider.errors import PanelError
from provider.models import Product
from shop.books import Books
from shop.catalog import Catalog
from shop.checkout import (
    AlreadyPlaced,
    Bill,
    Draft,
    OutOfStock,
    Placement,
    PriceChanged,
    ServiceGone,
)
from shop.discounts import Discounts
from shop.order_input import parse_quantity
from shop.ordering import Ordering
from shop.paging import PAGE_SIZE, Page, fetch_page
from shop.panel_lists import last_of_each, quantity_range
from shop.panels import PanelProblem
from shop.pricing import product_price
from storage.catalog import Category, Imported
from storage.orders import NewOrder, OrderKind
from storage.products import ProductEntry, ProductRecord, ProductRepository, ProductRouteRecord
from storage.users import User

logger = logging.getLogger(__name__)

MAX_REQUIRE_LENGTH = 1000


class ProductDraft(Draft):
    product_id: int
    quantity: int = 0
    require: str = ""


def require_allowed(text: str) -> bool:
    """What a product asks for (an account, a code): 1 to 1,000 characters, kept as given."""
    return bool(text.strip()) and len(text) <= MAX_REQUIRE_LENGTH


class RequireMissing(ValueError):
    """The product needs information (`require`) that was not given."""


class RequireNotAllowed(ValueError):
    """The information given is empty or longer than 1,000 characters."""


def product_draft_from_fields(offer: ProductOffer, fields: Mapping[str, str]) -> ProductDraft:
    """A whole product draft from one request's fields, by the chat's rules: the quantity
    within the product's range, then what it requires. Raises InputError (the quantity),
    RequireMissing or RequireNotAllowed."""
    product = offer.product
    draft = ProductDraft(product_id=product.id)
    draft.quantity = parse_quantity(
        fields.get("quantity"), product.min_quantity, product.max_quantity
    )
    if product.require:
        require = fields.get("require")
        if require is None or not require.strip():
            raise RequireMissing()
        if not require_allowed(require):
            raise RequireNotAllowed()
        draft.require = require
    return draft


@dataclass(frozen=True, slots=True)
class ProductRoute:
    """A way to buy a product now: a panel's product, its price per unit in the shop's
    currency."""

    panel: str
    panel_product_id: int
    rate: Decimal
    in_stock: bool


@dataclass(frozen=True, slots=True)
class ProductOffer:
    product: ProductRecord
    unit_price: Decimal
    currency: str
    route: ProductRoute | None = None  # what an order goes to; None: no route sells it now


@dataclass(frozen=True, slots=True)
class ProductQuote(Bill):
    offer: ProductOffer
    quantity: int


def to_entry(product: Product) -> ProductEntry:
    low, high = quantity_range(product.min, product.max)
    return ProductEntry(
        id=product.product,
        name=product.name or f"Product {product.product}",
        category=product.category or "Other",
        rate=product.rate,
        min_quantity=low,
        max_quantity=high,
        require=product.require,
        stock_status=product.status,
        inventory=product.inventory,
        type=product.type,
    )


def to_entries(products: list[Product]) -> list[ProductEntry]:
    """A panel's list, each id once (a panel that repeats one: the last wins)."""
    return [to_entry(product) for product in last_of_each(products, lambda p: p.product)]


class Products:
    def __init__(
        self, repository: ProductRepository, catalog: Catalog, ordering: Ordering, books: Books
    ) -> None:
        self._repository = repository
        self._catalog = catalog  # the panels, their terms, the markup and the currency
        self._ordering = ordering
        self._ledger = books.ledger
        self._discounts: Discounts = ordering.discounts
        catalog.also_rebuild(repository)  # a panel's terms change the products too

    async def sync(self, names: Sequence[str] | None = None) -> int:
        """Fetch the products of every panel that is on (or of `names`) at once and store the
        answers in one transaction; returns how many products are listed. A panel that fails
        keeps its last list; PanelError when every panel asked failed."""
        wanted = [
            panel
            for panel in self._catalog.panels.all()
            if panel.record.enabled and (names is None or panel.name in names)
        ]
        answers = await asyncio.gather(
            *(panel.client.products() for panel in wanted), return_exceptions=True
        )
        lists: dict[str, list[ProductEntry]] = {}
        failures: list[PanelError] = []
        for panel, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, PanelError):
                logger.warning("Products sync of panel %s failed: %s", panel.name, answer)
                failures.append(answer)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                lists[panel.name] = to_entries(answer)
        if failures and not lists:
            raise failures[0]
        count = await self._repository.sync_panels(lists, await self._catalog.terms())
        logger.info("Products synced (%s): %d listed", ", ".join(lists), count)
        return count

    # ---- admins: which panels a product comes from --------------------------------------------

    async def import_products(
        self, name: str, panel_ids: list[int], category: str | None
    ) -> Imported:
        """Raises PanelProblem for an unknown panel."""
        panel = self._catalog.panels.named(name)
        return await self._repository.import_products(
            panel.name, panel_ids, category, await self._catalog.terms()
        )

    async def set_routes(self, product_id: int, routes: list[tuple[str, int]] | None) -> None:
        """Raises PanelProblem naming an unknown panel or a product a panel does not list."""
        for panel_name, _ in routes or ():
            self._catalog.panels.named(panel_name)
        terms = await self._catalog.terms()
        unknown = await self._repository.set_routes(product_id, routes, terms)
        if unknown:
            listed = ", ".join(f"{panel}:{panel_id}" for panel, panel_id in unknown)
            raise PanelProblem(f"Not in the panels' product lists (try /sync first): {listed}.")

    async def routes_of(self, product_id: int) -> tuple[str, list[ProductRouteRecord]]:
        """How a product is routed ('ordered' or 'cheapest') and its routes, for admins."""
        return (
            await self._repository.routing(product_id),
            await self._repository.routes(product_id),
        )

    async def product(self, product_id: int) -> ProductRecord | None:
        """A product as stored, sold or not (for admins)."""
        return await self._repository.product(product_id)

    # ---- customers ----------------------------------------------------------------------------

    async def categories(self, page: int, size: int = PAGE_SIZE) -> Page[Category]:
        total = await self._repository.count_categories()
        return await fetch_page(page, total, self._repository.categories, size)

    async def category(self, category_id: int) -> Category | None:
        return await self._repository.category(category_id)

    async def products(
        self, category: Category, page: int, size: int = PAGE_SIZE
    ) -> Page[ProductRecord]:
        return await fetch_page(
            page, category.service_count, partial(self._repository.products_in, category.id), size
        )

    async def selling_routes(self, product_id: int) -> list[ProductRoute]:
        """The routes that sell now (panel on, rate known, product listed), in the order they
        are tried (the routes' own, or cheapest first), those with stock first."""
        routing, records = await self.routes_of(product_id)
        currency = await self._catalog.currency()
        routes = []
        for record in records:
            selling = self._catalog.selling_panel(record.panel, currency) if record.listed else None
            if selling is not None:
                routes.append(
                    ProductRoute(
                        record.panel,
                        record.panel_product_id,
                        record.rate * selling[1],
                        record.in_stock,
                    )
                )
        if routing == "cheapest":
            routes.sort(key=lambda route: route.rate)  # stable: equal rates keep their order
        routes.sort(key=lambda route: not route.in_stock)
        return routes

    async def offer(self, product_id: int) -> ProductOffer | None:
        """The product with our price per unit (also when out of stock), None when gone."""
        product = await self._repository.product(product_id)
        if product is None or not product.active or product.hidden:
            return None
        routes = await self.selling_routes(product_id)
        route = routes[0] if routes else None
        markup = await self._catalog.markup_percent()
        unit = product_price(product.rate if route is None else route.rate, 1, markup)
        return ProductOffer(product, unit, await self._catalog.currency(), route)

    async def price_list(self, user_id: int) -> list[ProductOffer]:
        """Every visible product at this person's price per unit (their discount, never below
        what it costs), in or out of stock."""
        markup = await self._catalog.markup_percent()
        listed = []
        for product in await self._repository.listed():
            offer = await self.offer(product.id)
            if offer is None:
                continue
            rate = product.rate if offer.route is None else offer.route.rate
            cost = product_price(rate, 1, Decimal(0))
            unit = await self._discounts.apply(user_id, product_price(rate, 1, markup), cost)
            listed.append(replace(offer, unit_price=unit))
        return listed

    async def quote(self, user_id: int, draft: ProductDraft) -> ProductQuote | None:
        offer = await self.offer(draft.product_id)
        if offer is None:
            return None
        markup = await self._catalog.markup_percent()
        rate = offer.product.rate if offer.route is None else offer.route.rate
        price = product_price(rate, draft.quantity, markup)
        cost = product_price(rate, draft.quantity, Decimal(0))
        price = await self._discounts.apply(user_id, price, cost)  # never below the cost
        balance = await self._ledger.balance(user_id)
        return ProductQuote(price, balance, offer.currency, offer=offer, quantity=draft.quantity)

    async def place(self, user: User, draft: ProductDraft) -> Placement:
        existing = await self._ordering.placed_by_draft(draft.key)
        if existing is not None:
            return AlreadyPlaced(existing)
        quote = await self.quote(user.id, draft)
        if quote is None or quote.offer.route is None:
            return ServiceGone()
        product, route = quote.offer.product, quote.offer.route
        if not product.in_stock or not route.in_stock:
            return OutOfStock()
        if draft.price is not None and quote.price != draft.price:
            return PriceChanged(quote)
        new_order = NewOrder(
            kind=OrderKind.PRODUCT,
            user_id=user.id,
            service_id=product.id,
            service_name=product.name,
            service_type=product.type,
            link="",
            quantity=draft.quantity,
            price=quote.price,
            draft_key=draft.key,
            require_text=draft.require or None,
            panel=route.panel,
            panel_service_id=route.panel_product_id,
            via_api=draft.via_api,
        )
        client = self._catalog.panels.client(route.panel)

        async def submit(order_id: int) -> int:
            return await client.add_product_order(
                route.panel_product_id, draft.quantity, draft.require
            )

        return await self._ordering.charge_and_submit(new_order, quote, submit)
