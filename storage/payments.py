"""Top-ups by Crypto Pay, bank transfer and admin-approved transfer (migration 0010): the
requests (`payments`), the incoming bank transfers, and the admins' review messages.

State changes take the state they expect (`WHERE status = ?`) and say whether they happened:
the caller's transaction then knows that it, and nobody before it, made the change.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from storage.db import Database, Transaction
from storage.money import to_micros
from storage.records import Record


class Method(StrEnum):
    CRYPTO = "crypto"
    BANK = "bank"
    MANUAL = "manual"


class PaymentStatus(StrEnum):
    PENDING = "pending"  # waiting for the payer (an open invoice, a code, a proof to send)
    REVIEW = "review"  # manual: the proof is with the admins
    PAID = "paid"  # credited
    EXPIRED = "expired"  # unpaid in time: a crypto invoice, a bank or card request
    REJECTED = "rejected"  # manual: an admin said no
    FAILED = "failed"  # crypto: the invoice could not be created


class TransferStatus(StrEnum):
    CREDITED = "credited"
    UNMATCHED = "unmatched"  # no known code: waiting for an admin
    IGNORED = "ignored"  # an admin decided it is not a top-up


@dataclass(frozen=True, slots=True)
class Payment(Record):
    id: int
    method: Method
    user_id: int
    amount: Decimal
    currency: str
    pay_amount: Decimal
    pay_currency: str
    code: str
    status: PaymentStatus
    provider_id: str | None
    pay_url: str | None
    credited: Decimal
    proof_kind: str | None
    proof: str | None
    decided_by: int | None
    decided_by_name: str | None
    note: str | None
    expires_at: int | None
    created_at: int
    paid_at: int | None
    offer_message_id: int | None  # the message offering to pay it (shop/request_expiry.py)


@dataclass(frozen=True, slots=True)
class BankTransfer(Record):
    id: int
    sepay_id: str
    payment_id: int | None
    user_id: int | None
    amount: Decimal  # VND
    credited: Decimal | None
    content: str
    gateway: str
    status: TransferStatus
    decided_by: int | None
    decided_by_name: str | None
    created_at: int
    held_because: str | None  # why one naming a request waits for an admin


@dataclass(frozen=True, slots=True)
class NewPayment:
    method: Method
    user_id: int
    amount: Decimal
    currency: str
    pay_amount: Decimal
    pay_currency: str
    code: str
    status: PaymentStatus = PaymentStatus.PENDING
    expires_at: int | None = None  # unix time; a bank or card request expires unpaid then


@dataclass(frozen=True, slots=True)
class IncomingTransfer:
    """One SePay webhook's transfer, as the bank reported it."""

    sepay_id: str
    amount: Decimal  # VND
    content: str
    gateway: str
    bank_reference: str


class PaymentRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- payments -----------------------------------------------------------------------------

    async def create(self, new: NewPayment) -> Payment:
        async with self._db.transaction() as tx:
            payment_id = await tx.execute(
                """INSERT INTO payments (method, user_id, amount, currency, pay_amount,
                                         pay_currency, code, status, expires_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    new.method.value,
                    new.user_id,
                    to_micros(new.amount),
                    new.currency,
                    to_micros(new.pay_amount),
                    new.pay_currency,
                    new.code,
                    new.status.value,
                    new.expires_at,
                ),
            )
            payment = await self.get_in(tx, payment_id)
        assert payment is not None
        return payment

    async def code_taken(self, code: str) -> bool:
        found = await self._db.fetchval("SELECT 1 FROM payments WHERE code = ?", (code,))
        return found is not None

    async def get(self, payment_id: int) -> Payment | None:
        row = await self._db.fetchone("SELECT * FROM payments WHERE id = ?", (payment_id,))
        return None if row is None else Payment.from_row(row)

    async def get_in(self, tx: Transaction, payment_id: int) -> Payment | None:
        row = await tx.fetchone("SELECT * FROM payments WHERE id = ?", (payment_id,))
        return None if row is None else Payment.from_row(row)

    async def by_code_in(self, tx: Transaction, method: Method, code: str) -> Payment | None:
        row = await tx.fetchone(
            "SELECT * FROM payments WHERE method = ? AND code = ?", (method.value, code)
        )
        return None if row is None else Payment.from_row(row)

    async def by_provider_id_in(
        self, tx: Transaction, method: Method, provider_id: str
    ) -> Payment | None:
        row = await tx.fetchone(
            "SELECT * FROM payments WHERE method = ? AND provider_id = ?",
            (method.value, provider_id),
        )
        return None if row is None else Payment.from_row(row)

    async def attach_invoice(
        self, payment_id: int, provider_id: str, pay_url: str, expires_at: int
    ) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """UPDATE payments SET provider_id = ?, pay_url = ?, expires_at = ?
                   WHERE id = ? AND provider_id IS NULL""",
                (provider_id, pay_url, expires_at, payment_id),
            )

    async def set_provider_id(self, tx: Transaction, payment_id: int, provider_id: str) -> None:
        await tx.execute(
            "UPDATE payments SET provider_id = ? WHERE id = ? AND provider_id IS NULL",
            (provider_id, payment_id),
        )

    async def move(
        self,
        tx: Transaction,
        payment_id: int,
        expected: Sequence[PaymentStatus],
        status: PaymentStatus,
        **changes: object,
    ) -> bool:
        """Move a payment from one of the `expected` states to `status` (and set `changes`);
        False when it was in none of them (someone else moved it first)."""
        columns = {"status": status.value, **changes}
        if status is PaymentStatus.PAID:
            columns.setdefault("paid_at", int(time.time()))
        assignments = ", ".join(f"{name} = ?" for name in columns)
        marks = ", ".join("?" for _ in expected)
        changed = await tx.execute(
            f"UPDATE payments SET {assignments} WHERE id = ? AND status IN ({marks})",
            (*columns.values(), payment_id, *(s.value for s in expected)),
        )
        return changed == 1

    async def add_credited(self, tx: Transaction, payment_id: int, amount: Decimal) -> None:
        await tx.execute(
            "UPDATE payments SET credited = credited + ? WHERE id = ?",
            (to_micros(amount), payment_id),
        )

    async def open_invoices(self, limit: int) -> list[Payment]:
        """Crypto Pay invoices still open (created, not paid, not expired), oldest first."""
        rows = await self._db.fetchall(
            """SELECT * FROM payments WHERE method = 'crypto' AND status = 'pending'
               AND provider_id IS NOT NULL ORDER BY id LIMIT ?""",
            (limit,),
        )
        return [Payment.from_row(row) for row in rows]

    # ---- bank and card requests that expire (shop/request_expiry.py) ---------------------------

    async def due_to_expire(self, now: int, limit: int) -> list[Payment]:
        """Bank and card requests still waiting for the payer whose time is up, oldest first."""
        rows = await self._db.fetchall(
            """SELECT * FROM payments WHERE status = 'pending' AND expires_at <= ?
                   AND method IN ('bank', 'manual') ORDER BY expires_at LIMIT ?""",
            (now, limit),
        )
        return [Payment.from_row(row) for row in rows]

    async def remember_offer(self, payment_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET offer_message_id = ? WHERE id = ?", (message_id, payment_id)
            )

    async def offers_to_retire(self, limit: int) -> list[Payment]:
        """Expired requests whose offer to pay is still in the person's chat."""
        rows = await self._db.fetchall(
            """SELECT * FROM payments WHERE status = 'expired' AND offer_message_id IS NOT NULL
                   AND method IN ('bank', 'manual') ORDER BY id LIMIT ?""",
            (limit,),
        )
        return [Payment.from_row(row) for row in rows]

    async def forget_offer(self, payment_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE payments SET offer_message_id = NULL WHERE id = ?", (payment_id,)
            )

    async def in_review(self, limit: int) -> list[Payment]:
        rows = await self._db.fetchall(
            "SELECT * FROM payments WHERE status = 'review' ORDER BY id LIMIT ?", (limit,)
        )
        return [Payment.from_row(row) for row in rows]

    async def latest(self, method: Method, limit: int) -> list[Payment]:
        rows = await self._db.fetchall(
            "SELECT * FROM payments WHERE method = ? ORDER BY id DESC LIMIT ?",
            (method.value, limit),
        )
        return [Payment.from_row(row) for row in rows]

    # ---- bank transfers -----------------------------------------------------------------------

    async def transfer_by_sepay_id_in(self, tx: Transaction, sepay_id: str) -> BankTransfer | None:
        row = await tx.fetchone("SELECT * FROM bank_transfers WHERE sepay_id = ?", (sepay_id,))
        return None if row is None else BankTransfer.from_row(row)

    async def recorded_sepay_ids(self, sepay_ids: Sequence[str]) -> set[str]:
        """Which of these SePay transactions are recorded (a read: the transfer's own
        transaction checks again)."""
        found: set[str] = set()
        for start in range(0, len(sepay_ids), 500):
            chunk = sepay_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = await self._db.fetchall(
                f"SELECT sepay_id FROM bank_transfers WHERE sepay_id IN ({marks})", tuple(chunk)
            )
            found.update(row["sepay_id"] for row in rows)
        return found

    async def transfer(self, transfer_id: int) -> BankTransfer | None:
        row = await self._db.fetchone("SELECT * FROM bank_transfers WHERE id = ?", (transfer_id,))
        return None if row is None else BankTransfer.from_row(row)

    async def transfer_by_id_in(self, tx: Transaction, transfer_id: int) -> BankTransfer | None:
        row = await tx.fetchone("SELECT * FROM bank_transfers WHERE id = ?", (transfer_id,))
        return None if row is None else BankTransfer.from_row(row)

    async def add_transfer(
        self,
        tx: Transaction,
        incoming: IncomingTransfer,
        status: TransferStatus,
        payment: Payment | None = None,
        credited: Decimal | None = None,
        held_because: str | None = None,
    ) -> int:
        return await tx.execute(
            """INSERT INTO bank_transfers (sepay_id, payment_id, user_id, amount, credited,
                                           content, gateway, bank_reference, status,
                                           held_because)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                incoming.sepay_id,
                None if payment is None else payment.id,
                None if payment is None else payment.user_id,
                to_micros(incoming.amount),
                None if credited is None else to_micros(credited),
                incoming.content,
                incoming.gateway,
                incoming.bank_reference,
                status.value,
                held_because,
            ),
        )

    async def decide_transfer(
        self,
        tx: Transaction,
        transfer_id: int,
        status: TransferStatus,
        admin_id: int,
        admin_name: str,
        user_id: int | None = None,
        credited: Decimal | None = None,
    ) -> bool:
        """An unmatched transfer, credited to `user_id` or ignored; False if decided before."""
        changed = await tx.execute(
            """UPDATE bank_transfers SET status = ?, decided_by = ?, decided_by_name = ?,
                   decided_at = ?, user_id = COALESCE(?, user_id), credited = ?
               WHERE id = ? AND status = 'unmatched'""",
            (
                status.value,
                admin_id,
                admin_name,
                int(time.time()),
                user_id,
                None if credited is None else to_micros(credited),
                transfer_id,
            ),
        )
        return changed == 1

    async def credited_transfers_in(self, tx: Transaction, payment_id: int) -> list[BankTransfer]:
        """The transfers credited for this request (by its code, or by an admin), oldest first."""
        rows = await tx.fetchall(
            """SELECT * FROM bank_transfers WHERE payment_id = ? AND status = 'credited'
               ORDER BY id""",
            (payment_id,),
        )
        return [BankTransfer.from_row(row) for row in rows]

    async def unmatched_transfers(self, limit: int) -> list[BankTransfer]:
        rows = await self._db.fetchall(
            "SELECT * FROM bank_transfers WHERE status = 'unmatched' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [BankTransfer.from_row(row) for row in rows]

    async def latest_transfers(self, limit: int) -> list[BankTransfer]:
        rows = await self._db.fetchall(
            "SELECT * FROM bank_transfers ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [BankTransfer.from_row(row) for row in rows]

    # ---- what admins still have to hear about -------------------------------------------------

    async def unannounced(self) -> tuple[list[Payment], list[BankTransfer]]:
        """Requests in review and unmatched transfers whose cards were not sent yet."""
        payments = await self._db.fetchall(
            "SELECT * FROM payments WHERE status = 'review' AND announced = 0 ORDER BY id"
        )
        transfers = await self._db.fetchall(
            "SELECT * FROM bank_transfers WHERE status = 'unmatched' AND announced = 0 ORDER BY id"
        )
        return (
            [Payment.from_row(row) for row in payments],
            [BankTransfer.from_row(row) for row in transfers],
        )

    async def mark_announced(self, subject: str) -> None:
        table, _, number = subject.partition(":")
        name = {"payment": "payments", "transfer": "bank_transfers"}[table]
        async with self._db.transaction() as tx:
            await tx.execute(f"UPDATE {name} SET announced = 1 WHERE id = ?", (int(number),))

    async def add_review_message(self, subject: str, chat_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                """INSERT INTO review_messages (subject, chat_id, message_id) VALUES (?, ?, ?)
                   ON CONFLICT DO NOTHING""",
                (subject, chat_id, message_id),
            )

    async def review_messages(self, subject: str) -> list[tuple[int, int]]:
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id FROM review_messages WHERE subject = ?", (subject,)
        )
        return [(row["chat_id"], row["message_id"]) for row in rows]

    # ---- for notifications rendered now -------------------------------------------------------

    async def language_of(self, tx: Transaction, user_id: int) -> str | None:
        language: str | None = await tx.fetchval(
            "SELECT language FROM users WHERE id = ?", (user_id,)
        )
        return language

    async def user_exists(self, tx: Transaction, user_id: int) -> bool:
        return await tx.fetchval("SELECT 1 FROM users WHERE id = ?", (user_id,)) is not None
