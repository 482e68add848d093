"""The panel's service catalog cached in SQLite, with the owner's hidden flags.

Browsing reads only from here; the panel is asked only by the sync. The catalog changes only
through this class (the sync, the owner's hide/show), so what browsing reads is remembered in
memory until the next such change: every customer's menu is the same few reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from storage.db import Database, Transaction
from storage.memo import Remembering, remembered
from storage.money import from_micros
from storage.records import Record
from storage.routing import (
    MAIN,
    PANEL_COLUMNS,
    PS_ACTIVE,
    PS_POSITION,
    CatalogEntry,
    Listed,
    NewService,
    PanelTerms,
    SyncResult,
    new_ids,
    panel_rows,
    rebuild_services,
    routes_of_panel,
    store_panel_services,
    unrouted,
)
from storage.search import INDEX_TABLE, NameQuery

__all__ = ["CatalogEntry", "CatalogRepository", "PanelTerms", "ServiceRecord", "SyncResult"]


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


@dataclass(frozen=True, slots=True)
class RouteRecord:
    """A route of a service: a panel's service, as the panel last listed it (`listed` False
    when it never did or stopped). Rates are in the panel's own currency."""

    panel: str
    panel_service_id: int
    listed: bool
    name: str = ""
    type: str = ""
    rate: Decimal = Decimal(0)
    min_quantity: int = 1
    max_quantity: int = 1
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RouteRecord:
        panel, panel_service_id = row["route_panel"], row["route_service_id"]
        if row["service_id"] is None:
            return cls(panel, panel_service_id, listed=False)
        return cls(
            panel=panel,
            panel_service_id=panel_service_id,
            listed=bool(row["active"]),
            name=row["name"],
            type=row["type"],
            rate=from_micros(row["rate"]),
            min_quantity=row["min_quantity"],
            max_quantity=row["max_quantity"],
            refill=bool(row["refill"]),
            cancel=bool(row["cancel"]),
            dripfeed=bool(row["dripfeed"]),
        )


@dataclass
class Imported:
    """What /import did: panel service id -> the new shop service id, those already sold
    (-> their shop service id), and ids the panel does not list."""

    created: dict[int, int] = field(default_factory=dict)
    already: dict[int, int] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)


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


SERVICE_COLUMNS = """s.id, s.category_id, c.name AS category, s.name, s.type, s.rate,
    s.min_quantity, s.max_quantity, s.refill, s.cancel, s.description,
    (s.hidden OR c.hidden) AS hidden, s.active, s.dripfeed"""
VISIBLE = "s.active = 1 AND s.hidden = 0 AND c.hidden = 0"
# What a route reads of its panel service (ps), beside the route's own columns.
ROUTE_COLUMNS = ", ".join(f"ps.{column.strip()}" for column in PANEL_COLUMNS.split(","))
HAS_VISIBLE_SERVICES = (
    f"c.hidden = 0 AND EXISTS (SELECT 1 FROM services s WHERE s.category_id = c.id AND {VISIBLE})"
)


class CatalogRepository(Remembering):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        self._indexed: bool | None = None  # has the database the search index? Asked once.

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
        """Store what each panel lists; a mirrored panel's new services become shop services;
        then the shop services routed to what changed are described again (storage/routing.py).
        One transaction, however many panels answered."""
        async with self._writing() as (tx, indexed):
            new: list[NewService] = []
            touched: set[int] = set()
            known: Listed = {}
            for panel, entries in lists.items():
                stored = await store_panel_services(tx, panel, entries)
                known[panel] = stored.rows
                mirrored = panel in terms and terms[panel].mirror
                routed = await routes_of_panel(tx, panel) if stored.changed or mirrored else {}
                touched.update(s for i in stored.changed for s in routed.get(i, ()))
                if mirrored:
                    fresh = sorted(
                        (i for i, row in stored.rows.items() if row[PS_ACTIVE] and i not in routed),
                        key=lambda i: stored.rows[i][PS_POSITION],
                    )
                    new += await self._new_services(tx, panel, fresh, taken=new)
            if await tx.fetchval("SELECT 1 FROM services WHERE search_name = '' LIMIT 1"):
                # Names stored before 0007 were never folded: describe every service.
                return await rebuild_services(tx, terms, indexed, new, known=known)
            if not touched and not new:
                return SyncResult()  # nothing a panel lists changed: nothing to describe
            return await rebuild_services(tx, terms, indexed, new, only=touched, known=known)

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> SyncResult:
        """Describe the shop's services again after a panel changed (on, off, its rate); with
        `mirror`, that panel's services no shop service sells yet become shop services."""
        async with self._writing() as (tx, indexed):
            new = await self._new_services(tx, mirror, await unrouted(tx, mirror)) if mirror else []
            return await rebuild_services(tx, terms, indexed, new)

    async def _new_services(
        self,
        tx: Transaction,
        panel: str,
        panel_ids: Sequence[int],
        category: str | None = None,
        taken: Sequence[NewService] = (),
    ) -> list[NewService]:
        """New shop services for these of `panel`'s; `taken`: others being created with them."""
        ids = await new_ids(tx, panel, panel_ids, {s.id for s in taken})
        return [NewService(i, panel, p, category) for i, p in zip(ids, panel_ids, strict=True)]

    async def import_services(
        self,
        panel: str,
        panel_ids: Sequence[int],
        category: str | None,
        terms: Mapping[str, PanelTerms],
    ) -> Imported:
        """Sell these services of `panel`, each as a new shop service (in `category` when
        given); ids it does not list, or already sold, are reported and skipped."""
        imported = Imported()
        async with self._writing() as (tx, indexed):
            listed = {
                row[0]
                for row in await tx.fetchall(
                    "SELECT service_id FROM panel_services WHERE panel = ? AND active = 1",
                    (panel,),
                )
            }
            routed = {
                row[0]: row[1]
                for row in await tx.fetchall(
                    "SELECT panel_service_id, service_id FROM routes WHERE panel = ?", (panel,)
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
            new = await self._new_services(tx, panel, wanted, category)
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
            if routes is None:
                await tx.execute(
                    "UPDATE services SET routing = 'cheapest' WHERE id = ?", (service_id,)
                )
            else:
                listed = await panel_rows(tx, [list(routes)], known={})
                unknown = [(p, i) for p, i in routes if i not in listed.get(p, {})]
                if unknown:
                    return unknown
                await tx.execute("DELETE FROM routes WHERE service_id = ?", (service_id,))
                await tx.executemany(
                    """INSERT INTO routes (service_id, panel, panel_service_id, position)
                       VALUES (?, ?, ?, ?)""",
                    [(service_id, p, i, n) for n, (p, i) in enumerate(dict.fromkeys(routes))],
                )
                await tx.execute(
                    "UPDATE services SET routing = 'ordered' WHERE id = ?", (service_id,)
                )
            await rebuild_services(tx, terms, indexed, only={service_id})
        return []

    async def set_own_text(
        self, service_id: int, column: str, text: str | None, terms: Mapping[str, PanelTerms]
    ) -> None:
        """The shop's own name or description of a service (None: the panel's again)."""
        assert column in ("own_name", "own_description")
        async with self._writing() as (tx, indexed):
            await tx.execute(f"UPDATE services SET {column} = ? WHERE id = ?", (text, service_id))
            await rebuild_services(tx, terms, indexed, only={service_id})

    @remembered
    async def routes(self, service_id: int) -> list[RouteRecord]:
        """The service's routes in order, with what each panel lists for it (None: nothing)."""
        rows = await self._db.fetchall(
            f"""SELECT r.panel AS route_panel, r.panel_service_id AS route_service_id,
                       ps.service_id, {ROUTE_COLUMNS}
                FROM routes r LEFT JOIN panel_services ps
                    ON ps.panel = r.panel AND ps.service_id = r.panel_service_id
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
            f"""SELECT r.service_id AS routed_service, s.routing,
                       r.panel AS route_panel, r.panel_service_id AS route_service_id,
                       ps.service_id, {ROUTE_COLUMNS}
                FROM routes r JOIN services s ON s.id = r.service_id
                LEFT JOIN panel_services ps
                    ON ps.panel = r.panel AND ps.service_id = r.panel_service_id
                WHERE r.service_id IN (SELECT value FROM json_each(?))
                ORDER BY r.service_id, r.position""",
            (json.dumps(service_ids),),
        )
        found: dict[int, tuple[str, list[RouteRecord]]] = {}
        for row in rows:
            entry = found.setdefault(row["routed_service"], (row["routing"] or "ordered", []))
            entry[1].append(RouteRecord.from_row(row))
        return found

    @remembered
    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a service customers can buy: the service listed
        and not hidden, the panel's service listed."""
        rows = await self._db.fetchall(
            """SELECT DISTINCT r.panel FROM routes r
               JOIN services s ON s.id = r.service_id AND s.active = 1 AND s.hidden = 0
               JOIN panel_services ps
                   ON ps.panel = r.panel AND ps.service_id = r.panel_service_id AND ps.active = 1"""
        )
        return frozenset(row[0] for row in rows)

    @remembered
    async def routing(self, service_id: int) -> str:
        value = await self._db.fetchval("SELECT routing FROM services WHERE id = ?", (service_id,))
        return str(value or "ordered")

    @remembered
    async def panel_service(self, panel: str, panel_service_id: int) -> RouteRecord | None:
        row = await self._db.fetchone(
            f"""SELECT panel AS route_panel, service_id AS route_service_id, service_id,
                       {PANEL_COLUMNS}
                FROM panel_services WHERE panel = ? AND service_id = ?""",
            (panel, panel_service_id),
        )
        return None if row is None else RouteRecord.from_row(row)

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
