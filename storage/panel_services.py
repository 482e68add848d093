"""Each panel's services as it lists them (`panel_services`): stored at each sync, read back to
describe the shop's services (storage/catalog_writer.py).

A sync stores 30,000 services and more, so a stored row is a named tuple whose fields are the
table's columns in order (storage/records.py RowTuple): written as it is, compared as a tuple,
read by name.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from storage.db import Transaction
from storage.money import to_micros_ceiling
from storage.records import columns, placeholders


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


class ListedService(NamedTuple):
    """A panel's service as stored: the columns of `panel_services`."""

    panel: str
    service_id: int
    name: str
    type: str
    category: str
    rate: int  # micro-units of the panel's currency
    min_quantity: int
    max_quantity: int
    refill: int
    cancel: int
    dripfeed: int
    description: str
    position: int  # where the panel lists it
    active: int  # the panel lists it now

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ListedService:
        """A row of `SELECT {columns(ListedService)}` (storage/records.py)."""
        return cls._make(row)

    def unlisted(self) -> ListedService:
        """The same, no longer listed by its panel."""
        return self._replace(active=0)


LISTED_COLUMNS = columns(ListedService)
# Panel services by panel, then by the panel's id.
Listed = dict[str, dict[int, ListedService]]


@dataclass(slots=True)
class StoredList:
    """What storing a panel's list did: its ids whose row changed (new, edited or no longer
    listed), and every row of the panel as now stored (so that describing the shop services
    need not read back what was just written)."""

    changed: set[int]
    rows: dict[int, ListedService]


async def store_panel_services(
    tx: Transaction, panel: str, entries: Sequence[CatalogEntry]
) -> StoredList:
    """A panel's list as it answered; unchanged rows are not written, vanished ones inactive."""
    rows = {
        service.service_id: service
        for service in map(
            ListedService.from_row,
            await tx.fetchall(
                f"SELECT {LISTED_COLUMNS} FROM panel_services WHERE panel = ?", (panel,)
            ),
        )
    }
    existing = dict(rows)
    upserts = []
    for position, entry in enumerate(entries):
        service = ListedService(
            panel, entry.id, entry.name, entry.type, entry.category,
            to_micros_ceiling(entry.rate), entry.min_quantity, entry.max_quantity,
            int(entry.refill), int(entry.cancel), int(entry.dripfeed), entry.description,
            position, 1,
        )  # fmt: skip
        if rows.get(entry.id) != service:
            upserts.append(service)
        rows[entry.id] = service
    if upserts:
        await tx.executemany(
            f"""INSERT INTO panel_services ({LISTED_COLUMNS})
                VALUES ({placeholders(ListedService)})
                ON CONFLICT (panel, service_id) DO UPDATE SET name = excluded.name,
                    type = excluded.type, category = excluded.category, rate = excluded.rate,
                    min_quantity = excluded.min_quantity, max_quantity = excluded.max_quantity,
                    refill = excluded.refill, cancel = excluded.cancel,
                    dripfeed = excluded.dripfeed, description = excluded.description,
                    position = excluded.position, active = excluded.active""",
            upserts,
        )
    present = {entry.id for entry in entries}
    gone = [i for i, old in existing.items() if old.active and i not in present]
    if gone:
        await tx.executemany(
            "UPDATE panel_services SET active = 0 WHERE panel = ? AND service_id = ?",
            [(panel, i) for i in gone],
        )
        for i in gone:
            rows[i] = rows[i].unlisted()
    return StoredList({service.service_id for service in upserts} | set(gone), rows)


async def listed_services(
    tx: Transaction, routes: Iterable[list[tuple[str, int]]] | None, known: Listed
) -> Listed:
    """Panel services by panel and id: all of them, or those these routes lead to; `known`
    panels' from memory, the others' read."""
    listed: Listed = dict(known)
    if routes is None:
        rows = await tx.fetchall(
            f"""SELECT {LISTED_COLUMNS} FROM panel_services
                WHERE panel NOT IN (SELECT value FROM json_each(?))""",
            (json.dumps(sorted(known)),),
        )
    else:
        pairs = [
            (panel, item)
            for its_routes in routes
            for panel, item in its_routes
            if panel not in known
        ]
        if not pairs:
            return listed
        rows = await tx.fetchall(
            f"""SELECT {LISTED_COLUMNS} FROM panel_services
                WHERE (panel, service_id) IN (SELECT json_extract(value, '$[0]'),
                                                     json_extract(value, '$[1]')
                                              FROM json_each(?))""",
            (json.dumps(pairs),),
        )
    for service in map(ListedService.from_row, rows):
        listed.setdefault(service.panel, {})[service.service_id] = service
    return listed
