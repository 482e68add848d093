"""Routes, as the shop's services and its products share them.

A shop item (a service, a product) is sold through its routes: panel items, in order (tables
`routes` and `product_routes`), each panel's items stored as it lists them (`panel_services`,
`panel_products`). What both catalogs decide alike is here: which route describes an item and
whether it sells (choose_route), its rate in the shop's currency (shop_rate), where it is
listed (listing_position); and, in one RouteTables per kind (SERVICE_ROUTES, PRODUCT_ROUTES),
the statements on routes both make: the ids new items get, what a panel lists that nothing
sells yet, which of an admin's ids can be imported, an item's routes replaced, the panels that
sell.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, NamedTuple, Protocol, TypeVar

from storage.db import Database, Transaction
from storage.money import from_micros, to_micros_ceiling
from storage.panels import MAIN
from storage.records import Record, column


@dataclass(frozen=True, slots=True)
class PanelTerms:
    """What building the shop's services and products needs to know of a panel."""

    enabled: bool
    conversion: Decimal | None  # one unit of its currency in the shop's; None: not sold
    mirror: bool  # every item it lists is sold (mode `all`)
    position: int = 0

    @property
    def sells(self) -> bool:
        return self.enabled and self.conversion is not None


@dataclass
class Imported:
    """What /import did: panel item id -> the new shop item's id, those already sold (-> the
    shop item that sells them), and ids the panel does not list."""

    created: dict[int, int] = field(default_factory=dict)
    already: dict[int, int] = field(default_factory=dict)
    unknown: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelRoute(Record):
    """A route of a shop item: the panel's item it leads to, as the panel last listed it
    (`listed` False when it never did or stopped), in the panel's own currency. Read with a
    LEFT JOIN of the panel's list: NULL where the panel never listed it."""

    NULL_IS_DEFAULT = True

    panel: str
    listed: bool = field(metadata=column("active"))
    name: str = ""
    type: str = ""
    rate: Decimal = Decimal(0)
    min_quantity: int = 1
    max_quantity: int = 1


@dataclass(frozen=True, slots=True)
class RouteTables:
    """Where one kind of shop item keeps its routes and its panels' lists, and the statements
    on them both kinds make (SERVICE_ROUTES, PRODUCT_ROUTES)."""

    shop: str  # the shop's items: services | products
    routes: str  # routes | product_routes
    routed: str  # a route's shop item: service_id | product_id
    panel_item: str  # a route's panel item: panel_service_id | panel_product_id
    listing: str  # each panel's items as it lists them: panel_services | panel_products
    listed: str  # a listed item's id on its panel: service_id | product_id

    async def routed_panels(self, db: Database) -> frozenset[str]:
        """The panels that hold a route of an item customers can buy: the item listed and
        not hidden, the panel's item listed."""
        rows = await db.fetchall(
            f"""SELECT DISTINCT r.panel FROM {self.routes} r
                JOIN {self.shop} s ON s.id = r.{self.routed} AND s.active = 1 AND s.hidden = 0
                JOIN {self.listing} l ON l.panel = r.panel
                    AND l.{self.listed} = r.{self.panel_item} AND l.active = 1"""
        )
        return frozenset(row["panel"] for row in rows)

    async def new_ids(
        self,
        tx: Transaction,
        panel: str,
        panel_ids: Sequence[int],
        pending: AbstractSet[int] = frozenset(),
    ) -> list[int]:
        """Shop ids for new items sold through these of `panel`'s (`pending`: ids given out but
        not yet written). The main panel's keep their own number where it is free, so a one-panel
        shop shows the panel's numbers; the rest follow the highest id."""
        if not panel_ids:
            return []
        highest = max(await tx.fetchval(f"SELECT MAX(id) FROM {self.shop}") or 0, *pending, 0)
        wanted: set[int] = set()
        if panel == MAIN:
            taken = await tx.fetchall(
                f"SELECT id FROM {self.shop} WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(panel_ids))),),
            )
            wanted = set(panel_ids) - {row["id"] for row in taken} - pending
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

    async def routed_items(self, tx: Transaction, panel: str) -> dict[int, list[int]]:
        """The panel's items that shop items are routed to: panel item id -> shop item ids."""
        routed: dict[int, list[int]] = {}
        for row in await tx.fetchall(
            f"SELECT {self.panel_item} AS panel_item, {self.routed} AS shop_item"
            f" FROM {self.routes} WHERE panel = ?",
            (panel,),
        ):
            routed.setdefault(row["panel_item"], []).append(row["shop_item"])
        return routed

    async def unrouted(self, tx: Transaction, panel: str) -> list[int]:
        """The panel's listed items that no shop item is routed to, in its order."""
        rows = await tx.fetchall(
            f"""SELECT l.{self.listed} AS item FROM {self.listing} l
                WHERE l.panel = ? AND l.active = 1
                AND NOT EXISTS (SELECT 1 FROM {self.routes} r
                                WHERE r.panel = l.panel AND r.{self.panel_item} = l.{self.listed})
                ORDER BY l.position""",
            (panel,),
        )
        return [row["item"] for row in rows]

    async def sort_import(
        self, tx: Transaction, panel: str, panel_ids: Sequence[int]
    ) -> tuple[Imported, list[int]]:
        """An admin's /import of these ids of `panel`: those already sold and those it does not
        list are reported (in the Imported), the rest are returned, to be created."""
        listed = {
            row["item"]
            for row in await tx.fetchall(
                f"SELECT {self.listed} AS item FROM {self.listing} WHERE panel = ? AND active = 1",
                (panel,),
            )
        }
        routed = await self.routed_items(tx, panel)
        imported = Imported()
        wanted = []
        for panel_id in dict.fromkeys(panel_ids):
            if panel_id in routed:
                imported.already[panel_id] = routed[panel_id][-1]
            elif panel_id not in listed:
                imported.unknown.append(panel_id)
            else:
                wanted.append(panel_id)
        return imported, wanted

    async def set_routes(
        self, tx: Transaction, item_id: int, routes: Sequence[tuple[str, int]] | None
    ) -> list[tuple[str, int]]:
        """Route a shop item through these (panel, panel item id) in order, or (None) to the
        cheapest of its routes at each order. Returns the routes no panel lists: then nothing is
        written."""
        if routes is None:
            await tx.execute(
                f"UPDATE {self.shop} SET routing = 'cheapest' WHERE id = ?", (item_id,)
            )
            return []
        stored = await tx.fetchall(
            f"""SELECT panel, {self.listed} AS item FROM {self.listing}
                WHERE (panel, {self.listed}) IN (SELECT json_extract(value, '$[0]'),
                                                      json_extract(value, '$[1]')
                                               FROM json_each(?))""",
            (json.dumps(list(routes)),),
        )
        known = {(row["panel"], row["item"]) for row in stored}
        unknown = [(panel, i) for panel, i in routes if (panel, i) not in known]
        if unknown:
            return unknown
        await tx.execute(f"DELETE FROM {self.routes} WHERE {self.routed} = ?", (item_id,))
        await tx.executemany(
            f"""INSERT INTO {self.routes} ({self.routed}, panel, {self.panel_item}, position)
                VALUES (?, ?, ?, ?)""",
            [(item_id, panel, i, n) for n, (panel, i) in enumerate(dict.fromkeys(routes))],
        )
        await tx.execute(f"UPDATE {self.shop} SET routing = 'ordered' WHERE id = ?", (item_id,))
        return []


SERVICE_ROUTES = RouteTables(
    "services", "routes", "service_id", "panel_service_id", "panel_services", "service_id"
)
PRODUCT_ROUTES = RouteTables(
    "products", "product_routes", "product_id", "panel_product_id", "panel_products", "product_id"
)


class Listing(Protocol):
    """What choosing a route reads of a panel's item as stored."""

    @property
    def rate(self) -> int: ...  # micro-units of the panel's currency

    @property
    def active(self) -> int: ...  # the panel lists it now


Item = TypeVar("Item", bound=Listing)


class Chosen(NamedTuple, Generic[Item]):
    """The route that describes a shop item, the panel's item behind it, and whether it sells."""

    panel: str
    item: Item
    selling: bool


def choose_route(
    routes: Sequence[tuple[str, int]],
    listed: Mapping[str, Mapping[int, Item]],
    terms: Mapping[str, PanelTerms],
    *,
    cheapest: bool,
) -> Chosen[Item] | None:
    """The route that describes a shop item and whether it sells: the first whose panel sells
    and lists it (with `cheapest`, the cheapest such in the shop's currency), else the first its
    panel lists at all (not selling). None when no panel lists any."""
    chosen: tuple[str, Item] | None = None
    selling = False
    best = Decimal(0)
    for panel, panel_item_id in routes:
        item = listed.get(panel, {}).get(panel_item_id)
        if item is None:
            continue
        panel_terms = terms.get(panel)
        if item.active and panel_terms is not None and panel_terms.sells:
            if not cheapest:
                return Chosen(panel, item, True)
            cost = from_micros(item.rate) * (panel_terms.conversion or 1)
            if not selling or cost < best:
                chosen, selling, best = (panel, item), True, cost
        elif chosen is None:
            chosen = (panel, item)  # described by it while no route sells
    return None if chosen is None else Chosen(*chosen, selling)


def shop_rate(rate: int, panel_terms: PanelTerms | None) -> int:
    """A panel's rate (micro-units of its currency) in micro-units of the shop's, rounded up."""
    conversion = panel_terms.conversion if panel_terms and panel_terms.conversion else None
    if conversion is None or conversion == 1:
        return rate
    return to_micros_ceiling(from_micros(rate) * conversion)


def listing_position(selling: bool, panel_terms: PanelTerms | None, place: int) -> int:
    """Where a shop item is listed: those that sell first, then by their panel's order, then
    by the panel's own order."""
    last = (1 << 20) - 1  # panels listed after every other
    panel_position = min(panel_terms.position, last) if panel_terms else last
    return (int(not selling) << 44) | (panel_position << 24) | min(place, (1 << 24) - 1)
