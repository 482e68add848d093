"""Who invited whom: one row per person once their referrer is decided (NULL: nobody)."""

from __future__ import annotations

from decimal import Decimal

from storage.db import Database, Transaction
from storage.money import from_micros


class ReferralRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def decided(self, user_id: int) -> bool:
        found = await self._db.fetchval("SELECT 1 FROM referrals WHERE user_id = ?", (user_id,))
        return found is not None

    async def is_decided(self, tx: Transaction, user_id: int) -> bool:
        found = await tx.fetchval("SELECT 1 FROM referrals WHERE user_id = ?", (user_id,))
        return found is not None

    async def decide(self, tx: Transaction, user_id: int, referrer_id: int | None) -> bool:
        """Record the person's referrer (or that they have none); False if decided before."""
        await tx.execute(
            """INSERT INTO referrals (user_id, referrer_id) VALUES (?, ?)
               ON CONFLICT (user_id) DO NOTHING""",
            (user_id, referrer_id),
        )
        added: int = await tx.fetchval("SELECT changes()")  # execute() gives lastrowid
        return added > 0

    async def has_history(self, tx: Transaction, user_id: int) -> bool:
        """The person has ordered or had money moved already: they are not new."""
        found = await tx.fetchval(
            """SELECT EXISTS (SELECT 1 FROM orders WHERE user_id = ?)
                   OR EXISTS (SELECT 1 FROM ledger WHERE user_id = ?)""",
            (user_id, user_id),
        )
        return bool(found)

    async def user_exists(self, tx: Transaction, user_id: int) -> bool:
        found = await tx.fetchval("SELECT 1 FROM users WHERE id = ?", (user_id,))
        return found is not None

    async def language_of(self, tx: Transaction, user_id: int) -> str | None:
        language: str | None = await tx.fetchval(
            "SELECT language FROM users WHERE id = ?", (user_id,)
        )
        return language

    async def referrer_of(self, tx: Transaction, user_id: int) -> int | None:
        referrer: int | None = await tx.fetchval(
            "SELECT referrer_id FROM referrals WHERE user_id = ?", (user_id,)
        )
        return referrer

    async def count_referred(self, referrer_id: int) -> int:
        count: int = await self._db.fetchval(
            "SELECT COUNT(*) FROM referrals WHERE referrer_id = ?", (referrer_id,)
        )
        return count

    async def earned(self, referrer_id: int) -> Decimal:
        """Shares earned, less those taken back when their top-up was refunded."""
        micros = await self._db.fetchval(
            """SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?
               AND kind IN ('referral', 'referral_reversed', 'referral_restored')""",
            (referrer_id,),
        )
        return from_micros(micros)
