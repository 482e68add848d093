"""Writing the catalog of several panels: each change one transaction of CatalogRepository's.

A sync stores each panel's list as it answered (storage/panel_services.py); a mirrored panel's
new services become shop services. The shop's own services (`services`, what customers browse
and search) are then described from their routes (storage/routes.py): a service is described by
its first route that sells (its panel on, with a known currency rate, listing the service), or
by its cheapest one when it is routed to the cheapest; the shop's own name, description and
category win. A service with no route that sells is hidden, never deleted. A sync describes
again only the services routed to what changed; a change of a panel's terms, all of them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from storage.db import Transaction
from storage.money import from_micros
from storage.panel_services import CatalogEntry, Listed, listed_services, store_panel_services
from storage.records import columns, placeholders
from storage.routes import (
    SERVICE_ROUTES,
    PanelTerms,
    choose_route,
    listing_position,
    shop_rate,
)
from storage.search import fold, write_index


@dataclass(frozen=True, slots=True)
class NewService:
    """A shop service to create, sold through one panel service."""

    id: int
    panel: str
    panel_service_id: int
    category: str | None = None  # the shop's own category, when the admin named one


@dataclass(slots=True)
class SyncResult:
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    rate_rises: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    categories_added: int = 0


class Own(NamedTuple):
    """What the shop says of a service itself (None: the panel's word), and its routing."""

    id: int
    own_name: str | None
    own_description: str | None
    own_category: str | None
    routing: str  # ordered | cheapest

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Own:
        """A row of `SELECT {columns(Own)}` (storage/records.py)."""
        return cls._make(row)


class StoredService(NamedTuple):
    """A shop service as stored: the columns of `services` a sync writes, in their order
    (a row tuple, storage/records.py)."""

    id: int
    category_id: int
    name: str
    type: str
    rate: int  # micro-units of the shop's currency
    min_quantity: int
    max_quantity: int
    refill: int
    cancel: int
    description: str
    dripfeed: int
    position: int
    active: int
    search_name: str  # the name as search compares it (storage/search.py fold)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredService:
        """A row of `SELECT {columns(StoredService)}` (storage/records.py)."""
        return cls._make(row)

    def filed(self, category_id: int, search_name: str) -> StoredService:
        """The same service in its category (by id), its name folded for search."""
        return self._replace(category_id=category_id, search_name=search_name)


class Described(NamedTuple):
    """A shop service as its routes describe it (describe()): its category by name, and its
    row, whose category id and search name are filled in when it is stored."""

    category: str
    service: StoredService


OWN_COLUMNS = columns(Own)
STORED_COLUMNS = columns(StoredService)


async def sync_lists(
    tx: Transaction,
    lists: Mapping[str, Sequence[CatalogEntry]],
    terms: Mapping[str, PanelTerms],
    indexed: bool,
) -> SyncResult:
    """Store what each panel lists; a mirrored panel's new services become shop services;
    then the shop services routed to what changed are described again."""
    new: list[NewService] = []
    touched: set[int] = set()
    known: Listed = {}
    for panel, entries in lists.items():
        stored = await store_panel_services(tx, panel, entries)
        known[panel] = stored.rows
        mirrored = panel in terms and terms[panel].mirror
        changed = stored.changed or mirrored
        routed = await SERVICE_ROUTES.routed_items(tx, panel) if changed else {}
        touched.update(s for i in stored.changed for s in routed.get(i, ()))
        if mirrored:
            fresh = sorted(
                (i for i, service in stored.rows.items() if service.active and i not in routed),
                key=lambda i: stored.rows[i].position,
            )
            new += await new_services(tx, panel, fresh, taken=new)
    if await tx.fetchval("SELECT 1 FROM services WHERE search_name = '' LIMIT 1"):
        # Names stored before 0007 were never folded: describe every service.
        return await rebuild_services(tx, terms, indexed, new, known=known)
    if not touched and not new:
        return SyncResult()  # nothing a panel lists changed: nothing to describe
    return await rebuild_services(tx, terms, indexed, new, only=touched, known=known)


async def new_services(
    tx: Transaction,
    panel: str,
    panel_ids: Sequence[int],
    category: str | None = None,
    taken: Sequence[NewService] = (),
) -> list[NewService]:
    """New shop services for these of `panel`'s; `taken`: others being created with them."""
    ids = await SERVICE_ROUTES.new_ids(tx, panel, panel_ids, {s.id for s in taken})
    return [NewService(i, panel, p, category) for i, p in zip(ids, panel_ids, strict=True)]


async def rebuild_services(
    tx: Transaction,
    terms: Mapping[str, PanelTerms],
    indexed: bool,
    new: Sequence[NewService] = (),
    only: AbstractSet[int] | None = None,
    known: Listed | None = None,
) -> SyncResult:
    """Describe the shop services by their routes (see the module's doc): every one, or `only`
    these (what a few changed panel services touch); create `new` ones. `known`: panels whose
    every row is at hand (a sync just stored their lists), so they are not read again."""
    scope = None if only is None else json.dumps(sorted(only))
    within = "" if scope is None else "WHERE service_id IN (SELECT value FROM json_each(:scope))"
    routes: dict[int, list[tuple[str, int]]] = {}
    own: dict[int, Own] = {}
    if scope != "[]":
        for row in await tx.fetchall(
            f"""SELECT service_id, panel, panel_service_id FROM routes {within}
                ORDER BY service_id, position""",
            {"scope": scope},
        ):
            routes.setdefault(row["service_id"], []).append((row["panel"], row["panel_service_id"]))
        rows = await tx.fetchall(
            f"SELECT {OWN_COLUMNS} FROM services {within.replace('service_id', 'id')}",
            {"scope": scope},
        )
        own = {said.id: said for said in map(Own.from_row, rows)}
    for service in new:
        routes.setdefault(service.id, []).append((service.panel, service.panel_service_id))
        own[service.id] = Own(service.id, None, None, service.category, "ordered")
    listed = await listed_services(tx, None if scope is None else routes.values(), known or {})
    described = []
    for service_id, its_routes in routes.items():
        found = describe(service_id, its_routes, listed, terms, own.get(service_id))
        if found is not None:
            described.append(found)
    if scope is None:
        described.sort(key=lambda found: found.service.position)
    result = await store_services(tx, described, indexed, None if only is None else set(routes))
    if new:
        await tx.executemany(
            """INSERT INTO routes (service_id, panel, panel_service_id, position)
               VALUES (?, ?, ?, 0)""",
            [(s.id, s.panel, s.panel_service_id) for s in new],
        )
        await tx.executemany(
            "UPDATE services SET own_category = ? WHERE id = ?",
            [(s.category, s.id) for s in new if s.category],
        )
    return result


def describe(
    service_id: int,
    routes: Sequence[tuple[str, int]],
    listed: Listed,
    terms: Mapping[str, PanelTerms],
    own: Own | None,
) -> Described | None:
    """The service as its route describes it (choose_route), listed where its route's panel
    lists it (listing_position). None when no route has a panel service behind it."""
    own = own or Own(service_id, None, None, None, "ordered")
    found = choose_route(routes, listed, terms, cheapest=own.routing == "cheapest")
    if found is None:
        return None
    panel, listed_service, selling = found
    panel_terms = terms.get(panel)
    description = own.own_description
    service = StoredService(
        service_id, 0, own.own_name or listed_service.name, listed_service.type,
        shop_rate(listed_service.rate, panel_terms), listed_service.min_quantity,
        listed_service.max_quantity, listed_service.refill, listed_service.cancel,
        listed_service.description if description is None else description,
        listed_service.dripfeed, listing_position(selling, panel_terms, listed_service.position),
        int(selling), "",
    )  # fmt: skip
    return Described(own.own_category or listed_service.category, service)


def search_name(name: str, old: StoredService | None) -> str:
    """The name as search compares it. Folded again only when the name changed or was never
    folded ('' since migration 0007): a re-sync of 30,000 names folds none of them."""
    if old is not None and old.name == name and old.search_name:
        return old.search_name
    return fold(name)


async def category_ids(
    tx: Transaction, names: Iterable[str], after_existing: bool
) -> tuple[dict[str, int], int]:
    """Every category's id by name, creating those of `names` that are new, listed in the order
    given (`after_existing`: after the categories there are); and how many were created."""
    rows = await tx.fetchall("SELECT id, name FROM categories")
    categories = {row["name"]: row["id"] for row in rows}
    first = len(categories) if after_existing else 0
    missing = [
        (name, position)
        for position, name in enumerate(dict.fromkeys(names), first)
        if name not in categories
    ]
    if missing:
        await tx.executemany("INSERT INTO categories (name, position) VALUES (?, ?)", missing)
        created = await tx.fetchall(
            "SELECT id, name FROM categories WHERE name IN (SELECT value FROM json_each(?))",
            (json.dumps([name for name, _ in missing]),),
        )
        categories.update({row["name"]: row["id"] for row in created})
    return categories, len(missing)


async def store_services(
    tx: Transaction,
    described: Sequence[Described],
    indexed: bool,
    scope: AbstractSet[int] | None = None,
) -> SyncResult:
    """Write the shop's services; unchanged rows are not written, services missing from
    `described` hidden (inactive): any of them, or (`scope`) any of those ids. Says what was
    added, changed, hidden and which rates rose."""
    result = SyncResult()
    # A few new ones (scope) are listed after the others.
    categories, result.categories_added = await category_ids(
        tx, (found.category for found in described), after_existing=scope is not None
    )
    within = "" if scope is None else "WHERE id IN (SELECT value FROM json_each(?))"
    rows = await tx.fetchall(
        f"SELECT {STORED_COLUMNS} FROM services {within}",
        () if scope is None else (json.dumps(sorted(scope)),),
    )
    existing = {old.id: old for old in map(StoredService.from_row, rows)}
    inserts: list[StoredService] = []
    updates: list[StoredService] = []
    refolded: list[tuple[int, str]] = []
    for found in described:
        old = existing.get(found.service.id)
        folded = search_name(found.service.name, old)
        service = found.service.filed(categories[found.category], folded)
        if old == service:
            continue
        (inserts if old is None else updates).append(service)
        if old is None or old.search_name != folded:
            refolded.append((service.id, folded))
        if old is None:
            if service.active:
                result.added.append(service.id)
            continue
        if old == service.filed(service.category_id, old.search_name):
            continue  # only its name folded for search, the first time (after migration 0007)
        if old.active and not service.active:
            result.removed.append(service.id)
            continue
        result.changed.append(service.id)
        if old.active and service.rate > old.rate:
            rise = (service.id, from_micros(old.rate), from_micros(service.rate))
            result.rate_rises.append(rise)
    marks = placeholders(StoredService)
    if inserts:  # new ids (none of them in `existing`): no conflict to look for
        await tx.executemany(f"INSERT INTO services ({STORED_COLUMNS}) VALUES ({marks})", inserts)
    if updates:
        await tx.executemany(
            f"""INSERT INTO services ({STORED_COLUMNS}) VALUES ({marks})
               ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,
                   name = excluded.name, type = excluded.type, rate = excluded.rate,
                   min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,
                   refill = excluded.refill, cancel = excluded.cancel,
                   description = excluded.description, dripfeed = excluded.dripfeed,
                   position = excluded.position, active = excluded.active,
                   search_name = excluded.search_name,
                   updated_at = CAST(strftime('%s', 'now') AS INTEGER)""",
            updates,
        )
    if indexed and refolded:
        await write_index(tx, refolded, replaced=[i for i, _ in refolded if i in existing])
    present = {found.service.id for found in described}
    vanished = [i for i, old in existing.items() if old.active and i not in present]
    if vanished:
        await tx.executemany(
            "UPDATE services SET active = 0 WHERE id = ?", [(i,) for i in vanished]
        )
        result.removed.extend(vanished)
    return result
