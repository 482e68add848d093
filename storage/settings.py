"""Key/value settings the owner changes at run time (e.g. the markup)."""

from __future__ import annotations

from storage.db import Database


class SettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        value: str | None = await self._db.fetchval(
            "SELECT value FROM settings WHERE key = ?", (key,)
        )
        return value

    async def set(self, key: str, value: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """INSERT INTO settings (key, value) VALUES (?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
                (key, value),
            )
