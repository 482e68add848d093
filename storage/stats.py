"""Figures for the owner's dashboard, each one indexed query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from storage.db import Database
from storage.money import from_micros
from storage.orders import OPEN
from storage.records import Record


@dataclass(frozen=True, slots=True)
class ChargeTerms:
    """How a panel's charges, in its own currency, count in the shop's."""

    currency: str  # the panel's; "" when unknown
    conversion: Decimal | None  # one unit of it in the shop's; None: no rate, not converted


NO_TERMS = ChargeTerms("", None)  # a panel removed before removals were kept


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Orders and money since a moment."""

    orders_by_status: dict[str, int]
    revenue: Decimal  # what people paid for orders placed (failed ones excluded)
    refunds: Decimal
    panel_cost: Decimal  # what the panels charged for those orders, where they said, converted
    margin: Decimal  # revenue - refunds - panel cost, over orders whose charge is converted
    # What panels without a rate charged, by their currency ("" unknown), and those panels:
    # shown apart, in their own currencies, and left out of the cost and the margin.
    unconverted: dict[str, Decimal] = field(default_factory=dict)
    unconverted_panels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UserStats(Record):
    total: int
    new: int
    active: int


class StatsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def users(self, new_since: int, active_since: int) -> UserStats:
        row = await self._db.fetchone(
            """SELECT (SELECT COUNT(*) FROM users) AS total,
                      (SELECT COUNT(*) FROM users WHERE created_at >= ?) AS new,
                      (SELECT COUNT(*) FROM users WHERE last_seen_at >= ?) AS active""",
            (new_since, active_since),
        )
        assert row is not None
        return UserStats.from_row(row)

    async def window(
        self,
        since: int,
        panels: Mapping[str, ChargeTerms],
        removed: Mapping[tuple[str, int], ChargeTerms],
    ) -> WindowStats:
        """`panels`: the panels there are, by name; `removed`: those removed, by name and the
        time of the removal. An order is a removed panel's when that panel's name was removed
        at or after the order was made (the first such removal), else the live panel's."""
        statuses = {
            row["status"]: row["orders"]
            for row in await self._db.fetchall(
                """SELECT status, COUNT(*) AS orders FROM orders WHERE created_at >= ?
                   GROUP BY status""",
                (since,),
            )
        }
        per_panel = await self._db.fetchall(
            """SELECT o.panel,
                      (SELECT MIN(r.removed_at) FROM removed_panels r
                       WHERE r.name = o.panel AND r.removed_at >= o.created_at) AS removal,
                      COALESCE(SUM(o.price), 0) AS price,
                      COALESCE(SUM(o.charge), 0) AS charge,
                      COALESCE(SUM(CASE WHEN o.charge IS NOT NULL THEN o.price - o.refunded END), 0)
                          AS kept
               FROM orders o WHERE o.created_at >= ? AND o.status <> 'failed'
               GROUP BY o.panel, removal""",
            (since,),
        )
        revenue = cost = margin = Decimal(0)
        unconverted: dict[str, Decimal] = {}
        unconverted_panels: dict[str, None] = {}
        for row in per_panel:
            panel, removal, charge = row["panel"], row["removal"], row["charge"]
            revenue += from_micros(row["price"])
            if removal is None:
                terms = panels.get(panel, NO_TERMS)
            else:
                terms = removed.get((panel, removal), NO_TERMS)
            if terms.conversion is not None:  # charges are in the panel's own currency
                cost += from_micros(charge) * terms.conversion
                margin += from_micros(row["kept"]) - from_micros(charge) * terms.conversion
            elif charge:
                unconverted[terms.currency] = unconverted.get(
                    terms.currency, Decimal(0)
                ) + from_micros(charge)
                unconverted_panels[panel] = None
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
            unconverted=unconverted,
            unconverted_panels=tuple(unconverted_panels),
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
