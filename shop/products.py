"""Digital products: syncing them from the panel, browsing with our prices, ordering them.

Ordering goes through the same money path as services (`Ordering.charge_and_submit`): one order
per confirm, the debit and the order row in one transaction, refusals refunded at once,
ambiguous failures held as unconfirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from provider.client import PanelClient
from provider.models import Product
from shop.books import Books
from shop.catalog import Catalog, Page, fetch_page
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
from shop.pricing import product_price
from storage.catalog import Category
from storage.orders import NewOrder, OrderKind
from storage.products import ProductEntry, ProductRecord, ProductRepository
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
class ProductOffer:
    product: ProductRecord
    unit_price: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ProductQuote(Bill):
    offer: ProductOffer
    quantity: int


def to_entry(product: Product) -> ProductEntry:
    return ProductEntry(
        id=product.product,
        name=product.name or f"Product {product.product}",
        category=product.category or "Other",
        rate=product.rate,
        min_quantity=max(1, product.min),
        max_quantity=max(1, product.min, product.max),
        require=product.require,
        stock_status=product.status,
        inventory=product.inventory,
        type=product.type,
    )


class Products:
    def __init__(
        self,
        repository: ProductRepository,
        catalog: Catalog,
        panel: PanelClient,
        ordering: Ordering,
        books: Books,
    ) -> None:
        self._repository = repository
        self._catalog = catalog  # for the markup and the currency
        self._panel = panel
        self._ordering = ordering
        self._ledger = books.ledger
        self._discounts: Discounts = ordering.discounts

    async def sync(self) -> int:
        """Fetch the panel's products and store them. Raises PanelError when the panel fails."""
        products = await self._panel.products()
        unique = list({product.product: product for product in products}.values())
        count = await self._repository.sync([to_entry(product) for product in unique])
        logger.info("Products synced: %d listed", count)
        return count

    async def categories(self, page: int) -> Page[Category]:
        total = await self._repository.count_categories()
        return await fetch_page(page, total, self._repository.categories)

    async def category(self, category_id: int) -> Category | None:
        return await self._repository.category(category_id)

    async def products(self, category: Category, page: int) -> Page[ProductRecord]:
        return await fetch_page(
            page, category.service_count, partial(self._repository.products_in, category.id)
        )

    async def offer(self, product_id: int) -> ProductOffer | None:
        """The product with our price per unit (also when out of stock), None when gone."""
        product = await self._repository.product(product_id)
        if product is None or not product.active or product.hidden:
            return None
        markup = await self._catalog.markup_percent()
        unit = product_price(product.rate, 1, markup)
        return ProductOffer(product, unit, await self._catalog.currency())

    async def price_list(self, user_id: int) -> list[ProductOffer]:
        """Every visible product at this person's price per unit (their discount, never below
        what it costs), in or out of stock."""
        markup = await self._catalog.markup_percent()
        currency = await self._catalog.currency()
        listed = []
        for product in await self._repository.listed():
            price = product_price(product.rate, 1, markup)
            cost = product_price(product.rate, 1, Decimal(0))
            unit = await self._discounts.apply(user_id, price, cost)
            listed.append(ProductOffer(product, unit, currency))
        return listed

    async def quote(self, user_id: int, draft: ProductDraft) -> ProductQuote | None:
        offer = await self.offer(draft.product_id)
        if offer is None:
            return None
        markup = await self._catalog.markup_percent()
        price = product_price(offer.product.rate, draft.quantity, markup)
        cost = product_price(offer.product.rate, draft.quantity, Decimal(0))
        price = await self._discounts.apply(user_id, price, cost)  # never below the cost
        balance = await self._ledger.balance(user_id)
        return ProductQuote(price, balance, offer.currency, offer=offer, quantity=draft.quantity)

    async def place(self, user: User, draft: ProductDraft) -> Placement:
        existing = await self._ordering.placed_by_draft(draft.key)
        if existing is not None:
            return AlreadyPlaced(existing)
        quote = await self.quote(user.id, draft)
        if quote is None:
            return ServiceGone()
        product = quote.offer.product
        if not product.in_stock:
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
            via_api=draft.via_api,
        )

        async def submit(order_id: int) -> int:
            return await self._panel.add_product_order(product.id, draft.quantity, draft.require)

        return await self._ordering.charge_and_submit(new_order, quote, submit)
