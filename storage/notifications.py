"""The outbox: messages to people and admins, written in the same transaction as their cause.

It carries resellers' status callbacks too (channel `callback`): the JSON body is the row's
text, delivered by bot/callback_sender.py; the notifier (bot/notifier.py) sends the rest."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from storage.db import Database, Transaction
from storage.records import Record


@dataclass(frozen=True, slots=True)
class Notification(Record):
    id: int
    chat_id: int
    text: str
    attempts: int
    broadcast_id: int | None = None


class NotificationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.added = asyncio.Event()  # set after a transaction that added rows commits
        self.callback_added = asyncio.Event()  # the same, for callbacks

    async def add(self, tx: Transaction, chat_id: int, text: str) -> int:
        notification_id = await tx.execute(
            "INSERT INTO notifications (chat_id, text) VALUES (?, ?)", (chat_id, text)
        )
        tx.after_commit.append(self.added.set)
        return notification_id

    async def add_callback(self, tx: Transaction, user_id: int, body: str) -> int:
        """A status callback for the reseller `user_id` (their URL and secret at delivery)."""
        notification_id = await tx.execute(
            "INSERT INTO notifications (chat_id, text, channel) VALUES (?, ?, 'callback')",
            (user_id, body),
        )
        tx.after_commit.append(self.callback_added.set)
        return notification_id

    async def due_callbacks(self, limit: int = 100) -> list[Notification]:
        """Each reseller's oldest waiting callback, when it is due: one receiver's callbacks
        go in the order they were written, and one that is down waits out its backoff alone."""
        rows = await self._db.fetchall(
            """SELECT id, chat_id, text, attempts, broadcast_id FROM notifications
               WHERE id IN (SELECT MIN(id) FROM notifications
                            WHERE sent_at IS NULL AND dropped IS NULL AND channel = 'callback'
                            GROUP BY chat_id)
                 AND not_before <= ? ORDER BY id LIMIT ?""",
            (time.time(), limit),
        )
        return [Notification.from_row(row) for row in rows]

    async def next_callback_due(self) -> float | None:
        """When the earliest waiting callback comes due (unix time), None when none waits."""
        due: float | None = await self._db.fetchval(
            """SELECT MIN(not_before) FROM notifications
               WHERE sent_at IS NULL AND dropped IS NULL AND channel = 'callback'"""
        )
        return due

    async def drop_callbacks(self, user_id: int, reason: str) -> int:
        """A reseller's waiting callbacks, given up (their key or URL is gone)."""
        return await self._drop_waiting(user_id, "callback", reason)

    async def enqueue(self, chat_id: int, text: str) -> int:
        async with self._db.transaction() as tx:
            return await self.add(tx, chat_id, text)

    async def due(self, limit: int = 100) -> list[Notification]:
        """What to send now: personal messages first, broadcasts fill the rest of the round."""
        now = time.time()
        # The oldest waiting message of each chat only: a chat with a long queue (sent at one
        # a second) must not hold back everyone else's, and a chat's order is kept.
        rows = await self._db.fetchall(
            """SELECT id, chat_id, text, attempts, broadcast_id FROM notifications
               WHERE id IN (SELECT MIN(id) FROM notifications
                            WHERE sent_at IS NULL AND dropped IS NULL AND broadcast_id IS NULL
                              AND channel = 'telegram'
                            GROUP BY chat_id)
                 AND not_before <= ? ORDER BY id LIMIT ?""",
            (now, limit),
        )
        if len(rows) < limit:
            rows += await self._db.fetchall(
                """SELECT id, chat_id, text, attempts, broadcast_id FROM notifications
                   WHERE sent_at IS NULL AND dropped IS NULL AND broadcast_id IS NOT NULL
                     AND not_before <= ? ORDER BY id LIMIT ?""",
                (now, limit - len(rows)),
            )
        return [Notification.from_row(row) for row in rows]

    async def is_pending(self, notification_id: int) -> bool:
        """Still to send (not sent, not dropped, e.g. by a broadcast's cancel)."""
        found = await self._db.fetchval(
            "SELECT 1 FROM notifications WHERE id = ? AND sent_at IS NULL AND dropped IS NULL",
            (notification_id,),
        )
        return found is not None

    async def pending_count(self) -> int:
        count: int = await self._db.fetchval(
            """SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL AND dropped IS NULL
               AND channel = 'telegram'"""
        )
        return count

    async def backlog(self) -> tuple[int, int | None]:
        """Messages waiting, and when the oldest personal one that is due was written (None if
        none is): a broadcast may wait its turn, a personal message should not wait long."""
        row = await self._db.fetchone(
            """SELECT COUNT(*) AS waiting,
                      MIN(CASE WHEN broadcast_id IS NULL AND not_before <= ? THEN created_at END)
                          AS oldest_personal
               FROM notifications WHERE sent_at IS NULL AND dropped IS NULL
                 AND channel = 'telegram'""",
            (time.time(),),
        )
        assert row is not None
        return row["waiting"], row["oldest_personal"]

    async def mark_sent(self, notification_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE notifications SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                (int(time.time()), notification_id),
            )

    async def postpone(self, notification_id: int, seconds: float) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """UPDATE notifications SET attempts = attempts + 1, not_before = ?
                   WHERE id = ?""",
                (time.time() + seconds, notification_id),
            )

    async def drop(self, notification_id: int, reason: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE notifications SET dropped = ? WHERE id = ?", (reason, notification_id)
            )

    async def drop_for_chat(self, chat_id: int, reason: str) -> int:
        return await self._drop_waiting(chat_id, "telegram", reason)

    async def _drop_waiting(self, chat_id: int, channel: str, reason: str) -> int:
        """Give up what still waits for this chat (or reseller) on this channel."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                """UPDATE notifications SET dropped = ?
                   WHERE chat_id = ? AND sent_at IS NULL AND dropped IS NULL AND channel = ?""",
                (reason, chat_id, channel),
            )
