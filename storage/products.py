"""The panel's digital products cached in SQLite: browsed locally, synced with the catalog."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from storage.catalog import Category
from storage.db import Database
from storage.money import from_micros, to_micros_ceiling


@dataclass(frozen=True, slots=True)
class ProductEntry:
    """One product as the panel lists it, ready to store."""

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


@dataclass(frozen=True, slots=True)
class ProductRecord:
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
        if self.inventory is not None and self.inventory <= 0:
            return False
        return "out" not in self.stock_status.lower()

    @property
    def orderable(self) -> bool:
        return self.active and not self.hidden and self.in_stock

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ProductRecord:
        return cls(
            id=row["id"],
            category_id=row["category_id"],
            category=row["category"],
            name=row["name"],
            require=row["require"],
            rate=from_micros(row["rate"]),
            min_quantity=row["min_quantity"],
            max_quantity=row["max_quantity"],
            stock_status=row["stock_status"],
            inventory=row["inventory"],
            type=row["type"],
            hidden=bool(row["hidden"]),
            active=bool(row["active"]),
        )


COLUMNS = "p.*, c.name AS category"
VISIBLE = "p.active = 1 AND p.hidden = 0"


class ProductRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def sync(self, entries: Sequence[ProductEntry]) -> int:
        """Store the panel's products (few: rewritten whole); returns how many are listed."""
        async with self._db.transaction() as tx:
            categories = {
                row["name"]: row["id"]
                for row in await tx.fetchall("SELECT id, name FROM product_categories")
            }
            for position, name in enumerate(dict.fromkeys(e.category for e in entries)):
                if name not in categories:
                    categories[name] = await tx.execute(
                        "INSERT INTO product_categories (name, position) VALUES (?, ?)",
                        (name, position),
                    )
            await tx.execute("UPDATE products SET active = 0")
            await tx.executemany(
                """INSERT INTO products (id, category_id, name, require, rate, min_quantity,
                       max_quantity, stock_status, inventory, type, position, active)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                   ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,
                       name = excluded.name, require = excluded.require, rate = excluded.rate,
                       min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,
                       stock_status = excluded.stock_status, inventory = excluded.inventory,
                       type = excluded.type, position = excluded.position, active = 1""",
                [
                    (
                        e.id,
                        categories[e.category],
                        e.name,
                        e.require,
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
        return len(entries)

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
