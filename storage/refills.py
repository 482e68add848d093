"""Refill requests for completed orders, followed until the panel finishes or rejects them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from storage.db import Database, Transaction
from storage.records import Record, column


class RefillStage(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in {RefillStage.COMPLETED, RefillStage.REJECTED}


@dataclass(frozen=True, slots=True)
class RefillRecord(Record):
    id: int
    order_id: int
    panel_refill_id: int
    stage: RefillStage = field(metadata=column("status"))
    user_id: int
    created_at: int
    panel: str = "main"  # the panel that holds the order
    via_api: bool = False  # the order was placed through the reseller API


SELECT = (
    "SELECT r.*, o.user_id, o.panel, o.via_api FROM refills r JOIN orders o ON o.id = r.order_id"
)


class RefillRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, tx: Transaction, order_id: int, panel_refill_id: int) -> int:
        return await tx.execute(
            "INSERT INTO refills (order_id, panel_refill_id) VALUES (?, ?)",
            (order_id, panel_refill_id),
        )

    async def open_for_order(self, order_id: int) -> RefillRecord | None:
        row = await self._db.fetchone(
            f"{SELECT} WHERE r.order_id = ? AND r.status IN ('pending', 'in_progress')",
            (order_id,),
        )
        return None if row is None else RefillRecord.from_row(row)

    async def latest_for_order(self, order_id: int) -> RefillRecord | None:
        """The order's newest refill request, whatever its stage (the order card shows it)."""
        row = await self._db.fetchone(
            f"{SELECT} WHERE r.order_id = ? ORDER BY r.id DESC LIMIT 1", (order_id,)
        )
        return None if row is None else RefillRecord.from_row(row)

    async def of_user(self, user_id: int, refill_ids: Sequence[int]) -> list[RefillRecord]:
        """These refills, those of them on the person's orders."""
        if not refill_ids:
            return []
        rows = await self._db.fetchall(
            f"""{SELECT} WHERE o.user_id = ? AND r.id IN (SELECT value FROM json_each(?))""",
            (user_id, json.dumps(list(refill_ids))),
        )
        return [RefillRecord.from_row(row) for row in rows]

    async def open_refills(self) -> list[RefillRecord]:
        rows = await self._db.fetchall(
            f"{SELECT} WHERE r.status IN ('pending', 'in_progress') ORDER BY r.id"
        )
        return [RefillRecord.from_row(row) for row in rows]

    async def set_stage(self, tx: Transaction, refill_id: int, stage: RefillStage) -> bool:
        """Move a refill on; returns False if it was already in that stage."""
        changed = await tx.execute(
            """UPDATE refills SET status = ?, updated_at = CAST(strftime('%s', 'now') AS INTEGER)
               WHERE id = ? AND status <> ?""",
            (stage, refill_id, stage),
        )
        return changed > 0
