"""The panel's service catalog cached in SQLite, with the owner's hidden flags.

Browsing reads only from here; the panel is asked only by the sync. The catalog changes only
through this class (the sync, the owner's hide/show), so what browsing reads is remembered in
memory until the next such change: every customer's menu is the same few reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from storage.db import Database
from storage.memo import Remembering, remembered
from storage.money import from_micros, to_micros_ceiling
from storage.search import INDEX_TABLE, NameQuery, fold, write_index


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One service as the panel lists it, ready to store."""

    id: int
    name: str
    type: str
    category: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool = False
    cancel: bool = False
    description: str = ""
    dripfeed: bool = False


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: int
    category_id: int
    category: str
    name: str
    type: str
    rate: Decimal
    min_quantity: int
    max_quantity: int
    refill: bool
    cancel: bool
    description: str
    hidden: bool
    active: bool
    dripfeed: bool = False  # drip-feed: the order may be split in runs at an interval

    @property
    def orderable(self) -> bool:
        return self.active and not self.hidden

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ServiceRecord:
        return cls(
            id=row["id"],
            category_id=row["category_id"],
            category=row["category"],
            name=row["name"],
            type=row["type"],
            rate=from_micros(row["rate"]),
            min_quantity=row["min_quantity"],
            max_quantity=row["max_quantity"],
            refill=bool(row["refill"]),
            cancel=bool(row["cancel"]),
            description=row["description"],
            hidden=bool(row["hidden"] or row["category_hidden"]),
            active=bool(row["active"]),
            dripfeed=bool(row["dripfeed"]),
        )


@dataclass(frozen=True, slots=True)
class Found:
    """A page of a search, and how many services it finds on every page."""

    items: tuple[ServiceRecord, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    hidden: bool
    service_count: int


@dataclass(slots=True)
class SyncResult:
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    rate_rises: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    categories_added: int = 0


SERVICE_COLUMNS = """s.id, s.category_id, c.name AS category, s.name, s.type, s.rate,
    s.min_quantity, s.max_quantity, s.refill, s.cancel, s.description, s.hidden,
    c.hidden AS category_hidden, s.active, s.dripfeed"""
VISIBLE = "s.active = 1 AND s.hidden = 0 AND c.hidden = 0"
# Where `active` and `search_name` are in the rows _store() compares.
ACTIVE, SEARCH_NAME = 12, 13
HAS_VISIBLE_SERVICES = (
    f"c.hidden = 0 AND EXISTS (SELECT 1 FROM services s WHERE s.category_id = c.id AND {VISIBLE})"
)


def search_name(entry: CatalogEntry, old: tuple[Any, ...] | None) -> str:
    """The name as search compares it. Folded again only when the name changed or was never
    folded ('' since migration 0007): a re-sync of 30,000 names folds none of them."""
    if old is not None and old[2] == entry.name and old[SEARCH_NAME]:
        return str(old[SEARCH_NAME])
    return fold(entry.name)


class CatalogRepository(Remembering):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        self._indexed: bool | None = None  # has the database the search index? Asked once.

    async def sync(self, entries: Sequence[CatalogEntry]) -> SyncResult:
        """Store the panel's catalog; unchanged rows are not written, vanished ones deactivated."""
        try:
            return await self._store(entries)
        finally:
            self.forget()

    async def _store(self, entries: Sequence[CatalogEntry]) -> SyncResult:
        result = SyncResult()
        indexed = await self._has_index()
        async with self._db.transaction() as tx:
            categories = {
                row["name"]: row["id"]
                for row in await tx.fetchall("SELECT id, name FROM categories")
            }
            for position, name in enumerate(dict.fromkeys(e.category for e in entries)):
                if name not in categories:
                    categories[name] = await tx.execute(
                        "INSERT INTO categories (name, position) VALUES (?, ?)", (name, position)
                    )
                    result.categories_added += 1
            existing = {
                row[0]: tuple(row)
                for row in await tx.fetchall(
                    """SELECT id, category_id, name, type, rate, min_quantity, max_quantity,
                              refill, cancel, description, dripfeed, position, active,
                              search_name
                       FROM services"""
                )
            }
            upserts, refolded = [], []
            for position, entry in enumerate(entries):
                old = existing.get(entry.id)
                folded = search_name(entry, old)
                values = (
                    entry.id,
                    categories[entry.category],
                    entry.name,
                    entry.type,
                    to_micros_ceiling(entry.rate),
                    entry.min_quantity,
                    entry.max_quantity,
                    int(entry.refill),
                    int(entry.cancel),
                    entry.description,
                    int(entry.dripfeed),
                    position,
                    1,
                    folded,
                )
                if old == values:
                    continue
                upserts.append(values)
                if old is None or old[SEARCH_NAME] != folded:
                    refolded.append((entry.id, folded))
                if old is None:
                    result.added.append(entry.id)
                    continue
                if old[:SEARCH_NAME] == values[:SEARCH_NAME]:  # first folded (after 0007)
                    continue
                result.changed.append(entry.id)
                if values[4] > old[4]:
                    result.rate_rises.append((entry.id, from_micros(old[4]), entry.rate))
            if upserts:
                await tx.executemany(
                    """INSERT INTO services (id, category_id, name, type, rate, min_quantity,
                           max_quantity, refill, cancel, description, dripfeed, position,
                           active, search_name)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,
                           name = excluded.name, type = excluded.type, rate = excluded.rate,
                           min_quantity = excluded.min_quantity,
                           max_quantity = excluded.max_quantity, refill = excluded.refill,
                           cancel = excluded.cancel, description = excluded.description,
                           dripfeed = excluded.dripfeed, position = excluded.position, active = 1,
                           search_name = excluded.search_name,
                           updated_at = CAST(strftime('%s', 'now') AS INTEGER)""",
                    upserts,
                )
            if indexed and refolded:
                await write_index(tx, refolded, replaced=[i for i, _ in refolded if i in existing])
            present = {entry.id for entry in entries}
            result.removed = [i for i, old in existing.items() if old[ACTIVE] and i not in present]
            if result.removed:
                await tx.executemany(
                    "UPDATE services SET active = 0 WHERE id = ?", [(i,) for i in result.removed]
                )
        return result

    @remembered
    async def categories(self, offset: int = 0, limit: int = 8) -> list[Category]:
        """Visible categories that have at least one visible service, in the panel's order.

        Services are counted only for the page's categories, not for the whole catalog."""
        rows = await self._db.fetchall(
            f"""SELECT c.id, c.name, c.hidden,
                       (SELECT COUNT(*) FROM services s WHERE s.category_id = c.id AND {VISIBLE})
                FROM categories c WHERE {HAS_VISIBLE_SERVICES}
                ORDER BY c.position, c.id LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Category(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    @remembered
    async def count_categories(self) -> int:
        count: int = await self._db.fetchval(
            f"SELECT COUNT(*) FROM categories c WHERE {HAS_VISIBLE_SERVICES}"
        )
        return count

    @remembered
    async def category(self, category_id: int) -> Category | None:
        row = await self._db.fetchone(
            f"""SELECT c.id, c.name, c.hidden,
                       (SELECT COUNT(*) FROM services s WHERE s.category_id = c.id AND {VISIBLE})
                       AS service_count
                FROM categories c WHERE c.id = ?""",
            (category_id,),
        )
        if row is None:
            return None
        return Category(row["id"], row["name"], bool(row["hidden"]), row["service_count"])

    @remembered
    async def services_in(
        self, category_id: int, offset: int = 0, limit: int = 8
    ) -> list[ServiceRecord]:
        rows = await self._db.fetchall(
            f"""SELECT {SERVICE_COLUMNS} FROM services s JOIN categories c ON c.id = s.category_id
                WHERE s.category_id = ? AND {VISIBLE}
                ORDER BY s.position, s.id LIMIT ? OFFSET ?""",
            (category_id, limit, offset),
        )
        return [ServiceRecord.from_row(row) for row in rows]

    @remembered
    async def service(self, service_id: int) -> ServiceRecord | None:
        row = await self._db.fetchone(
            f"""SELECT {SERVICE_COLUMNS} FROM services s JOIN categories c ON c.id = s.category_id
                WHERE s.id = ?""",
            (service_id,),
        )
        return None if row is None else ServiceRecord.from_row(row)

    async def count_services(self) -> int:
        count: int = await self._db.fetchval("SELECT COUNT(*) FROM services WHERE active = 1")
        return count

    @remembered
    async def search(self, query: str, offset: int = 0, limit: int = 8) -> Found:
        """Visible services whose name has every word of `query`, best first, and how many
        there are (storage/search.py); nothing for a query of only punctuation or emoji."""
        name_query = NameQuery.parse(query)
        if name_query.empty:
            return Found((), 0)
        sql, params = name_query.sql(await self._has_index(), SERVICE_COLUMNS)
        rows = await self._db.fetchall(sql, params | {"limit": limit, "offset": offset})
        if rows:
            total: int = rows[0]["total"]
        else:  # nothing found, or a page past the end (an old button)
            total = 0 if offset <= 0 else await self.count_found(query)
        return Found(tuple(ServiceRecord.from_row(row) for row in rows), total)

    @remembered
    async def count_found(self, query: str) -> int:
        """How many services search(query) finds on all its pages together."""
        name_query = NameQuery.parse(query)
        if name_query.empty:
            return 0
        sql, params = name_query.count_sql(await self._has_index())
        count: int = await self._db.fetchval(sql, params)
        return count

    async def _has_index(self) -> bool:
        """Whether migration 0007 could create the trigram index (this SQLite has it)."""
        if self._indexed is None:
            self._indexed = bool(
                await self._db.fetchval(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (INDEX_TABLE,),
                )
            )
        return self._indexed

    @remembered
    async def category_by_name(self, name: str) -> Category | None:
        """By name, ignoring case and outer spaces; an exact match wins ("YouTube" vs "Youtube")."""
        row = await self._db.fetchone(
            f"""SELECT c.id, c.name, c.hidden,
                       (SELECT COUNT(*) FROM services s WHERE s.category_id = c.id AND {VISIBLE})
                FROM categories c WHERE TRIM(c.name) = TRIM(?) COLLATE NOCASE
                ORDER BY c.name = ? DESC, TRIM(c.name) = TRIM(?) DESC, c.id LIMIT 1""",
            (name, name, name),
        )
        return None if row is None else Category(row[0], row[1], bool(row[2]), row[3])

    async def set_service_hidden(self, service_id: int, hidden: bool) -> None:
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    "UPDATE services SET hidden = ? WHERE id = ?", (int(hidden), service_id)
                )
        finally:
            self.forget()

    async def set_category_hidden(self, category_id: int, hidden: bool) -> None:
        try:
            async with self._db.transaction() as tx:
                await tx.execute(
                    "UPDATE categories SET hidden = ? WHERE id = ?", (int(hidden), category_id)
                )
        finally:
            self.forget()
