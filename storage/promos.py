"""Promo codes and who redeemed them. Codes are stored upper-case."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database, Transaction
from storage.money import to_micros
from storage.records import Record


@dataclass(frozen=True, slots=True)
class PromoCode(Record):
    code: str
    amount: Decimal
    max_uses: int
    uses: int
    expires_at: int | None
    active: bool
    created_at: int


SELECT = """SELECT p.*, (SELECT COUNT(*) FROM promo_redemptions r WHERE r.code = p.code) AS uses
            FROM promo_codes p"""


class PromoRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        code: str,
        amount: Decimal,
        max_uses: int,
        expires_at: int | None,
        created_by: int,
    ) -> bool:
        """False if the code exists already."""
        async with self._db.transaction() as tx:
            await tx.execute(
                """INSERT INTO promo_codes (code, amount, max_uses, expires_at, created_by)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING""",
                (code, to_micros(amount), max_uses, expires_at, created_by),
            )
            added: int = await tx.fetchval("SELECT changes()")  # execute() gives lastrowid
        return added > 0

    async def get(self, code: str) -> PromoCode | None:
        row = await self._db.fetchone(f"{SELECT} WHERE p.code = ?", (code,))
        return None if row is None else PromoCode.from_row(row)

    async def get_in(self, tx: Transaction, code: str) -> PromoCode | None:
        row = await tx.fetchone(f"{SELECT} WHERE p.code = ?", (code,))
        return None if row is None else PromoCode.from_row(row)

    async def newest(self, limit: int = 50) -> list[PromoCode]:
        rows = await self._db.fetchall(
            f"{SELECT} ORDER BY p.created_at DESC, p.code LIMIT ?", (limit,)
        )
        return [PromoCode.from_row(row) for row in rows]

    async def switch_off(self, code: str) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute("UPDATE promo_codes SET active = 0 WHERE code = ?", (code,))
        return changed > 0

    async def redeemed_by(self, tx: Transaction, code: str, user_id: int) -> bool:
        found = await tx.fetchval(
            "SELECT 1 FROM promo_redemptions WHERE code = ? AND user_id = ?", (code, user_id)
        )
        return found is not None

    async def add_redemption(
        self, tx: Transaction, code: str, user_id: int, amount: Decimal
    ) -> None:
        await tx.execute(
            "INSERT INTO promo_redemptions (code, user_id, amount) VALUES (?, ?, ?)",
            (code, user_id, to_micros(amount)),
        )
