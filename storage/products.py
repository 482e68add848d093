"""Digital products from any panel, cached in SQLite: browsed locally, synced with the catalog.

As for services (storage/routing.py), each panel's products are stored as it lists them
(`panel_products`), and the shop's own products (`products`, what customers browse) are sold
through their routes (`product_routes`: shop product -> panel product, in order). A product is
described by its first route that sells and has stock (its panel on, with a known currency rate,
listing the product), else by its first that sells, or its cheapest one when routed to the
cheapest; the shop's own category wins. A product with no route that sells is hidden, never
deleted. A mirrored panel's products (mode `all`, as `main` is) become shop products by
themselves; the main panel's keep its ids. Products are few: every change describes them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from storage.catalog import Category, Imported
from storage.db import Database, Transaction
from storage.money import from_micros, to_micros_ceiling
from storage.records import Record
from storage.routing import (
    PanelRow,
    PanelTerms,
    choose_route,
    listing_position,
    new_ids,
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


@dataclass(frozen=True, slots=True)
class ProductRouteRecord:
    """A route of a shop product: a panel's product as the panel last listed it (`listed`
    False when it never did or stopped). The rate is per unit, in the panel's currency."""

    panel: str
    panel_product_id: int
    listed: bool
    name: str = ""
    require: str = ""
    rate: Decimal = Decimal(0)
    min_quantity: int = 1
    max_quantity: int = 1
    stock_status: str = ""
    inventory: int | None = None
    type: str = ""

    @property
    def in_stock(self) -> bool:
        return in_stock(self.stock_status, self.inventory)


COLUMNS = "p.*, c.name AS category"
VISIBLE = "p.active = 1 AND p.hidden = 0"
PANEL_COLUMNS = """name, require, category, rate, min_quantity, max_quantity, stock_status,
    inventory, type, position, active"""
# Where fields are in a panel product's row (PANEL_COLUMNS).
PP_RATE, PP_STOCK, PP_INVENTORY, PP_ACTIVE = 3, 6, 7, 10
ROUTING = frozenset({"ordered", "cheapest"})


def has_stock(row: PanelRow) -> bool:
    return in_stock(row[PP_STOCK], row[PP_INVENTORY])


class ProductRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- writing: the panels' lists, imports, routes ------------------------------------------

    async def sync_panels(
        self, lists: Mapping[str, Sequence[ProductEntry]], terms: Mapping[str, PanelTerms]
    ) -> int:
        """Store what each panel lists (one transaction); a mirrored panel's new products
        become shop products; then every shop product is described again. Returns how many
        shop products are listed."""
        async with self._db.transaction() as tx:
            for panel, entries in lists.items():
                await self._store_panel(tx, panel, entries)
                if panel in terms and terms[panel].mirror:
                    await self._create(tx, panel, await self._unrouted(tx, panel), None)
            return await self._rebuild(tx, terms)

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> int:
        """Describe every product again after a panel changed (on, off, its rate, its mode);
        with `mirror`, that panel's products no shop product sells yet become shop products."""
        async with self._db.transaction() as tx:
            if mirror:
                await self._create(tx, mirror, await self._unrouted(tx, mirror), None)
            return await self._rebuild(tx, terms)

    async def import_products(
        self,
        panel: str,
        panel_ids: Sequence[int],
        category: str | None,
        terms: Mapping[str, PanelTerms],
    ) -> Imported:
        """Sell these products of `panel`, each as a new shop product (in `category` when
        given); ids it does not list, or already sold, are reported and skipped."""
        imported = Imported()
        async with self._db.transaction() as tx:
            listed = {
                row[0]
                for row in await tx.fetchall(
                    "SELECT product_id FROM panel_products WHERE panel = ? AND active = 1",
                    (panel,),
                )
            }
            routed = {
                row[0]: row[1]
                for row in await tx.fetchall(
                    "SELECT panel_product_id, product_id FROM product_routes WHERE panel = ?",
                    (panel,),
                )
            }
            wanted = []
            for panel_id in dict.fromkeys(panel_ids):
                if panel_id in routed:
                    imported.already[panel_id] = routed[panel_id]
                elif panel_id not in listed:
                    imported.unknown.append(panel_id)
                else:
                    wanted.append(panel_id)
            imported.created = await self._create(tx, panel, wanted, category)
            if imported.created:
                await self._rebuild(tx, terms)
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
            if routes is None:
                await tx.execute(
                    "UPDATE products SET routing = 'cheapest' WHERE id = ?", (product_id,)
                )
            else:
                listed = await self._panel_rows(tx)
                unknown = [(p, i) for p, i in routes if i not in listed.get(p, {})]
                if unknown:
                    return unknown
                await tx.execute("DELETE FROM product_routes WHERE product_id = ?", (product_id,))
                await tx.executemany(
                    """INSERT INTO product_routes (product_id, panel, panel_product_id, position)
                       VALUES (?, ?, ?, ?)""",
                    [(product_id, p, i, n) for n, (p, i) in enumerate(dict.fromkeys(routes))],
                )
                await tx.execute(
                    "UPDATE products SET routing = 'ordered' WHERE id = ?", (product_id,)
                )
            await self._rebuild(tx, terms)
        return []

    async def _store_panel(
        self, tx: Transaction, panel: str, entries: Sequence[ProductEntry]
    ) -> None:
        """A panel's list as it answered (few rows: written whole); vanished ones inactive."""
        await tx.execute("UPDATE panel_products SET active = 0 WHERE panel = ?", (panel,))
        await tx.executemany(
            f"""INSERT INTO panel_products (panel, product_id, {PANEL_COLUMNS})
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT (panel, product_id) DO UPDATE SET name = excluded.name,
                    require = excluded.require, category = excluded.category,
                    rate = excluded.rate, min_quantity = excluded.min_quantity,
                    max_quantity = excluded.max_quantity, stock_status = excluded.stock_status,
                    inventory = excluded.inventory, type = excluded.type,
                    position = excluded.position, active = 1""",
            [
                (
                    panel,
                    e.id,
                    e.name,
                    e.require,
                    e.category,
                    to_micros_ceiling(e.rate),
                    e.min_quantity,
                    e.max_quantity,
                    e.stock_status,
                    e.inventory,
                    e.type,
                    position,
                )
                for position, e in enumerate(entries)
            ],
        )

    async def _unrouted(self, tx: Transaction, panel: str) -> list[int]:
        rows = await tx.fetchall(
            """SELECT pp.product_id FROM panel_products pp WHERE pp.panel = ? AND pp.active = 1
               AND NOT EXISTS (SELECT 1 FROM product_routes r
                               WHERE r.panel = pp.panel AND r.panel_product_id = pp.product_id)
               ORDER BY pp.position""",
            (panel,),
        )
        return [row[0] for row in rows]

    async def _create(
        self, tx: Transaction, panel: str, panel_ids: Sequence[int], category: str | None
    ) -> dict[int, int]:
        """New shop products sold through these of `panel`'s: panel id -> the new shop id.
        Written inactive, under a placeholder category: _rebuild() describes them."""
        ids = await new_ids(tx, panel, panel_ids, table="products")
        if not ids:
            return {}
        placeholder = await self._category_id(tx, category or "Other", 0)
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

    async def _category_id(self, tx: Transaction, name: str, position: int) -> int:
        found = await tx.fetchval("SELECT id FROM product_categories WHERE name = ?", (name,))
        if found is not None:
            return int(found)
        return await tx.execute(
            "INSERT INTO product_categories (name, position) VALUES (?, ?)", (name, position)
        )

    async def _panel_rows(self, tx: Transaction) -> dict[str, dict[int, PanelRow]]:
        listed: dict[str, dict[int, PanelRow]] = {}
        for row in await tx.fetchall(
            f"SELECT panel, product_id, {PANEL_COLUMNS} FROM panel_products"
        ):
            listed.setdefault(row[0], {})[row[1]] = tuple(row[2:])
        return listed

    async def _rebuild(self, tx: Transaction, terms: Mapping[str, PanelTerms]) -> int:
        """Describe every shop product by its routes; returns how many are listed."""
        routes: dict[int, list[tuple[str, int]]] = {}
        for product_id, panel, panel_product_id in await tx.fetchall(
            """SELECT product_id, panel, panel_product_id FROM product_routes
               ORDER BY product_id, position"""
        ):
            routes.setdefault(product_id, []).append((panel, panel_product_id))
        own = {
            row[0]: (row[1], row[2])
            for row in await tx.fetchall("SELECT id, own_category, routing FROM products")
        }
        listed = await self._panel_rows(tx)
        described = []
        for product_id, its_routes in routes.items():
            row = describe(product_id, its_routes, listed, terms, own.get(product_id))
            if row is not None:
                described.append(row)
        described.sort(key=lambda row: row[-2])  # listing position
        categories: dict[str, int] = {}
        for position, name in enumerate(dict.fromkeys(row[1] for row in described)):
            categories[name] = await self._category_id(tx, name, position)
        await tx.execute("UPDATE products SET active = 0")
        await tx.executemany(
            """UPDATE products SET category_id = ?, name = ?, require = ?, rate = ?,
                   min_quantity = ?, max_quantity = ?, stock_status = ?, inventory = ?,
                   type = ?, position = ?, active = ? WHERE id = ?""",
            [(categories[row[1]], *row[2:], row[0]) for row in described],
        )
        return sum(1 for row in described if row[-1])

    # ---- reading ------------------------------------------------------------------------------

    async def routes(self, product_id: int) -> list[ProductRouteRecord]:
        """The product's routes in order, with what each panel lists for it."""
        rows = await self._db.fetchall(
            """SELECT r.panel, r.panel_product_id, pp.product_id, pp.name, pp.require, pp.rate,
                      pp.min_quantity, pp.max_quantity, pp.stock_status, pp.inventory, pp.type,
                      pp.active
               FROM product_routes r LEFT JOIN panel_products pp
                   ON pp.panel = r.panel AND pp.product_id = r.panel_product_id
               WHERE r.product_id = ? ORDER BY r.position""",
            (product_id,),
        )
        return [
            ProductRouteRecord(row[0], row[1], listed=False)
            if row[2] is None
            else ProductRouteRecord(
                panel=row[0],
                panel_product_id=row[1],
                listed=bool(row[11]),
                name=row[3],
                require=row[4],
                rate=from_micros(row[5]),
                min_quantity=row[6],
                max_quantity=row[7],
                stock_status=row[8],
                inventory=row[9],
                type=row[10],
            )
            for row in rows
        ]

    async def routing(self, product_id: int) -> str:
        value = await self._db.fetchval("SELECT routing FROM products WHERE id = ?", (product_id,))
        return str(value or "ordered")

    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a product customers can buy."""
        rows = await self._db.fetchall(
            """SELECT DISTINCT r.panel FROM product_routes r
               JOIN products p ON p.id = r.product_id AND p.active = 1 AND p.hidden = 0
               JOIN panel_products pp ON pp.panel = r.panel
                   AND pp.product_id = r.panel_product_id AND pp.active = 1"""
        )
        return frozenset(row[0] for row in rows)

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
        return None if row is None else Category(row["id"], row["name"], False, row[2])

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


def describe(
    product_id: int,
    routes: Sequence[tuple[str, int]],
    listed: Mapping[str, Mapping[int, PanelRow]],
    terms: Mapping[str, PanelTerms],
    own: tuple[Any, ...] | None,
) -> tuple[Any, ...] | None:
    """A shop product as its route describes it (storage/routing.py choose_route), preferring
    routes with stock: (id, category name, name, require, rate in micro-units of the shop's
    currency, min, max, stock status, inventory, type, listing position, active)."""
    own_category, routing = own or (None, "ordered")
    cheapest = routing == "cheapest"
    stocked = {
        panel: {i: row for i, row in rows.items() if has_stock(row)}
        for panel, rows in listed.items()
    }
    found = choose_route(
        routes, stocked, terms, cheapest=cheapest, rate_at=PP_RATE, active_at=PP_ACTIVE
    )
    if found is None or not found[2]:  # none with stock sells: the first that sells at all
        found = choose_route(
            routes, listed, terms, cheapest=cheapest, rate_at=PP_RATE, active_at=PP_ACTIVE
        )
    if found is None:
        return None
    panel, row, selling = found
    (name, require, category, rate, low, high, stock_status, inventory, kind, place, _) = row
    panel_terms = terms.get(panel)
    return (
        product_id, own_category or category, name, require, shop_rate(rate, panel_terms),
        low, high, stock_status, inventory, kind, listing_position(selling, panel_terms, place),
        int(selling),
    )  # fmt: skip
