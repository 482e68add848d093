"""Who invited whom: one row per person once their referrer is decided (NULL: nobody)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database, Transaction
from storage.money import from_micros
from storage.records import Record


@dataclass(frozen=True, slots=True)
class ReferralFacts(Record):
    decided: bool  # the person's referrer was decided before
    referrer_exists: bool
    referrer_language: str | None
    has_history: bool  # the person has ordered or had money moved already: not new


class ReferralRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def decided(self, user_id: int) -> bool:
        found = await self._db.fetchval("SELECT 1 FROM referrals WHERE user_id = ?", (user_id,))
        return found is not None

    async def decide(self, tx: Transaction, user_id: int, referrer_id: int | None) -> None:
        """Record the person's referrer (or that they have none); a no-op if decided before."""
        await tx.execute(
            """INSERT INTO referrals (user_id, referrer_id) VALUES (?, ?)
               ON CONFLICT (user_id) DO NOTHING""",
            (user_id, referrer_id),
        )

    async def facts(self, tx: Transaction, user_id: int, referrer_id: int) -> ReferralFacts:
        """What deciding a referral needs, in one statement (a crowd of newcomers queues for
        the writer: each statement inside a transaction is a trip to the database's thread)."""
        row = await tx.fetchone(
            """SELECT EXISTS (SELECT 1 FROM referrals WHERE user_id = ?1) AS decided,
                      EXISTS (SELECT 1 FROM users WHERE id = ?2) AS referrer_exists,
                      (SELECT language FROM users WHERE id = ?2) AS referrer_language,
                      EXISTS (SELECT 1 FROM orders WHERE user_id = ?1)
                          OR EXISTS (SELECT 1 FROM ledger WHERE user_id = ?1) AS has_history""",
            (user_id, referrer_id),
        )
        assert row is not None
        return ReferralFacts.from_row(row)

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
