"""People who talked to the bot."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from storage.db import MAX_INTEGER, Database, Transaction
from storage.records import Record


@dataclass(frozen=True, slots=True)
class User(Record):
    id: int
    username: str | None
    full_name: str
    language: str
    balance: Decimal
    banned: bool
    blocked_bot: bool
    created_at: int
    last_seen_at: int


class UserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(
        self, user_id: int, full_name: str, username: str | None, language: str
    ) -> User:
        """Create the user on first contact, else refresh name and last-seen (language is kept:
        the person may have chosen another one)."""
        async with self._db.transaction() as tx:
            return await self.register_in(tx, user_id, full_name, username, language)

    async def register_in(
        self, tx: Transaction, user_id: int, full_name: str, username: str | None, language: str
    ) -> User:
        """`register` inside the caller's transaction."""
        row = await tx.fetchone(
            """INSERT INTO users (id, username, full_name, language, last_seen_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET username = excluded.username,
                   full_name = excluded.full_name, last_seen_at = excluded.last_seen_at,
                   blocked_bot = 0
               RETURNING *""",
            (user_id, username, full_name, language, int(time.time())),
        )
        assert row is not None
        return User.from_row(row)

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else User.from_row(row)

    async def find(self, token: str) -> User | None:
        """A user by Telegram id or @username, as an admin types it."""
        token = token.strip()
        if token.startswith("@"):
            return await self.find_by_username(token)
        if token.isascii() and token.isdigit() and int(token) <= MAX_INTEGER:
            return await self.get(int(token))
        return None

    async def find_by_username(self, username: str) -> User | None:
        row = await self._db.fetchone(
            "SELECT * FROM users WHERE username = ? COLLATE NOCASE", (username.lstrip("@"),)
        )
        return None if row is None else User.from_row(row)

    async def set_banned(self, user_id: int, banned: bool) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE users SET banned = ? WHERE id = ?", (int(banned), user_id)
            )
        return changed > 0

    async def set_blocked_bot(self, user_id: int, blocked: bool) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE users SET blocked_bot = ? WHERE id = ?", (int(blocked), user_id)
            )

    async def set_language(self, user_id: int, language: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    async def languages_in(self, tx: Transaction, user_ids: list[int]) -> dict[int, str]:
        """The languages of some users, read inside a transaction."""
        if not user_ids:
            return {}
        unique = list(set(user_ids))
        marks = ",".join("?" * len(unique))
        rows = await tx.fetchall(f"SELECT id, language FROM users WHERE id IN ({marks})", unique)
        return {row["id"]: row["language"] for row in rows}

    async def language_in(self, tx: Transaction, user_id: int) -> str | None:
        language: str | None = await tx.fetchval(
            "SELECT language FROM users WHERE id = ?", (user_id,)
        )
        return language
