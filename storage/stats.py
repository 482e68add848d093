"""Figures for the owner's dashboard, each one indexed query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database
from storage.money import from_micros
from storage.orders import OPEN


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Orders and money since a moment."""

    orders_by_status: dict[str, int]
    revenue: Decimal  # what people paid for orders placed (failed ones excluded)
    refunds: Decimal
    panel_cost: Decimal  # what the panel charged for those orders, where it said
    margin: Decimal  # revenue - refunds - panel cost, over orders whose charge is known


@dataclass(frozen=True, slots=True)
class UserStats:
    total: int
    new: int
    active: int


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def users(self, new_since: int, active_since: int) -> UserStats:
        row = await self._db.fetchone(
            """SELECT (SELECT COUNT(*) FROM users),
                      (SELECT COUNT(*) FROM users WHERE created_at >= ?),
                      (SELECT COUNT(*) FROM users WHERE last_seen_at >= ?)""",
            (new_since, active_since),
        )
        assert row is not None
        return UserStats(row[0], row[1], row[2])

    async def window(self, since: int, conversions: Mapping[str, Decimal | None]) -> WindowStats:
        """`conversions`: per panel, one unit of its currency in the shop's (None: unknown, so
        its charges are left out of the cost and the margin)."""
        statuses = {
            row[0]: row[1]
            for row in await self._db.fetchall(
                "SELECT status, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY status",
                (since,),
            )
        }
        per_panel = await self._db.fetchall(
            """SELECT panel, COALESCE(SUM(price), 0),
                      COALESCE(SUM(CASE WHEN charge IS NOT NULL THEN charge END), 0),
                      COALESCE(SUM(CASE WHEN charge IS NOT NULL THEN price - refunded END), 0)
               FROM orders WHERE created_at >= ? AND status <> 'failed' GROUP BY panel""",
            (since,),
        )
        revenue = cost = margin = Decimal(0)
        for panel, price, charge, kept in per_panel:
            revenue += from_micros(price)
            conversion = conversions.get(panel)
            if conversion is not None:  # charges are in the panel's own currency
                cost += from_micros(charge) * conversion
                margin += from_micros(kept) - from_micros(charge) * conversion
        refunds = await self._db.fetchval(
            """SELECT COALESCE(SUM(amount), 0) FROM ledger
               WHERE kind IN ('refund', 'admin_refund') AND created_at >= ?""",
            (since,),
        )
        return WindowStats(
            orders_by_status=statuses,
            revenue=revenue,
            refunds=from_micros(refunds),
            panel_cost=cost,
            margin=margin,
        )

    async def count_in_stage(self, stage: str) -> int:
        count: int = await self._db.fetchval(
            f"SELECT COUNT(*) FROM orders WHERE {OPEN} AND status = ?", (stage,)
        )
        return count

    async def stuck(self, older_than: int) -> int:
        count: int = await self._db.fetchval(
            f"""SELECT COUNT(*) FROM orders WHERE {OPEN}
               AND status IN ('pending', 'processing', 'in_progress')
               AND updated_at < ?""",
            (older_than,),
        )
        return count
