"""Service and product orders: written before the panel is called, then updated with what the
panel says. An order's fate changes inside the caller's transaction (`tx`), with the ledger's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from storage.db import Database, Transaction
from storage.money import to_micros
from storage.orders import (
    OPEN,
    SNAPSHOT_COLUMNS,
    NewOrder,
    OrderKind,
    OrderRecord,
    OrderSnapshot,
    ProgressUpdate,
    Stage,
    TrackedOrder,
)

NOW = "CAST(strftime('%s', 'now') AS INTEGER)"


class OrderRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, tx: Transaction, order: NewOrder) -> int:
        """Insert as `submitting`. A second order for the same draft raises IntegrityError."""
        return await tx.execute(
            """INSERT INTO orders (kind, user_id, service_id, service_name, service_type, link,
                   quantity, comments, list, suggest, search, require_text, price, status,
                   draft_key, refill_allowed, panel, panel_service_id, runs, interval,
                   cancel_allowed, via_api)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                order.kind,
                order.user_id,
                order.service_id,
                order.service_name,
                order.service_type,
                order.link,
                order.quantity,
                order.comments,
                order.list,
                order.suggest,
                order.search,
                order.require_text,
                to_micros(order.price),
                Stage.SUBMITTING,
                order.draft_key,
                int(order.refill_allowed),
                order.panel,
                order.panel_service_id,
                order.runs,
                order.interval,
                int(order.cancel_allowed),
                int(order.via_api),
            ),
        )

    async def open_api_order_in(
        self, tx: Transaction, user_id: int, service_id: int, link: str
    ) -> OrderRecord | None:
        """A reseller's API order of this service for this link that is not finished yet."""
        row = await tx.fetchone(
            """SELECT * FROM orders WHERE user_id = ? AND service_id = ? AND link = ?
               AND via_api = 1 AND status IN ('submitting', 'unconfirmed', 'pending',
                                              'processing', 'in_progress')
               LIMIT 1""",
            (user_id, service_id, link),
        )
        return None if row is None else OrderRecord.from_row(row)

    async def snapshots_of_user(
        self, user_id: int, order_ids: Sequence[int]
    ) -> list[OrderSnapshot]:
        """These orders, those of them that are the person's, as `status` reads them."""
        if not order_ids:
            return []
        rows = await self._db.fetchall(
            f"""SELECT {SNAPSHOT_COLUMNS} FROM orders WHERE user_id = ?
               AND id IN (SELECT value FROM json_each(?))""",
            (user_id, json.dumps(list(order_ids))),
        )
        return [OrderSnapshot.from_row(row) for row in rows]

    async def of_user(self, user_id: int, order_ids: Sequence[int]) -> list[OrderRecord]:
        """These orders, those of them that are the person's (the API's status of 100)."""
        if not order_ids:
            return []
        rows = await self._db.fetchall(
            """SELECT * FROM orders WHERE user_id = ?
               AND id IN (SELECT value FROM json_each(?))""",
            (user_id, json.dumps(list(order_ids))),
        )
        return [OrderRecord.from_row(row) for row in rows]

    async def by_draft(self, draft_key: str) -> OrderRecord | None:
        row = await self._db.fetchone("SELECT * FROM orders WHERE draft_key = ?", (draft_key,))
        return None if row is None else OrderRecord.from_row(row)

    async def get(self, order_id: int) -> OrderRecord | None:
        row = await self._db.fetchone("SELECT * FROM orders WHERE id = ?", (order_id,))
        return None if row is None else OrderRecord.from_row(row)

    async def get_in(self, tx: Transaction, order_id: int) -> OrderRecord | None:
        row = await tx.fetchone("SELECT * FROM orders WHERE id = ?", (order_id,))
        return None if row is None else OrderRecord.from_row(row)

    async def for_user(self, user_id: int, offset: int = 0, limit: int = 8) -> list[OrderRecord]:
        rows = await self._db.fetchall(
            "SELECT * FROM orders WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [OrderRecord.from_row(row) for row in rows]

    async def count_for_user(self, user_id: int) -> int:
        count: int = await self._db.fetchval(
            "SELECT COUNT(*) FROM orders WHERE user_id = ?", (user_id,)
        )
        return count

    async def in_stage(self, stage: Stage, limit: int = 100) -> list[OrderRecord]:
        """Orders in a stage that is not final (submitting, unconfirmed, ...): a few."""
        assert not stage.is_final, "final stages are not indexed for this"
        rows = await self._db.fetchall(
            f"SELECT * FROM orders WHERE {OPEN} AND status = ? ORDER BY id LIMIT ?",
            (stage, limit),
        )
        return [OrderRecord.from_row(row) for row in rows]

    async def set_placed(
        self, tx: Transaction, order_id: int, panel_order_id: int
    ) -> OrderRecord | None:
        """The panel took it: pending from now on. Returns the order as it is now."""
        row = await tx.fetchone(
            f"""UPDATE orders SET status = ?, panel_order_id = ?, error = NULL,
                   updated_at = {NOW} WHERE id = ? RETURNING *""",
            (Stage.PENDING, panel_order_id, order_id),
        )
        return None if row is None else OrderRecord.from_row(row)

    async def set_route(
        self,
        tx: Transaction,
        order_id: int,
        panel: str,
        panel_service_id: int,
        refill_allowed: bool,
        cancel_allowed: bool,
    ) -> None:
        """The order is about to be sent to another route: it names that panel from now on."""
        await tx.execute(
            f"""UPDATE orders SET panel = ?, panel_service_id = ?, refill_allowed = ?,
                   cancel_allowed = ?, updated_at = {NOW} WHERE id = ?""",
            (panel, panel_service_id, int(refill_allowed), int(cancel_allowed), order_id),
        )

    async def set_stage(
        self, tx: Transaction, order_id: int, stage: Stage, error: str | None = None
    ) -> None:
        await tx.execute(
            f"UPDATE orders SET status = ?, error = ?, updated_at = {NOW} WHERE id = ?",
            (stage, error, order_id),
        )

    async def add_refunded(self, tx: Transaction, order_id: int, amount: Decimal) -> None:
        await tx.execute(
            f"UPDATE orders SET refunded = refunded + ?, updated_at = {NOW} WHERE id = ?",
            (to_micros(amount), order_id),
        )

    async def update_progress_many(self, tx: Transaction, updates: list[ProgressUpdate]) -> None:
        """What the panel said about many orders, in one statement."""
        if not updates:
            return
        await tx.executemany(
            f"""UPDATE orders SET status = ?, charge = COALESCE(?, charge),
                   start_count = COALESCE(?, start_count), remains = COALESCE(?, remains),
                   result = COALESCE(?, result), note = COALESCE(?, note),
                   last_answer = ?, missing_answers = 0, updated_at = {NOW} WHERE id = ?""",
            [
                (
                    u.stage,
                    None if u.charge is None else to_micros(u.charge),
                    u.start_count,
                    u.remains,
                    u.result,
                    u.note,
                    u.last_answer,
                    u.order_id,
                )
                for u in updates
            ],
        )

    async def get_many_in(self, tx: Transaction, order_ids: list[int]) -> list[OrderRecord]:
        """Orders by id, read inside a transaction (at most a chunk of the tracker's)."""
        if not order_ids:
            return []
        marks = ",".join("?" * len(order_ids))
        rows = await tx.fetchall(f"SELECT * FROM orders WHERE id IN ({marks})", order_ids)
        return [OrderRecord.from_row(row) for row in rows]

    async def count_missing(self, tx: Transaction, order_id: int) -> tuple[int, bool]:
        """One more "Incorrect order ID" answer; returns the count and whether admins were told."""
        await tx.execute(
            "UPDATE orders SET missing_answers = missing_answers + 1 WHERE id = ?", (order_id,)
        )
        row = await tx.fetchone(
            "SELECT missing_answers, missing_reported FROM orders WHERE id = ?", (order_id,)
        )
        assert row is not None
        return row["missing_answers"], bool(row["missing_reported"])

    async def mark_missing_reported(self, tx: Transaction, order_id: int) -> None:
        await tx.execute("UPDATE orders SET missing_reported = 1 WHERE id = ?", (order_id,))

    async def open_of_kind(self, kind: OrderKind) -> list[TrackedOrder]:
        """Placed orders the panel has not finished: what the tracker asks about."""
        rows = await self._db.fetchall(
            """SELECT id, panel_order_id, status, start_count, remains, result, panel FROM orders
               WHERE status IN ('pending', 'processing', 'in_progress')
               AND kind = ? AND panel_order_id IS NOT NULL ORDER BY id""",
            (kind,),
        )
        return [TrackedOrder.from_row(row) for row in rows]

    async def any_stuck(self, tx: Transaction, older_than: int) -> bool:
        found = await tx.fetchval(
            f"""SELECT 1 FROM orders WHERE {OPEN}
               AND status IN ('pending', 'processing', 'in_progress')
               AND updated_at < ? AND stuck_reported = 0 LIMIT 1""",
            (older_than,),
        )
        return found is not None

    async def take_stuck(self, tx: Transaction, older_than: int) -> list[OrderRecord]:
        """Open orders unchanged since `older_than` (unix time), not yet reported; marks them."""
        rows = await tx.fetchall(
            f"""SELECT * FROM orders WHERE {OPEN}
               AND status IN ('pending', 'processing', 'in_progress')
               AND updated_at < ? AND stuck_reported = 0 ORDER BY id""",
            (older_than,),
        )
        if rows:
            await tx.executemany(
                "UPDATE orders SET stuck_reported = 1 WHERE id = ?", [(row["id"],) for row in rows]
            )
        return [OrderRecord.from_row(row) for row in rows]

    async def resolve(
        self, tx: Transaction, order_id: int, panel_order_id: int, admin_id: int
    ) -> None:
        """An admin found the unconfirmed order on the panel: the tracker takes over."""
        await self.set_placed(tx, order_id, panel_order_id)
        await self.set_resolved_by(tx, order_id, admin_id)

    async def set_resolved_by(self, tx: Transaction, order_id: int, admin_id: int) -> None:
        await tx.execute("UPDATE orders SET resolved_by = ? WHERE id = ?", (admin_id, order_id))

    async def claim_cancel(self, tx: Transaction, order_id: int) -> bool:
        """Record a cancel request before the panel is asked; False if one was made already
        (or the order can no longer be canceled), so the panel is asked at most once.
        `updated_at` is left alone: it is the panel's progress, which stuck orders go by."""
        changed = await tx.execute(
            f"""UPDATE orders SET cancel_requested_at = {NOW}, cancel_error = NULL
               WHERE id = ? AND cancel_allowed = 1 AND cancel_requested_at IS NULL
               AND panel_order_id IS NOT NULL
               AND status IN ('pending', 'processing', 'in_progress')""",
            (order_id,),
        )
        return changed > 0

    async def set_cancel_unclear(self, tx: Transaction, order_id: int) -> bool:
        """The panel gave no clear answer to the cancel request; False if that was noted
        already (so whatever is told of it is told once)."""
        changed = await tx.execute(
            f"""UPDATE orders SET cancel_unclear_at = {NOW}
               WHERE id = ? AND cancel_requested_at IS NOT NULL AND cancel_unclear_at IS NULL""",
            (order_id,),
        )
        return changed > 0

    async def set_cancel_error(self, tx: Transaction, order_id: int, error: str) -> None:
        """The panel refused the cancel request: its words, for the order card."""
        await tx.execute("UPDATE orders SET cancel_error = ? WHERE id = ?", (error, order_id))

    async def unconfirmed_between(self, first: int, last: int, limit: int) -> list[OrderRecord]:
        rows = await self._db.fetchall(
            f"""SELECT * FROM orders WHERE {OPEN} AND status = 'unconfirmed'
               AND id BETWEEN ? AND ? ORDER BY id LIMIT ?""",
            (first, last, limit),
        )
        return [OrderRecord.from_row(row) for row in rows]

    async def by_panel_id_in(
        self, tx: Transaction, kind: OrderKind, panel: str, panel_order_id: int
    ) -> OrderRecord | None:
        row = await tx.fetchone(
            "SELECT * FROM orders WHERE kind = ? AND panel = ? AND panel_order_id = ?",
            (kind, panel, panel_order_id),
        )
        return None if row is None else OrderRecord.from_row(row)
