"""Writing the catalog of several panels (one transaction each time, called by CatalogRepository).

Each panel's services are stored as it lists them (`panel_services`). The shop's own services
(`services`, what customers browse and search) are then built from their routes: a service is
described by its first route that sells (its panel on, with a known currency rate, listing the
service), or by its cheapest one when it is routed to the cheapest; the shop's own name,
description and category win. A service with no route that sells is hidden, never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from storage.db import Transaction
from storage.money import from_micros, to_micros_ceiling
from storage.search import fold, write_index

MAIN = "main"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One service ready to store: a panel's as it lists it, or a shop service (shop id)."""

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
    active: bool = True


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


async def store_panel_services(
    tx: Transaction, panel: str, entries: Sequence[CatalogEntry]
) -> None:
    """A panel's list as it answered; unchanged rows are not written, vanished ones inactive."""
    existing = {
        row[0]: tuple(row[1:])
        for row in await tx.fetchall(
            f"SELECT service_id, {PANEL_COLUMNS} FROM panel_services WHERE panel = ?", (panel,)
        )
    }
    upserts = []
    for position, entry in enumerate(entries):
        values = (
            entry.name, entry.type, entry.category, to_micros_ceiling(entry.rate),
            entry.min_quantity, entry.max_quantity, int(entry.refill), int(entry.cancel),
            int(entry.dripfeed), entry.description, position, 1,
        )  # fmt: skip
        if existing.get(entry.id) != values:
            upserts.append((panel, entry.id, *values))
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
    gone = [(panel, i) for i, old in existing.items() if old[PS_ACTIVE] and i not in present]
    await tx.executemany(
        "UPDATE panel_services SET active = 0 WHERE panel = ? AND service_id = ?", gone
    )


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


async def new_ids(
    tx: Transaction, panel: str, panel_ids: Sequence[int], pending: AbstractSet[int] = frozenset()
) -> list[int]:
    """Shop ids for new services of `panel`'s (`pending`: ids given out but not yet written).
    The main panel's keep their own number where it is free, so a one-panel shop shows the
    panel's numbers; the rest follow the highest id."""
    taken = {row[0] for row in await tx.fetchall("SELECT id FROM services")} | pending
    wanted = set(panel_ids) - taken if panel == MAIN else set()
    following = max(taken | wanted | {0}) + 1
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
) -> SyncResult:
    """Describe every shop service by its routes (see the module's doc); create `new` ones."""
    routes: dict[int, list[tuple[str, int]]] = {}
    for service_id, panel, panel_service_id in await tx.fetchall(
        "SELECT service_id, panel, panel_service_id FROM routes ORDER BY service_id, position"
    ):
        routes.setdefault(service_id, []).append((panel, panel_service_id))
    own: dict[int, tuple[Any, ...]] = {
        row[0]: tuple(row[1:])
        for row in await tx.fetchall(
            "SELECT id, own_name, own_description, own_category, routing FROM services"
        )
    }
    for service in new:
        routes.setdefault(service.id, []).append((service.panel, service.panel_service_id))
        own[service.id] = (None, None, service.category, "ordered")
    listed = {
        (row[0], row[1]): tuple(row[2:])
        for row in await tx.fetchall(
            f"SELECT panel, service_id, {PANEL_COLUMNS} FROM panel_services"
        )
    }
    ranked = []
    for service_id, its_routes in routes.items():
        described = describe(service_id, its_routes, listed, terms, own.get(service_id))
        if described is not None:
            ranked.append(described)
    ranked.sort(key=lambda pair: pair[0])
    result = await store_services(tx, [entry for _, entry in ranked], indexed)
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
    listed: Mapping[tuple[str, int], tuple[Any, ...]],
    terms: Mapping[str, PanelTerms],
    own: tuple[Any, ...] | None,
) -> tuple[tuple[int, int, int, int], CatalogEntry] | None:
    """The service as its route describes it, and where it is listed (sold first, then by its
    panel's order and the panel's own). None when no route has a panel service behind it."""
    known = [(route[0], listed[route]) for route in routes if route in listed]
    if not known:
        return None
    selling = [(p, row) for p, row in known if row[PS_ACTIVE] and p in terms and terms[p].sells]
    own_name, own_description, own_category, routing = own or (None, None, None, "ordered")

    def cost(pair: tuple[str, tuple[Any, ...]]) -> Decimal:
        conversion = terms[pair[0]].conversion
        return from_micros(pair[1][PS_RATE]) * (conversion or Decimal(1))

    if selling:
        panel, row = min(selling, key=cost) if routing == "cheapest" else selling[0]
    else:
        panel, row = known[0]
    (name, kind, category, _, low, high, refill, cancel, dripfeed, description, position, _) = row
    entry = CatalogEntry(
        id=service_id,
        name=own_name or name,
        type=kind,
        category=own_category or category,
        rate=cost((panel, row)),
        min_quantity=low,
        max_quantity=high,
        refill=bool(refill),
        cancel=bool(cancel),
        description=own_description if own_description is not None else description,
        dripfeed=bool(dripfeed),
        active=bool(selling),
    )
    panel_position = terms[panel].position if panel in terms else 1 << 30
    return (int(not selling), panel_position, position, service_id), entry


def search_name(entry: CatalogEntry, old: tuple[Any, ...] | None) -> str:
    """The name as search compares it. Folded again only when the name changed or was never
    folded ('' since migration 0007): a re-sync of 30,000 names folds none of them."""
    if old is not None and old[2] == entry.name and old[SEARCH_NAME]:
        return str(old[SEARCH_NAME])
    return fold(entry.name)


async def store_services(
    tx: Transaction, entries: Sequence[CatalogEntry], indexed: bool
) -> SyncResult:
    """Write the shop's services; unchanged rows are not written, services missing from
    `entries` hidden (inactive). Says what was added, changed, hidden and which rates rose."""
    result = SyncResult()
    categories = {
        row["name"]: row["id"] for row in await tx.fetchall("SELECT id, name FROM categories")
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
            """SELECT id, category_id, name, type, rate, min_quantity, max_quantity, refill,
                      cancel, description, dripfeed, position, active, search_name
               FROM services"""
        )
    }
    upserts, refolded = [], []
    for position, entry in enumerate(entries):
        old = existing.get(entry.id)
        folded = search_name(entry, old)
        values = (
            entry.id, categories[entry.category], entry.name, entry.type,
            to_micros_ceiling(entry.rate), entry.min_quantity, entry.max_quantity,
            int(entry.refill), int(entry.cancel), entry.description, int(entry.dripfeed),
            position, int(entry.active), folded,
        )  # fmt: skip
        if old == values:
            continue
        upserts.append(values)
        if old is None or old[SEARCH_NAME] != folded:
            refolded.append((entry.id, folded))
        if old is None:
            if entry.active:
                result.added.append(entry.id)
            continue
        if old[:SEARCH_NAME] == values[:SEARCH_NAME]:  # first folded (after 0007)
            continue
        if old[ACTIVE] and not entry.active:
            result.removed.append(entry.id)
            continue
        result.changed.append(entry.id)
        if old[ACTIVE] and values[RATE] > old[RATE]:
            result.rate_rises.append((entry.id, from_micros(old[RATE]), entry.rate))
    if upserts:
        await tx.executemany(
            """INSERT INTO services (id, category_id, name, type, rate, min_quantity,
                   max_quantity, refill, cancel, description, dripfeed, position, active,
                   search_name)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id,
                   name = excluded.name, type = excluded.type, rate = excluded.rate,
                   min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,
                   refill = excluded.refill, cancel = excluded.cancel,
                   description = excluded.description, dripfeed = excluded.dripfeed,
                   position = excluded.position, active = excluded.active,
                   search_name = excluded.search_name,
                   updated_at = CAST(strftime('%s', 'now') AS INTEGER)""",
            upserts,
        )
    if indexed and refolded:
        await write_index(tx, refolded, replaced=[i for i, _ in refolded if i in existing])
    present = {entry.id for entry in entries}
    vanished = [i for i, old in existing.items() if old[ACTIVE] and i not in present]
    if vanished:
        await tx.executemany(
            "UPDATE services SET active = 0 WHERE id = ?", [(i,) for i in vanished]
        )
        result.removed.extend(vanished)
    return result
