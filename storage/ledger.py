"""The append-only money ledger: a balance changes only here, with its row, in one transaction.

(kind, reference) is unique: applying the same change twice (a retried refund, a payment delivered
twice) is refused with DuplicateEntry and leaves the balance untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from storage.db import Database, Transaction
from storage.errors import DuplicateEntry, InsufficientFunds, NotFound
from storage.money import from_micros, to_micros
from storage.records import Record


@dataclass(frozen=True, slots=True)
class LedgerEntry(Record):
    id: int
    user_id: int
    amount: Decimal
    balance_after: Decimal
    kind: str
    reference: str
    note: str
    created_at: int


class Ledger:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply(
        self,
        tx: Transaction,
        user_id: int,
        amount: Decimal,
        kind: str,
        reference: str,
        note: str = "",
    ) -> LedgerEntry:
        """Change a balance by `amount` (signed) inside the caller's transaction.

        Raises DuplicateEntry if (kind, reference) was applied before, InsufficientFunds if the
        balance would go below zero, NotFound for an unknown user; the balance is then untouched.
        """
        micros = to_micros(amount)
        if micros == 0:
            raise ValueError("a ledger entry must move money")
        # Three statements (every order and refund pays them inside the writer's lock).
        found = await tx.fetchone(
            """SELECT balance,
                      EXISTS (SELECT 1 FROM ledger WHERE kind = ? AND reference = ?) AS applied
               FROM users WHERE id = ?""",
            (kind, reference, user_id),
        )
        if found is None:
            raise NotFound(f"user {user_id}")
        balance = found["balance"]
        if found["applied"]:
            raise DuplicateEntry(f"{kind}:{reference}")
        new_balance = balance + micros
        if new_balance < 0:
            raise InsufficientFunds(balance, -micros)
        row = await tx.fetchone(
            """INSERT INTO ledger (user_id, amount, balance_after, kind, reference, note)
               VALUES (?, ?, ?, ?, ?, ?) RETURNING *""",
            (user_id, micros, new_balance, kind, reference, note),
        )
        assert row is not None
        await tx.execute("UPDATE users SET balance = ? WHERE id = ?", (new_balance, user_id))
        return LedgerEntry.from_row(row)

    async def entry_in(self, tx: Transaction, kind: str, reference: str) -> LedgerEntry | None:
        """The entry applied as (kind, reference), if any."""
        row = await tx.fetchone(
            "SELECT * FROM ledger WHERE kind = ? AND reference = ?", (kind, reference)
        )
        return None if row is None else LedgerEntry.from_row(row)

    async def change(
        self, user_id: int, amount: Decimal, kind: str, reference: str, note: str = ""
    ) -> LedgerEntry:
        """`apply` in a transaction of its own."""
        async with self._db.transaction() as tx:
            return await self.apply(tx, user_id, amount, kind, reference, note)

    async def balance(self, user_id: int) -> Decimal:
        micros = await self._db.fetchval("SELECT balance FROM users WHERE id = ?", (user_id,))
        return from_micros(micros or 0)

    async def history(self, user_id: int, limit: int = 10) -> list[LedgerEntry]:
        rows = await self._db.fetchall(
            "SELECT * FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?", (user_id, limit)
        )
        return [LedgerEntry.from_row(row) for row in rows]

    async def total(self, user_id: int) -> Decimal:
        """The sum of a user's ledger; always equal to their balance."""
        micros = await self._db.fetchval(
            "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ?", (user_id,)
        )
        return from_micros(micros)
