"""The shop's services: the catalog of its panels cached in SQLite, with the owner's hidden flags.

Browsing reads only from here; the panels are asked only by the sync. The catalog changes only
through this class (the sync, imports, routes, the owner's own texts and hide/show), each change
one transaction (storage/catalog_writer.py), so what browsing reads is remembered in memory
until the next such change: every customer's menu is the same few reads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

from storage.catalog_writer import (
    SyncResult,
    new_services,
    rebuild_services,
    sync_lists,
)
from storage.db import Database, Transaction
from storage.memo import Remembering, remembered
from storage.panel_services import CatalogEntry
from storage.panels import MAIN
from storage.records import Record
from storage.routes import SERVICE_ROUTES, Imported, PanelRoute, PanelTerms
from storage.search import INDEX_TABLE, NameQuery

# What the shop's catalog is made of, for its callers (shop/catalog.py) in one place.
__all__ = [
    "CatalogEntry",
    "CatalogRepository",
    "Category",
    "Found",
    "Imported",
    "PanelTerms",
    "RouteRecord",
    "ServiceRecord",
    "SyncResult",
]


@dataclass(frozen=True, slots=True)
class ServiceRecord(Record):
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
    hidden: bool  # the service, or its category
    active: bool
    dripfeed: bool = False  # drip-feed: the order may be split in runs at an interval

    @property
    def orderable(self) -> bool:
        return self.active and not self.hidden


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteRecord(PanelRoute):
    """A route of a service: a panel's service (its rate per 1000, or per package)."""

    panel_service_id: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """A page of a search, and how many services it finds on every page."""

    items: tuple[ServiceRecord, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Category(Record):
    id: int
    name: str
    hidden: bool
    service_count: int


SERVICE_COLUMNS = """s.id, s.category_id, c.name AS category, s.name, s.type, s.rate,
    s.min_quantity, s.max_quantity, s.refill, s.cancel, s.description,
    (s.hidden OR c.hidden) AS hidden, s.active, s.dripfeed"""
VISIBLE = "s.active = 1 AND s.hidden = 0 AND c.hidden = 0"
# What a route reads of the panel service it leads to (ps); NULL when the panel lists none.
LISTED_COLUMNS = """ps.name, ps.type, ps.rate, ps.min_quantity, ps.max_quantity, ps.refill,
    ps.cancel, ps.dripfeed, ps.active"""
ROUTE_COLUMNS = f"r.panel, r.panel_service_id, {LISTED_COLUMNS}"
ROUTE_JOIN = """routes r LEFT JOIN panel_services ps
    ON ps.panel = r.panel AND ps.service_id = r.panel_service_id"""
CATEGORY_COLUMNS = f"""c.id, c.name, c.hidden,
    (SELECT COUNT(*) FROM services s WHERE s.category_id = c.id AND {VISIBLE}) AS service_count"""
HAS_VISIBLE_SERVICES = (
    f"c.hidden = 0 AND EXISTS (SELECT 1 FROM services s WHERE s.category_id = c.id AND {VISIBLE})"
)


class CatalogRepository(Remembering):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        self._indexed: bool | None = None  # has the database the search index? Asked once.

    # ---- changes: each one transaction, then what was remembered is forgotten ----------------

    async def sync(self, entries: Sequence[CatalogEntry]) -> SyncResult:
        """The main panel, mirrored, lists `entries` (as a one-panel shop syncs)."""
        return await self.sync_panels({MAIN: entries}, {MAIN: PanelTerms(True, Decimal(1), True)})

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[tuple[Transaction, bool]]:
        """A change of the catalog: one transaction, and whether the database has the search
        index; what was remembered is dropped afterwards, whatever happened."""
        indexed = await self._has_index()
        try:
            async with self._db.transaction() as tx:
                yield tx, indexed
        finally:
            self.forget()

    async def sync_panels(
        self, lists: Mapping[str, Sequence[CatalogEntry]], terms: Mapping[str, PanelTerms]
    ) -> SyncResult:
        """Store what each panel lists and describe again the shop services routed to what
        changed (storage/catalog_writer.py). One transaction, however many panels answered."""
        async with self._writing() as (tx, indexed):
            return await sync_lists(tx, lists, terms, indexed)

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> SyncResult:
        """Describe the shop's services again after a panel changed (on, off, its rate); with
        `mirror`, that panel's services no shop service sells yet become shop services."""
        async with self._writing() as (tx, indexed):
            new = []
            if mirror:
                new = await new_services(tx, mirror, await SERVICE_ROUTES.unrouted(tx, mirror))
            return await rebuild_services(tx, terms, indexed, new)

    async def import_services(
        self,
        panel: str,
        panel_ids: Sequence[int],
        category: str | None,
        terms: Mapping[str, PanelTerms],
    ) -> Imported:
        """Sell these services of `panel`, each as a new shop service (in `category` when
        given); ids it does not list, or already sold, are reported and skipped."""
        async with self._writing() as (tx, indexed):
            imported, wanted = await SERVICE_ROUTES.sort_import(tx, panel, panel_ids)
            new = await new_services(tx, panel, wanted, category)
            imported.created = {s.panel_service_id: s.id for s in new}
            if new:
                await rebuild_services(tx, terms, indexed, new, only=set())
        return imported

    async def set_routes(
        self,
        service_id: int,
        routes: Sequence[tuple[str, int]] | None,
        terms: Mapping[str, PanelTerms],
    ) -> list[tuple[str, int]]:
        """Route a service through these (panel, panel service id) in order, or (None) to the
        cheapest of its routes at each order. Returns the routes the panels do not list."""
        async with self._writing() as (tx, indexed):
            unknown = await SERVICE_ROUTES.set_routes(tx, service_id, routes)
            if not unknown:
                await rebuild_services(tx, terms, indexed, only={service_id})
        return unknown

    async def set_own_text(
        self, service_id: int, column: str, text: str | None, terms: Mapping[str, PanelTerms]
    ) -> None:
        """The shop's own name or description of a service (None: the panel's again)."""
        assert column in ("own_name", "own_description")
        async with self._writing() as (tx, indexed):
            await tx.execute(f"UPDATE services SET {column} = ? WHERE id = ?", (text, service_id))
            await rebuild_services(tx, terms, indexed, only={service_id})

    async def set_service_hidden(self, service_id: int, hidden: bool) -> None:
        await self._set_hidden("services", service_id, hidden)

    async def set_category_hidden(self, category_id: int, hidden: bool) -> None:
        await self._set_hidden("categories", category_id, hidden)

    async def _set_hidden(self, table: str, row_id: int, hidden: bool) -> None:
        async with self._writing() as (tx, _):
            await tx.execute(f"UPDATE {table} SET hidden = ? WHERE id = ?", (int(hidden), row_id))

    # ---- reads, remembered until the next change ------------------------------------------------

    @remembered
    async def routes(self, service_id: int) -> list[RouteRecord]:
        """The service's routes in order, with what each panel lists for it (None: nothing)."""
        rows = await self._db.fetchall(
            f"""SELECT {ROUTE_COLUMNS} FROM {ROUTE_JOIN}
                WHERE r.service_id = ? ORDER BY r.position""",
            (service_id,),
        )
        return [RouteRecord.from_row(row) for row in rows]

    @remembered
    async def routes_of(
        self, service_ids: tuple[int, ...]
    ) -> dict[int, tuple[str, list[RouteRecord]]]:
        """`routing` and `routes` of many services in one read: id -> (routing, routes); a
        service without a route is left out."""
        rows = await self._db.fetchall(
            f"""SELECT r.service_id AS routed_service, s.routing, {ROUTE_COLUMNS}
                FROM {ROUTE_JOIN} JOIN services s ON s.id = r.service_id
                WHERE r.service_id IN (SELECT value FROM json_each(?))
                ORDER BY r.service_id, r.position""",
            (json.dumps(service_ids),),
        )
        found: dict[int, tuple[str, list[RouteRecord]]] = {}
        for row in rows:
            _, routes = found.setdefault(row["routed_service"], (row["routing"] or "ordered", []))
            routes.append(RouteRecord.from_row(row))
        return found

    @remembered
    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a service customers can buy."""
        return await SERVICE_ROUTES.routed_panels(self._db)

    @remembered
    async def routing(self, service_id: int) -> str:
        value = await self._db.fetchval("SELECT routing FROM services WHERE id = ?", (service_id,))
        return str(value or "ordered")

    @remembered
    async def panel_service(self, panel: str, panel_service_id: int) -> RouteRecord | None:
        row = await self._db.fetchone(
            f"""SELECT ps.panel, ps.service_id AS panel_service_id, {LISTED_COLUMNS}
                FROM panel_services ps WHERE ps.panel = ? AND ps.service_id = ?""",
            (panel, panel_service_id),
        )
        return None if row is None else RouteRecord.from_row(row)

    @remembered
    async def categories(self, offset: int = 0, limit: int = 8) -> list[Category]:
        """Visible categories that have at least one visible service, in the panel's order.

        Services are counted only for the page's categories, not for the whole catalog."""
        rows = await self._db.fetchall(
            f"""SELECT {CATEGORY_COLUMNS} FROM categories c WHERE {HAS_VISIBLE_SERVICES}
                ORDER BY c.position, c.id LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Category.from_row(row) for row in rows]

    @remembered
    async def count_categories(self) -> int:
        count: int = await self._db.fetchval(
            f"SELECT COUNT(*) FROM categories c WHERE {HAS_VISIBLE_SERVICES}"
        )
        return count

    @remembered
    async def category(self, category_id: int) -> Category | None:
        row = await self._db.fetchone(
            f"SELECT {CATEGORY_COLUMNS} FROM categories c WHERE c.id = ?", (category_id,)
        )
        return None if row is None else Category.from_row(row)

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

    @remembered
    async def listed(self) -> list[ServiceRecord]:
        """Every visible service, as browsing lists them (the API's `services`)."""
        rows = await self._db.fetchall(
            f"""SELECT {SERVICE_COLUMNS} FROM services s JOIN categories c ON c.id = s.category_id
                WHERE {VISIBLE} ORDER BY c.position, c.id, s.position, s.id"""
        )
        return [ServiceRecord.from_row(row) for row in rows]

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
            f"""SELECT {CATEGORY_COLUMNS}
                FROM categories c WHERE TRIM(c.name) = TRIM(?) COLLATE NOCASE
                ORDER BY c.name = ? DESC, TRIM(c.name) = TRIM(?) DESC, c.id LIMIT 1""",
            (name, name, name),
        )
        return None if row is None else Category.from_row(row)
