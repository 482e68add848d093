"""Top-ups paid in Telegram Stars: a row per invoice, written before the invoice is sent."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from storage.db import Database, Transaction
from storage.money import from_micros, to_micros
from storage.records import Record


class TopUpStatus(StrEnum):
    PENDING = "pending"  # invoice sent, not paid
    PAID = "paid"  # credited to the balance
    REFUNDING = "refunding"  # balance debited, Telegram's refund not confirmed yet
    REFUNDED = "refunded"  # the Stars went back to the person


@dataclass(frozen=True, slots=True)
class TopUp(Record):
    id: int
    user_id: int
    amount: Decimal
    stars: int
    status: TopUpStatus
    charge_id: str | None
    refund_attempts: int
    created_at: int
    paid_at: int | None


class TopUpRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, user_id: int, amount: Decimal, stars: int) -> TopUp:
        async with self._db.transaction() as tx:
            topup_id = await tx.execute(
                "INSERT INTO topups (user_id, amount, stars) VALUES (?, ?, ?)",
                (user_id, to_micros(amount), stars),
            )
            topup = await self.get_in(tx, topup_id)
        assert topup is not None
        return topup

    async def get(self, topup_id: int) -> TopUp | None:
        row = await self._db.fetchone("SELECT * FROM topups WHERE id = ?", (topup_id,))
        return None if row is None else TopUp.from_row(row)

    async def get_in(self, tx: Transaction, topup_id: int) -> TopUp | None:
        row = await tx.fetchone("SELECT * FROM topups WHERE id = ?", (topup_id,))
        return None if row is None else TopUp.from_row(row)

    async def by_charge_in(self, tx: Transaction, charge_id: str) -> TopUp | None:
        row = await tx.fetchone("SELECT * FROM topups WHERE charge_id = ?", (charge_id,))
        return None if row is None else TopUp.from_row(row)

    async def mark_paid(self, tx: Transaction, topup_id: int, charge_id: str) -> None:
        await tx.execute(
            "UPDATE topups SET status = 'paid', charge_id = ?, paid_at = ? WHERE id = ?",
            (charge_id, int(time.time()), topup_id),
        )

    async def add_paid(
        self, tx: Transaction, user_id: int, amount: Decimal, stars: int, charge_id: str
    ) -> int:
        """A second payment of an already paid invoice: recorded (and credited) on its own."""
        return await tx.execute(
            """INSERT INTO topups (user_id, amount, stars, status, charge_id, paid_at)
               VALUES (?, ?, ?, 'paid', ?, ?)""",
            (user_id, to_micros(amount), stars, charge_id, int(time.time())),
        )

    async def start_refund(self, tx: Transaction, topup_id: int) -> int:
        """Mark the refund begun; returns the attempt's number (1 for the first)."""
        await tx.execute(
            """UPDATE topups SET status = 'refunding', refund_attempts = refund_attempts + 1
               WHERE id = ?""",
            (topup_id,),
        )
        attempts: int = await tx.fetchval(
            "SELECT refund_attempts FROM topups WHERE id = ?", (topup_id,)
        )
        return attempts

    async def set_status(self, tx: Transaction, topup_id: int, status: TopUpStatus) -> None:
        refunded_at = int(time.time()) if status is TopUpStatus.REFUNDED else None
        await tx.execute(
            "UPDATE topups SET status = ?, refunded_at = ? WHERE id = ?",
            (status.value, refunded_at, topup_id),
        )

    async def balance_of(self, tx: Transaction, user_id: int) -> Decimal:
        micros = await tx.fetchval("SELECT balance FROM users WHERE id = ?", (user_id,))
        return from_micros(micros or 0)

    async def language_of(self, tx: Transaction, user_id: int) -> str | None:
        """The person's language, for a notification rendered now."""
        language: str | None = await tx.fetchval(
            "SELECT language FROM users WHERE id = ?", (user_id,)
        )
        return language
