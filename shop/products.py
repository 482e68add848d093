"""Digital products: syncing them from the panel, browsing with our prices, ordering them.

Ordering goes through the same money path as services (`Ordering.charge_and_submit`): one order
per confirm, the debit and the order row in one transaction, refusals refunded at once,
ambiguous failures held as unconfirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from provider.client import PanelClient
from provider.models import Product
from shop.books import Books
from shop.catalog import PAGE_SIZE, Catalog, Page, fetch_page
from shop.checkout import (
    AlreadyPlaced,
    Bill,
    Draft,
    OutOfStock,
    Placement,
    PriceChanged,
    ServiceGone,
)
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

    async def sync(self) -> int:
        """Fetch the panel's products and store them. Raises PanelError when the panel fails."""
        products = await self._panel.products()
        unique = list({product.product: product for product in products}.values())
        count = await self._repository.sync([to_entry(product) for product in unique])
        logger.info("Products synced: %d listed", count)
        return count

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

    async def offer(self, product_id: int) -> ProductOffer | None:
        """The product with our price per unit (also when out of stock), None when gone."""
        product = await self._repository.product(product_id)
        if product is None or not product.active or product.hidden:
            return None
        markup = await self._catalog.markup_percent()
        unit = product_price(product.rate, 1, markup)
        return ProductOffer(product, unit, await self._catalog.currency())

    async def quote(self, user_id: int, draft: ProductDraft) -> ProductQuote | None:
        offer = await self.offer(draft.product_id)
        if offer is None:
            return None
        markup = await self._catalog.markup_percent()
        price = product_price(offer.product.rate, draft.quantity, markup)
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
        )

        async def submit(order_id: int) -> int:
            return await self._panel.add_product_order(product.id, draft.quantity, draft.require)

        return await self._ordering.charge_and_submit(new_order, quote, submit)
