"""The shop's digital products, from any panel, cached in SQLite: browsed locally, synced with
the catalog. Each change is one transaction (storage/product_writer.py describes how a product
is made of its routes); reads go to the database each time (products are few).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from storage.catalog import Category
from storage.db import Database
from storage.product_writer import (
    ProductEntry,
    create_products,
    in_stock,
    rebuild_products,
    store_panel_products,
)
from storage.records import Record
from storage.routes import PRODUCT_ROUTES, Imported, PanelRoute, PanelTerms

__all__ = [
    "ProductEntry",
    "ProductRecord",
    "ProductRepository",
    "ProductRouteRecord",
]


@dataclass(frozen=True, slots=True)
class ProductRecord(Record):
    id: int
    category_id: int
    category: str
    name: str
    require: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    stock_status: str
    inventory: int | None
    type: str
    hidden: bool
    active: bool

    @property
    def in_stock(self) -> bool:
        return in_stock(self.stock_status, self.inventory)

    @property
    def orderable(self) -> bool:
        return self.active and not self.hidden and self.in_stock


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRouteRecord(PanelRoute):
    """A route of a shop product: a panel's product (its rate per unit)."""

    panel_product_id: int
    require: str = ""
    stock_status: str = ""
    inventory: int | None = None

    @property
    def in_stock(self) -> bool:
        return in_stock(self.stock_status, self.inventory)


COLUMNS = "p.*, c.name AS category"
VISIBLE = "p.active = 1 AND p.hidden = 0"


class ProductRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- changes: the panels' lists, imports, routes ------------------------------------------

    async def sync_panels(
        self, lists: Mapping[str, Sequence[ProductEntry]], terms: Mapping[str, PanelTerms]
    ) -> int:
        """Store what each panel lists (one transaction); a mirrored panel's new products
        become shop products; then every shop product is described again. Returns how many
        shop products are listed."""
        async with self._db.transaction() as tx:
            for panel, entries in lists.items():
                await store_panel_products(tx, panel, entries)
                if panel in terms and terms[panel].mirror:
                    fresh = await PRODUCT_ROUTES.unrouted(tx, panel)
                    await create_products(tx, panel, fresh, None)
            return await rebuild_products(tx, terms)

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> int:
        """Describe every product again after a panel changed (on, off, its rate, its mode);
        with `mirror`, that panel's products no shop product sells yet become shop products."""
        async with self._db.transaction() as tx:
            if mirror:
                await create_products(tx, mirror, await PRODUCT_ROUTES.unrouted(tx, mirror), None)
            return await rebuild_products(tx, terms)

    async def import_products(
        self,
        panel: str,
        panel_ids: Sequence[int],
        category: str | None,
        terms: Mapping[str, PanelTerms],
    ) -> Imported:
        """Sell these products of `panel`, each as a new shop product (in `category` when
        given); ids it does not list, or already sold, are reported and skipped."""
        async with self._db.transaction() as tx:
            imported, wanted = await PRODUCT_ROUTES.sort_import(tx, panel, panel_ids)
            imported.created = await create_products(tx, panel, wanted, category)
            if imported.created:
                await rebuild_products(tx, terms)
        return imported

    async def set_routes(
        self,
        product_id: int,
        routes: Sequence[tuple[str, int]] | None,
        terms: Mapping[str, PanelTerms],
    ) -> list[tuple[str, int]]:
        """Route a product through these (panel, panel product id) in order, or (None) to the
        cheapest of its routes. Returns the routes the panels do not list (nothing changed)."""
        async with self._db.transaction() as tx:
            unknown = await PRODUCT_ROUTES.set_routes(tx, product_id, routes)
            if not unknown:
                await rebuild_products(tx, terms)
        return unknown

    # ---- reading ------------------------------------------------------------------------------

    async def routes(self, product_id: int) -> list[ProductRouteRecord]:
        """The product's routes in order, with what each panel lists for it."""
        rows = await self._db.fetchall(
            """SELECT r.panel, r.panel_product_id, pp.name, pp.require, pp.rate,
                      pp.min_quantity, pp.max_quantity, pp.stock_status, pp.inventory, pp.type,
                      pp.active
               FROM product_routes r LEFT JOIN panel_products pp
                   ON pp.panel = r.panel AND pp.product_id = r.panel_product_id
               WHERE r.product_id = ? ORDER BY r.position""",
            (product_id,),
        )
        return [ProductRouteRecord.from_row(row) for row in rows]

    async def routing(self, product_id: int) -> str:
        value = await self._db.fetchval("SELECT routing FROM products WHERE id = ?", (product_id,))
        return str(value or "ordered")

    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a product customers can buy."""
        return await PRODUCT_ROUTES.routed_panels(self._db)

    async def categories(self, offset: int = 0, limit: int = 8) -> list[Category]:
        rows = await self._db.fetchall(
            f"""SELECT c.id, c.name, COUNT(*) AS product_count
                FROM product_categories c JOIN products p ON p.category_id = c.id
                WHERE {VISIBLE} GROUP BY c.id ORDER BY c.position, c.id LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Category(r["id"], r["name"], False, r["product_count"]) for r in rows]

    async def count_categories(self) -> int:
        count: int = await self._db.fetchval(
            f"""SELECT COUNT(DISTINCT c.id) FROM product_categories c
                JOIN products p ON p.category_id = c.id WHERE {VISIBLE}"""
        )
        return count

    async def category(self, category_id: int) -> Category | None:
        row = await self._db.fetchone(
            f"""SELECT c.id, c.name, (SELECT COUNT(*) FROM products p
                    WHERE p.category_id = c.id AND {VISIBLE}) AS product_count
                FROM product_categories c WHERE c.id = ?""",
            (category_id,),
        )
        return (
            None if row is None else Category(row["id"], row["name"], False, row["product_count"])
        )

    async def products_in(
        self, category_id: int, offset: int = 0, limit: int = 8
    ) -> list[ProductRecord]:
        rows = await self._db.fetchall(
            f"""SELECT {COLUMNS} FROM products p JOIN product_categories c ON c.id = p.category_id
                WHERE p.category_id = ? AND {VISIBLE} ORDER BY p.position, p.id
                LIMIT ? OFFSET ?""",
            (category_id, limit, offset),
        )
        return [ProductRecord.from_row(row) for row in rows]

    async def listed(self) -> list[ProductRecord]:
        """Every visible product, as browsing lists them (the API's `products`)."""
        rows = await self._db.fetchall(
            f"""SELECT {COLUMNS} FROM products p JOIN product_categories c ON c.id = p.category_id
                WHERE {VISIBLE} ORDER BY c.position, c.id, p.position, p.id"""
        )
        return [ProductRecord.from_row(row) for row in rows]

    async def product(self, product_id: int) -> ProductRecord | None:
        row = await self._db.fetchone(
            f"""SELECT {COLUMNS} FROM products p JOIN product_categories c ON c.id = p.category_id
                WHERE p.id = ?""",
            (product_id,),
        )
        return None if row is None else ProductRecord.from_row(row)
