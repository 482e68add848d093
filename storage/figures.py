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
        connection.row_factory = sqlite3.Row
        try:
            connection.execute("PRAGMA query_only=1")
            orders: dict[str, int] = {}
            charges: dict[str, int] = {}
            for row in connection.execute(
                """SELECT status, panel, COUNT(*) AS orders, COALESCE(SUM(charge), 0) AS charge
                   FROM orders GROUP BY status, panel"""
            ):
                orders[row["status"]] = orders.get(row["status"], 0) + row["orders"]
                charges[row["panel"]] = charges.get(row["panel"], 0) + row["charge"]
            newest = connection.execute(
                "SELECT COALESCE(MAX(id), 0) AS newest FROM ledger"
            ).fetchone()["newest"]
            for row in connection.execute(
                """SELECT kind, COUNT(*) AS entries, SUM(amount) AS micros FROM ledger
                   WHERE id > ? AND id <= ? GROUP BY kind""",
                (self._last_ledger_id, newest),
            ):
                total = self._ledger.setdefault(row["kind"], KindTotal())
                total.count += row["entries"]
                total.micros += row["micros"]
            self._last_ledger_id = newest
        finally:
            connection.close()
        ledger = {kind: KindTotal(t.count, t.micros) for kind, t in self._ledger.items()}
        return Figures(orders=orders, charges=charges, ledger=ledger)
