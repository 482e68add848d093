"""The panels the shop buys from: their address and key, on/off, mirrored or picked, currency.

The first panel, `main`, is the one in PROVIDER_URL/PROVIDER_KEY: its row keeps only what the
owner sets (on/off, mode, rate); its address and key are read from the settings at each start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from storage.db import Database
from storage.money import to_micros
from storage.orders import OPEN
from storage.records import DECIMAL_TEXT, Record

MAIN = "main"
SETTABLE = frozenset({"enabled", "mode", "rate"})


class PanelMode(StrEnum):
    ALL = "all"  # every service of the panel is sold (mirrored), as a one-panel shop does
    PICKED = "picked"  # only the services an admin imported


@dataclass(frozen=True, slots=True)
class PanelRecord(Record):
    name: str
    url: str
    api_key: str
    mode: PanelMode
    enabled: bool
    currency: str
    rate: Decimal | None = field(
        metadata=DECIMAL_TEXT
    )  # one unit of the panel's currency in the shop's
    balance: Decimal | None  # its last `balance` answer, in its currency
    position: int

    def __repr__(self) -> str:  # never the key
        return f"PanelRecord(name={self.name!r}, url={self.url!r})"


@dataclass(frozen=True, slots=True)
class RemovedPanel(Record):
    """A panel removed with /panel remove, as it was then (the dashboard still counts the
    charges of its past orders)."""

    name: str
    currency: str
    rate: Decimal | None = field(metadata=DECIMAL_TEXT)
    removed_at: int


class PanelRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[PanelRecord]:
        rows = await self._db.fetchall("SELECT * FROM panels ORDER BY position, name")
        return [PanelRecord.from_row(row) for row in rows]

    async def add(self, name: str, url: str, api_key: str, currency: str) -> PanelRecord:
        """A new picked panel, last in order. Raises sqlite3.IntegrityError if the name is taken."""
        async with self._db.transaction() as tx:
            await tx.execute(
                """INSERT INTO panels (name, url, api_key, currency, position)
                   VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM panels))""",
                (name, url, api_key, currency),
            )
            row = await tx.fetchone("SELECT * FROM panels WHERE name = ?", (name,))
        assert row is not None
        return PanelRecord.from_row(row)

    async def update(self, name: str, column: str, value: object) -> None:
        """One of the settings an admin changes: enabled, mode or rate."""
        assert column in SETTABLE, column
        async with self._db.transaction() as tx:
            await tx.execute(f"UPDATE panels SET {column} = ? WHERE name = ?", (value, name))

    async def set_balance(self, name: str, balance: Decimal, currency: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE panels SET balance = ?, currency = ? WHERE name = ?",
                (to_micros(balance), currency, name),
            )

    async def remove(self, name: str) -> int:
        """Forget a panel with its catalog, its products and the routes to them, unless it
        holds orders that are not final (checked in the same transaction). Returns how many
        it holds: 0 = removed. Its currency and rate are kept (`removed_panels`)."""
        async with self._db.transaction() as tx:
            busy: int = await tx.fetchval(
                f"SELECT COUNT(*) FROM orders WHERE {OPEN} AND panel = ?", (name,)
            )
            if busy:
                return busy
            await tx.execute(
                """INSERT OR REPLACE INTO removed_panels (name, currency, rate, removed_at)
                   SELECT name, currency, rate, CAST(strftime('%s', 'now') AS INTEGER)
                   FROM panels WHERE name = ?""",
                (name,),
            )
            await tx.execute("DELETE FROM routes WHERE panel = ?", (name,))
            await tx.execute("DELETE FROM panel_services WHERE panel = ?", (name,))
            await tx.execute("DELETE FROM product_routes WHERE panel = ?", (name,))
            await tx.execute("DELETE FROM panel_products WHERE panel = ?", (name,))
            await tx.execute("DELETE FROM panels WHERE name = ?", (name,))
        return 0

    async def removed(self) -> list[RemovedPanel]:
        rows = await self._db.fetchall(
            "SELECT name, currency, rate, removed_at FROM removed_panels ORDER BY removed_at"
        )
        return [RemovedPanel.from_row(row) for row in rows]

    async def service_counts(self) -> dict[str, int]:
        """Per panel, the services it lists now."""
        rows = await self._db.fetchall(
            """SELECT panel, COUNT(*) AS listed FROM panel_services WHERE active = 1
               GROUP BY panel"""
        )
        return {row["panel"]: row["listed"] for row in rows}
