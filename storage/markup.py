"""The owner's markup rules for a category or a single service (the global one is a setting)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from storage.db import Database
from storage.memo import Remembering, remembered
from storage.records import DECIMAL_TEXT, Record


@dataclass(frozen=True, slots=True)
class MarkupRule(Record):
    scope: str  # category | service
    target: int
    percent: Decimal = field(metadata=DECIMAL_TEXT)
    name: str  # the category's or the service's name, for listing


class MarkupRepository(Remembering):
    """Rules change only through this class (the owner's /markup), so every price asked for
    is answered from memory: the rules are read once, and again after each change."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    async def set(self, scope: str, target: int, percent: Decimal) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """INSERT INTO markup_rules (scope, target, percent) VALUES (?, ?, ?)
                   ON CONFLICT (scope, target) DO UPDATE SET percent = excluded.percent""",
                (scope, target, str(percent)),
            )
        self.forget()

    async def remove(self, scope: str, target: int) -> bool:
        async with self._db.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM markup_rules WHERE scope = ? AND target = ?", (scope, target)
            )
        self.forget()
        return removed > 0

    async def for_service(self, service_id: int, category_id: int) -> Decimal | None:
        """The most specific rule: the service's own, else its category's, else None."""
        percents = await self._rules()
        own = percents.get(("service", service_id))
        return own if own is not None else percents.get(("category", category_id))

    @remembered
    async def _rules(self) -> dict[tuple[str, int], Decimal]:
        rows = await self._db.fetchall("SELECT scope, target, percent FROM markup_rules")
        return {(row["scope"], row["target"]): Decimal(row["percent"]) for row in rows}

    async def all(self) -> list[MarkupRule]:
        rows = await self._db.fetchall(
            """SELECT r.scope, r.target, r.percent,
                      COALESCE(c.name, s.name, '?') AS name
               FROM markup_rules r
               LEFT JOIN categories c ON r.scope = 'category' AND c.id = r.target
               LEFT JOIN services s ON r.scope = 'service' AND s.id = r.target
               ORDER BY r.scope, name"""
        )
        return [MarkupRule.from_row(row) for row in rows]
