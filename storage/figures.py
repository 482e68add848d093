"""Running totals for the metrics endpoint, read on a connection of their own in a worker
thread: a scrape scans the orders table, and that must not hold up the bot's reader.

The ledger is append-only, so its totals per kind are kept here and only rows added since the
last read are summed; orders change status, so they are counted afresh (one pass a scrape).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from storage.money import from_micros


@dataclass(slots=True)
class KindTotal:
    count: int = 0
    micros: int = 0


@dataclass(slots=True)
class Figures:
    orders: dict[str, int] = field(default_factory=dict)  # how many, by status
    # What each panel charged, where it said, in micro-units of that panel's own currency.
    charges: dict[str, int] = field(default_factory=dict)
    ledger: dict[str, KindTotal] = field(default_factory=dict)  # by kind, since the start

    def ledger_amount(self, kind: str) -> Decimal:
        """A kind's total in units of the currency."""
        total = self.ledger.get(kind)
        return from_micros(total.micros) if total else Decimal(0)


class FiguresReader:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._ledger: dict[str, KindTotal] = {}
        self._last_ledger_id = 0
        self._lock = asyncio.Lock()  # two scrapes at once must not count new rows twice

    async def read(self) -> Figures:
        async with self._lock:
            return await asyncio.to_thread(self._read)

    def _read(self) -> Figures:
        connection = sqlite3.connect(self._path, timeout=5.0)
        try:
            connection.execute("PRAGMA query_only=1")
            orders: dict[str, int] = {}
            charges: dict[str, int] = {}
            for status, panel, count, charge in connection.execute(
                """SELECT status, panel, COUNT(*), COALESCE(SUM(charge), 0)
                   FROM orders GROUP BY status, panel"""
            ):
                orders[status] = orders.get(status, 0) + count
                charges[panel] = charges.get(panel, 0) + charge
            newest = connection.execute("SELECT COALESCE(MAX(id), 0) FROM ledger").fetchone()[0]
            rows = connection.execute(
                """SELECT kind, COUNT(*), SUM(amount) FROM ledger
                   WHERE id > ? AND id <= ? GROUP BY kind""",
                (self._last_ledger_id, newest),
            )
            for kind, count, micros in rows:
                total = self._ledger.setdefault(kind, KindTotal())
                total.count += count
                total.micros += micros
            self._last_ledger_id = newest
        finally:
            connection.close()
        ledger = {kind: KindTotal(t.count, t.micros) for kind, t in self._ledger.items()}
        return Figures(orders=orders, charges=charges, ledger=ledger)
