"""Top-up credits admins reversed with /reverse (migration 0016): one row per credit, with who
did it, written in the transaction of the ledger's debit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database, Transaction
from storage.money import to_micros
from storage.records import Record


@dataclass(frozen=True, slots=True)
class Reversal(Record):
    id: int
    reference: str  # the credit reversed: "<ledger kind>:<ledger reference>"
    named: str  # what the admin named (PAY8F3K2Q, #5, a Stars charge id)
    user_id: int
    amount: Decimal
    referral_taken: Decimal
    admin_id: int
    admin_name: str
    created_at: int


class ReversalRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        tx: Transaction,
        *,
        reference: str,
        named: str,
        user_id: int,
        amount: Decimal,
        referral_taken: Decimal,
        admin_id: int,
        admin_name: str,
    ) -> int:
        """sqlite3.IntegrityError when this credit was reversed before (the caller's ledger
        debit has refused it first, with DuplicateEntry)."""
        return await tx.execute(
            """INSERT INTO topup_reversals (reference, named, user_id, amount, referral_taken,
                                            admin_id, admin_name)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                reference,
                named,
                user_id,
                to_micros(amount),
                to_micros(referral_taken),
                admin_id,
                admin_name,
            ),
        )

    async def of_in(self, tx: Transaction, reference: str) -> Reversal | None:
        row = await tx.fetchone("SELECT * FROM topup_reversals WHERE reference = ?", (reference,))
        return None if row is None else Reversal.from_row(row)

    async def of(self, reference: str) -> Reversal | None:
        row = await self._db.fetchone(
            "SELECT * FROM topup_reversals WHERE reference = ?", (reference,)
        )
        return None if row is None else Reversal.from_row(row)

    async def latest(self, limit: int) -> list[Reversal]:
        rows = await self._db.fetchall(
            "SELECT * FROM topup_reversals ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [Reversal.from_row(row) for row in rows]
