"""Batches of settlements for unconfirmed orders: previewed by an admin, applied at most once."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.db import Database

Item = tuple[int, int | None]  # (order id, panel order id; None: refund it)


@dataclass(frozen=True, slots=True)
class ResolveBatch:
    id: int
    admin_id: int
    items: list[Item]
    status: str  # pending, applied, canceled
    decided_by: int | None


class ResolveBatchRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, admin_id: int, items: list[Item]) -> int:
        async with self._db.transaction() as tx:
            return await tx.execute(
                "INSERT INTO resolve_batches (admin_id, items) VALUES (?, ?)",
                (admin_id, json.dumps(items)),
            )

    async def get(self, batch_id: int) -> ResolveBatch | None:
        row = await self._db.fetchone("SELECT * FROM resolve_batches WHERE id = ?", (batch_id,))
        if row is None:
            return None
        items = [(int(order_id), panel_id) for order_id, panel_id in json.loads(row["items"])]
        return ResolveBatch(row["id"], row["admin_id"], items, row["status"], row["decided_by"])

    async def decide(self, batch_id: int, status: str, admin_id: int) -> bool:
        """pending -> applied or canceled; False when it was decided already (checked and
        written in one statement: two presses, or two admins, decide once)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                """UPDATE resolve_batches SET status = ?, decided_by = ?,
                       decided_at = CAST(strftime('%s', 'now') AS INTEGER)
                   WHERE id = ? AND status = 'pending'""",
                (status, admin_id, batch_id),
            )
        return bool(changed)
