"""Writing the catalog of several panels (one transaction each time, called by CatalogRepository).

Each panel's services are stored as it lists them (`panel_services`). The shop's own services
(`services`, what customers browse and search) are then built from their routes: a service is
described by its first route that sells (its panel on, with a known currency rate, listing the
service), or by its cheapest one when it is routed to the cheapest; the shop's own name,
description and category win. A service with no route that sells is hidden, never deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any, NamedTuple

from storage.db import Transaction
from storage.money import from_micros, to_micros_ceiling
from storage.search import fold, write_index

MAIN = "main"


class CatalogEntry(NamedTuple):
    """One service of a panel as it lists it, ready to store. A named tuple: a sync makes one
    per service of every panel (30,000 and more), and a frozen dataclass costs ten times more
    to create."""

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


class Described(NamedTuple):
    """A shop service as its routes describe it (describe()), in the columns of `services`
    (the category by name, the rate in micro-units of the shop's currency)."""

    id: int
    category: str
    name: str
    type: str
    rate: int
    min_quantity: int
    max_quantity: int
    refill: int
    cancel: int
    description: str
    dripfeed: int
    position: int
    active: int


@dataclass(frozen=True, slots=True)
class PanelTerms:
    """What building the shop's services needs to know of a panel."""

    enabled: bool
    conversion: Decimal | None  # one unit of its currency in the shop's; None: not sold
    mirror: bool  # every service it lists is sold (mode `all`)
    position: int = 0

    @property
    def sells(self) -> bool:
        return self.enabled and self.conversion is not None


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


PANEL_COLUMNS = """name, type, category, rate, min_quantity, max_quantity, refill, cancel,
    dripfeed, description, position, active"""
# Where fields are in the rows compared below.
PS_RATE, PS_POSITION, PS_ACTIVE = 3, 10, 11
RATE, ACTIVE, SEARCH_NAME = 4, 12, 13
# A panel service as stored: the values of PANEL_COLUMNS.
PanelRow = tuple[Any, ...]
# Panel services by panel, then by the panel's id.
Listed = dict[str, dict[int, PanelRow]]
NOT_LISTED: Mapping[int, PanelRow] = MappingProxyType({})


@dataclass(slots=True)
class StoredList:
    """What storing a panel's list did: its ids whose row changed (new, edited or no longer
    listed), and every row of the panel as now stored (so that describing the shop services
    need not read back what was just written)."""

    changed: set[int]
    rows: dict[int, PanelRow]


async def store_panel_services(
    tx: Transaction, panel: str, entries: Sequence[CatalogEntry]
) -> StoredList:
    """A panel's list as it answered; unchanged rows are not written, vanished ones inactive."""
    rows: dict[int, PanelRow] = {
        row[0]: tuple(row[1:])
        for row in await tx.fetchall(
            f"SELECT service_id, {PANEL_COLUMNS} FROM panel_services WHERE panel = ?", (panel,)
        )
    }
    existing = dict(rows)
    upserts = []
    for position, entry in enumerate(entries):
        values = (
            entry.name, entry.type, entry.category, to_micros_ceiling(entry.rate),
            entry.min_quantity, entry.max_quantity, int(entry.refill), int(entry.cancel),
            int(entry.dripfeed), entry.description, position, 1,
        )  # fmt: skip
        if rows.get(entry.id) != values:
            upserts.append((panel, entry.id, *values))
        rows[entry.id] = values
    if upserts:
        await tx.executemany(
            f"""INSERT INTO panel_services (panel, service_id, {PANEL_COLUMNS})
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (panel, service_id) DO UPDATE SET name = excluded.name,
                    type = excluded.type, category = excluded.category, rate = excluded.rate,
                    min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,
                    refill = excluded.refill, cancel = excluded.cancel,
                    dripfeed = excluded.dripfeed, description = excluded.description,
                    position = excluded.position, active = 1""",
            upserts,
        )
    present = {entry.id for entry in entries}
    gone = [i for i, old in existing.items() if old[PS_ACTIVE] and i not in present]
    if gone:
        await tx.executemany(
            "UPDATE panel_services SET active = 0 WHERE panel = ? AND service_id = ?",
            [(panel, i) for i in gone],
        )
        for i in gone:
            rows[i] = (*rows[i][:PS_ACTIVE], 0)
    return StoredList({row[1] for row in upserts} | set(gone), rows)


async def routes_of_panel(tx: Transaction, panel: str) -> dict[int, list[int]]:
    """The panel's services that shop services are routed to: panel id -> shop ids."""
    routed: dict[int, list[int]] = {}
    for panel_service_id, service_id in await tx.fetchall(
        "SELECT panel_service_id, service_id FROM routes WHERE panel = ?", (panel,)
    ):
        routed.setdefault(panel_service_id, []).append(service_id)
    return routed


async def unrouted(tx: Transaction, panel: str) -> list[int]:
    """The panel's listed services that no shop service is routed to, in its order."""
    rows = await tx.fetchall(
        """SELECT ps.service_id FROM panel_services ps WHERE ps.panel = ? AND ps.active = 1
           AND NOT EXISTS (SELECT 1 FROM routes r
                           WHERE r.panel = ps.panel AND r.panel_service_id = ps.service_id)
           ORDER BY ps.position""",
        (panel,),
    )
    return [row[0] for row in rows]


SHOP_TABLES = frozenset({"services", "products"})


async def new_ids(
    tx: Transaction,
    panel: str,
    panel_ids: Sequence[int],
    pending: AbstractSet[int] = frozenset(),
    table: str = "services",
) -> list[int]:
    """Shop ids for new services (or, `table` "products", products) of `panel`'s (`pending`:
    ids given out but not yet written). The main panel's keep their own number where it is
    free, so a one-panel shop shows the panel's numbers; the rest follow the highest id."""
    assert table in SHOP_TABLES, table
    if not panel_ids:
        return []
    highest = max(await tx.fetchval(f"SELECT MAX(id) FROM {table}") or 0, *pending, 0)
    wanted: set[int] = set()
    if panel == MAIN:
        taken = await tx.fetchall(
            f"SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(panel_ids))),),
        )
        wanted = set(panel_ids) - {row[0] for row in taken} - pending
    following = max(highest, *wanted, 0) + 1
    ids = []
    for panel_id in panel_ids:
        if panel_id in wanted:
            wanted.discard(panel_id)
            ids.append(panel_id)
        else:
            ids.append(following)
            following += 1
    return ids


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
    if scope != "[]":
        for service_id, panel, panel_service_id in await tx.fetchall(
            f"""SELECT service_id, panel, panel_service_id FROM routes {within}
                ORDER BY service_id, position""",
            {"scope": scope},
        ):
            routes.setdefault(service_id, []).append((panel, panel_service_id))
    own: dict[int, tuple[Any, ...]] = {}
    if scope != "[]":
        own = {
            row[0]: tuple(row[1:])
            for row in await tx.fetchall(
                f"""SELECT id, own_name, own_description, own_category, routing FROM services
                    {within.replace("service_id", "id")}""",
                {"scope": scope},
            )
        }
    for service in new:
        routes.setdefault(service.id, []).append((service.panel, service.panel_service_id))
        own[service.id] = (None, None, service.category, "ordered")
    listed = await panel_rows(tx, None if scope is None else routes.values(), known or {})
    described = []
    for service_id, its_routes in routes.items():
        row = describe(service_id, its_routes, listed, terms, own.get(service_id))
        if row is not None:
            described.append(row)
    if scope is None:
        described.sort(key=lambda row: row.position)
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


async def panel_rows(
    tx: Transaction, routes: Iterable[list[tuple[str, int]]] | None, known: Listed
) -> Listed:
    """Panel services by panel and id: all of them, or those these routes lead to; `known`
    panels' from memory, the others' read."""
    listed: Listed = dict(known)
    if routes is None:
        rows = await tx.fetchall(
            f"""SELECT panel, service_id, {PANEL_COLUMNS} FROM panel_services
                WHERE panel NOT IN (SELECT value FROM json_each(?))""",
            (json.dumps(sorted(known)),),
        )
    else:
        pairs = [pair for its_routes in routes for pair in its_routes if pair[0] not in known]
        if not pairs:
            return listed
        rows = await tx.fetchall(
            f"""SELECT panel, service_id, {PANEL_COLUMNS} FROM panel_services
                WHERE (panel, service_id) IN (SELECT json_extract(value, '$[0]'),
                                                     json_extract(value, '$[1]')
                                              FROM json_each(?))""",
            (json.dumps(pairs),),
        )
    for row in rows:
        listed.setdefault(row[0], {})[row[1]] = tuple(row[2:])
    return listed


def choose_route(
    routes: Sequence[tuple[str, int]],
    listed: Mapping[str, Mapping[int, PanelRow]],
    terms: Mapping[str, PanelTerms],
    *,
    cheapest: bool,
    rate_at: int,
    active_at: int,
) -> tuple[str, PanelRow, bool] | None:
    """The route that describes a shop service (or product) and whether it sells: the first
    whose panel sells and lists it (with `cheapest`, the cheapest such in the shop's currency),
    else the first its panel lists at all (not selling). None when no panel lists any."""
    chosen: tuple[str, PanelRow] | None = None
    selling = False
    best = Decimal(0)
    for panel, panel_item_id in routes:
        row = listed.get(panel, NOT_LISTED).get(panel_item_id)
        if row is None:
            continue
        panel_terms = terms.get(panel)
        if row[active_at] and panel_terms is not None and panel_terms.sells:
            if not cheapest:
                return panel, row, True
            cost = from_micros(row[rate_at]) * (panel_terms.conversion or 1)
            if not selling or cost < best:
                chosen, selling, best = (panel, row), True, cost
        elif chosen is None:
            chosen = (panel, row)  # described by it while no route sells
    return None if chosen is None else (*chosen, selling)


def shop_rate(rate: int, panel_terms: PanelTerms | None) -> int:
    """A panel's rate (micro-units of its currency) in micro-units of the shop's, rounded up."""
    conversion = panel_terms.conversion if panel_terms and panel_terms.conversion else None
    if conversion is None or conversion == 1:
        return rate
    return to_micros_ceiling(from_micros(rate) * conversion)


def listing_position(selling: bool, panel_terms: PanelTerms | None, place: int) -> int:
    """Where a shop service or product is listed: those that sell first, then by their panel's
    order, then by the panel's own order."""
    last = (1 << 20) - 1  # panels listed after every other
    panel_position = min(panel_terms.position, last) if panel_terms else last
    return (int(not selling) << 44) | (panel_position << 24) | min(place, (1 << 24) - 1)


def describe(
    service_id: int,
    routes: Sequence[tuple[str, int]],
    listed: Listed,
    terms: Mapping[str, PanelTerms],
    own: tuple[Any, ...] | None,
) -> Described | None:
    """The service as its route describes it (choose_route), listed where its route's panel
    lists it (listing_position). None when no route has a panel service behind it."""
    cheapest = own is not None and own[3] == "cheapest"
    found = choose_route(
        routes, listed, terms, cheapest=cheapest, rate_at=PS_RATE, active_at=PS_ACTIVE
    )
    if found is None:
        return None
    panel, row, selling = found
    own_name, own_description, own_category, _ = own or (None, None, None, "ordered")
    (name, kind, category, rate, low, high, refill, cancel, dripfeed, description, place, _) = row
    panel_terms = terms.get(panel)
    return Described(
        service_id,
        own_category or category,
        own_name or name,
        kind,
        shop_rate(rate, panel_terms),
        low,
        high,
        refill,
        cancel,
        own_description if own_description is not None else description,
        dripfeed,
        listing_position(selling, panel_terms, place),
        int(selling),
    )


def search_name(name: str, old: tuple[Any, ...] | None) -> str:
    """The name as search compares it. Folded again only when the name changed or was never
    folded ('' since migration 0007): a re-sync of 30,000 names folds none of them."""
    if old is not None and old[2] == name and old[SEARCH_NAME]:
        return str(old[SEARCH_NAME])
    return fold(name)


async def category_ids(
    tx: Transaction, names: Iterable[str], after_existing: bool
) -> tuple[dict[str, int], int]:
    """Every category's id by name, creating those of `names` that are new, listed in the order
    given (`after_existing`: after the categories there are); and how many were created."""
    categories = {row[1]: row[0] for row in await tx.fetchall("SELECT id, name FROM categories")}
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
        categories.update({row[1]: row[0] for row in created})
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
        tx, (row.category for row in described), after_existing=scope is not None
    )
    within = "" if scope is None else "WHERE id IN (SELECT value FROM json_each(?))"
    existing = {
        row[0]: tuple(row)
        for row in await tx.fetchall(
            f"""SELECT id, category_id, name, type, rate, min_quantity, max_quantity, refill,
                       cancel, description, dripfeed, position, active, search_name
                FROM services {within}""",
            () if scope is None else (json.dumps(sorted(scope)),),
        )
    }
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    refolded: list[tuple[int, str]] = []
    for row in described:
        old = existing.get(row.id)
        folded = search_name(row.name, old)
        values = (row.id, categories[row.category], *row[2:], folded)
        if old == values:
            continue
        (inserts if old is None else updates).append(values)
        if old is None or old[SEARCH_NAME] != folded:
            refolded.append((row.id, folded))
        if old is None:
            if row.active:
                result.added.append(row.id)
            continue
        if old[:SEARCH_NAME] == values[:SEARCH_NAME]:  # first folded (after 0007)
            continue
        if old[ACTIVE] and not row.active:
            result.removed.append(row.id)
            continue
        result.changed.append(row.id)
        if old[ACTIVE] and row.rate > old[RATE]:
            result.rate_rises.append((row.id, from_micros(old[RATE]), from_micros(row.rate)))
    columns = """id, category_id, name, type, rate, min_quantity, max_quantity, refill, cancel,
                 description, dripfeed, position, active, search_name"""
    if inserts:  # new ids (none of them in `existing`): no conflict to look for
        await tx.executemany(
            f"INSERT INTO services ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
    if updates:
        await tx.executemany(
            f"""INSERT INTO services ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    present = {row.id for row in described}
    vanished = [i for i, old in existing.items() if old[ACTIVE] and i not in present]
    if vanished:
        await tx.executemany(
            "UPDATE services SET active = 0 WHERE id = ?", [(i,) for i in vanished]
        )
        result.removed.extend(vanished)
    return result
