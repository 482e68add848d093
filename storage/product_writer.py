"""Writing the products of several panels: each change one transaction of ProductRepository's.

As for services (storage/catalog_writer.py), each panel's products are stored as it lists them
(`panel_products`), and the shop's own products (`products`, what customers browse) are sold
through their routes (`product_routes`, storage/routes.py). A product is described by its first
route that sells and has stock (its panel on, with a known currency rate, listing the product),
else by its first that sells, or its cheapest one when routed to the cheapest; the shop's own
category wins. A product with no route that sells is hidden, never deleted. A mirrored panel's
products (mode `all`, as `main` is) become shop products by themselves; the main panel's keep
its ids. Products are few: every change describes them all, and a panel's list is written whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from storage.db import Transaction
from storage.money import to_micros_ceiling
from storage.records import columns, placeholders
from storage.routes import (
    PRODUCT_ROUTES,
    PanelTerms,
    choose_route,
    listing_position,
    shop_rate,
)


@dataclass(frozen=True, slots=True)
class ProductEntry:
    """One product as a panel lists it, ready to store."""

    id: int
    name: str
    category: str
    rate: Decimal  # per unit
    min_quantity: int
    max_quantity: int
    require: str = ""
    stock_status: str = ""
    inventory: int | None = None
    type: str = ""


def in_stock(stock_status: str, inventory: int | None) -> bool:
    if inventory is not None and inventory <= 0:
        return False
    return "out" not in stock_status.lower()


class ListedProduct(NamedTuple):
    """A panel's product as stored: the columns of `panel_products`, in their order."""

    panel: str
    product_id: int
    name: str
    require: str
    category: str
    rate: int  # per unit, micro-units of the panel's currency
    min_quantity: int
    max_quantity: int
    stock_status: str
    inventory: int | None
    type: str
    position: int  # where the panel lists it
    active: int  # the panel lists it now

    @property
    def has_stock(self) -> bool:
        return in_stock(self.stock_status, self.inventory)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ListedProduct:
        """A row of `SELECT {columns(ListedProduct)}` (storage/records.py)."""
        return cls._make(row)


LISTED_COLUMNS = columns(ListedProduct)
# Panel products by panel, then by the panel's id.
ListedProducts = dict[str, dict[int, ListedProduct]]


class Own(NamedTuple):
    """What the shop says of a product itself: its category (None: the panel's), its routing."""

    own_category: str | None
    routing: str  # ordered | cheapest


class DescribedProduct(NamedTuple):
    """A shop product as its routes describe it: the category by name, the rate in
    micro-units of the shop's currency."""

    id: int
    category: str
    name: str
    require: str
    rate: int
    min_quantity: int
    max_quantity: int
    stock_status: str
    inventory: int | None
    type: str
    position: int
    active: int

    def params(self, category_id: int) -> dict[str, object]:
        """Its columns by name, for an UPDATE of the product (the category by its id)."""
        return self._asdict() | {"category_id": category_id}


async def store_panel_products(
    tx: Transaction, panel: str, entries: Sequence[ProductEntry]
) -> None:
    """A panel's list as it answered (few rows: written whole); vanished ones inactive."""
    await tx.execute("UPDATE panel_products SET active = 0 WHERE panel = ?", (panel,))
    await tx.executemany(
        f"""INSERT INTO panel_products ({LISTED_COLUMNS})
            VALUES ({placeholders(ListedProduct)})
            ON CONFLICT (panel, product_id) DO UPDATE SET name = excluded.name,
                require = excluded.require, category = excluded.category,
                rate = excluded.rate, min_quantity = excluded.min_quantity,
                max_quantity = excluded.max_quantity, stock_status = excluded.stock_status,
                inventory = excluded.inventory, type = excluded.type,
                position = excluded.position, active = excluded.active""",
        [
            ListedProduct(
                panel=panel,
                product_id=entry.id,
                name=entry.name,
                require=entry.require,
                category=entry.category,
                rate=to_micros_ceiling(entry.rate),
                min_quantity=entry.min_quantity,
                max_quantity=entry.max_quantity,
                stock_status=entry.stock_status,
                inventory=entry.inventory,
                type=entry.type,
                position=position,
                active=1,
            )
            for position, entry in enumerate(entries)
        ],
    )


async def create_products(
    tx: Transaction, panel: str, panel_ids: Sequence[int], category: str | None
) -> dict[int, int]:
    """New shop products sold through these of `panel`'s: panel id -> the new shop id.
    Written inactive, under a placeholder category: rebuild_products() describes them."""
    ids = await PRODUCT_ROUTES.new_ids(tx, panel, panel_ids)
    if not ids:
        return {}
    placeholder = await category_id(tx, category or "Other", 0)
    await tx.executemany(
        """INSERT INTO products (id, category_id, name, rate, min_quantity, max_quantity,
               active, own_category)
           VALUES (?, ?, '', 0, 1, 1, 0, ?)""",
        [(i, placeholder, category) for i in ids],
    )
    await tx.executemany(
        """INSERT INTO product_routes (product_id, panel, panel_product_id, position)
           VALUES (?, ?, ?, 0)""",
        [(i, panel, p) for i, p in zip(ids, panel_ids, strict=True)],
    )
    return dict(zip(panel_ids, ids, strict=True))


async def category_id(tx: Transaction, name: str, position: int) -> int:
    """The product category of that name, created (at `position`) when there is none."""
    found = await tx.fetchval("SELECT id FROM product_categories WHERE name = ?", (name,))
    if found is not None:
        return int(found)
    return await tx.execute(
        "INSERT INTO product_categories (name, position) VALUES (?, ?)", (name, position)
    )


async def rebuild_products(tx: Transaction, terms: Mapping[str, PanelTerms]) -> int:
    """Describe every shop product by its routes; returns how many are listed."""
    routes: dict[int, list[tuple[str, int]]] = {}
    for row in await tx.fetchall(
        """SELECT product_id, panel, panel_product_id FROM product_routes
           ORDER BY product_id, position"""
    ):
        routes.setdefault(row["product_id"], []).append((row["panel"], row["panel_product_id"]))
    own = {
        row["id"]: Own(row["own_category"], row["routing"])
        for row in await tx.fetchall("SELECT id, own_category, routing FROM products")
    }
    listed: ListedProducts = {}
    for product in map(
        ListedProduct.from_row,
        await tx.fetchall(f"SELECT {LISTED_COLUMNS} FROM panel_products"),
    ):
        listed.setdefault(product.panel, {})[product.product_id] = product
    described = []
    for product_id, its_routes in routes.items():
        found = describe_product(product_id, its_routes, listed, terms, own.get(product_id))
        if found is not None:
            described.append(found)
    described.sort(key=lambda found: found.position)
    categories: dict[str, int] = {}
    for position, name in enumerate(dict.fromkeys(found.category for found in described)):
        categories[name] = await category_id(tx, name, position)
    await tx.execute("UPDATE products SET active = 0")
    await tx.executemany(
        """UPDATE products SET category_id = :category_id, name = :name, require = :require,
               rate = :rate, min_quantity = :min_quantity, max_quantity = :max_quantity,
               stock_status = :stock_status, inventory = :inventory, type = :type,
               position = :position, active = :active
           WHERE id = :id""",
        [found.params(categories[found.category]) for found in described],
    )
    return sum(1 for found in described if found.active)


def describe_product(
    product_id: int,
    routes: Sequence[tuple[str, int]],
    listed: ListedProducts,
    terms: Mapping[str, PanelTerms],
    own: Own | None,
) -> DescribedProduct | None:
    """A shop product as its route describes it (storage/routes.py choose_route), preferring
    routes with stock. None when no route has a panel product behind it."""
    own = own or Own(None, "ordered")
    cheapest = own.routing == "cheapest"
    stocked = {
        panel: {i: product for i, product in products.items() if product.has_stock}
        for panel, products in listed.items()
    }
    found = choose_route(routes, stocked, terms, cheapest=cheapest)
    if found is None or not found.selling:  # none with stock sells: the first that sells at all
        found = choose_route(routes, listed, terms, cheapest=cheapest)
    if found is None:
        return None
    panel, product, selling = found
    panel_terms = terms.get(panel)
    return DescribedProduct(
        product_id, own.own_category or product.category, product.name, product.require,
        shop_rate(product.rate, panel_terms), product.min_quantity, product.max_quantity,
        product.stock_status, product.inventory, product.type,
        listing_position(selling, panel_terms, product.position), int(selling),
    )  # fmt: skip
