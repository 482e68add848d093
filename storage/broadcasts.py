"""Broadcasts: one outbox row per recipient; the notifier paces them, once each, across restarts."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    id: int
    status: str
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int
    progress_chat_id: int | None
    progress_message_id: int | None


class BroadcastRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, admin_id: int, text: str) -> int:
        """The broadcast and its rows for every person who has not blocked the bot."""
        async with self._db.transaction() as tx:
            broadcast_id = await tx.execute(
                "INSERT INTO broadcasts (admin_id, text) VALUES (?, ?)", (admin_id, text)
            )
            await tx.execute(
                """INSERT INTO notifications (chat_id, text, broadcast_id)
                   SELECT id, ?, ? FROM users WHERE blocked_bot = 0 AND banned = 0""",
                (text, broadcast_id),
            )
            await tx.execute(
                "UPDATE broadcasts SET total = (SELECT COUNT(*) FROM notifications "
                "WHERE broadcast_id = ?) WHERE id = ?",
                (broadcast_id, broadcast_id),
            )
        return broadcast_id

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ?
                   WHERE id = ?""",
                (chat_id, message_id, broadcast_id),
            )

    async def running(self) -> list[int]:
        rows = await self._db.fetchall("SELECT id FROM broadcasts WHERE status = 'running'")
        return [row["id"] for row in rows]

    async def progress(self, broadcast_id: int) -> BroadcastProgress | None:
        row = await self._db.fetchone(
            """SELECT b.id, b.status, b.total, b.progress_chat_id, b.progress_message_id,
                   SUM(n.sent_at IS NOT NULL) AS sent,
                   SUM(n.dropped = 'blocked the bot') AS blocked,
                   SUM(n.dropped IS NOT NULL AND n.dropped <> 'blocked the bot'
                       AND n.dropped <> 'canceled') AS failed,
                   SUM(n.sent_at IS NULL AND n.dropped IS NULL) AS pending
               FROM broadcasts b LEFT JOIN notifications n ON n.broadcast_id = b.id
               WHERE b.id = ? GROUP BY b.id""",
            (broadcast_id,),
        )
        if row is None:
            return None
        return BroadcastProgress(
            id=row["id"],
            status=row["status"],
            total=row["total"],
            sent=row["sent"] or 0,
            blocked=row["blocked"] or 0,
            failed=row["failed"] or 0,
            pending=row["pending"] or 0,
            progress_chat_id=row["progress_chat_id"],
            progress_message_id=row["progress_message_id"],
        )

    async def finish(self, broadcast_id: int, status: str) -> bool:
        """Mark a running broadcast done or canceled; False if it was not running any more
        (another admin's cancel, or it finished): checked and written in one transaction."""
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                """UPDATE broadcasts SET status = ?,
                       finished_at = CAST(strftime('%s', 'now') AS INTEGER)
                   WHERE id = ? AND status = 'running'""",
                (status, broadcast_id),
            )
            if changed and status == "canceled":
                await tx.execute(
                    """UPDATE notifications SET dropped = 'canceled'
                       WHERE broadcast_id = ? AND sent_at IS NULL AND dropped IS NULL""",
                    (broadcast_id,),
                )
        return bool(changed)
