"""Resellers: people who buy through the API v2 (reseller_api/). Their key is kept only as a
hash; its owner, grant, discount and callback settings are read here (shop/resellers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from storage.db import Database, Transaction
from storage.records import DECIMAL_TEXT, Record
from storage.users import User

NOW = "CAST(strftime('%s', 'now') AS INTEGER)"


@dataclass(frozen=True, slots=True)
class ResellerRecord(Record):
    user_id: int
    granted: bool
    discount: Decimal | None = field(metadata=DECIMAL_TEXT)  # a percent
    key_hash: str | None
    key_hint: str | None
    callback_secret: str | None = field(repr=False)
    callback_url: str | None
    notify: bool
    key_created_at: int | None
    last_used_at: int | None

    @property
    def has_key(self) -> bool:
        return self.key_hash is not None


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Who a key belongs to, as a request is checked: read afresh each time (one read), so a
    ban, a revoked grant or a new key takes effect at once."""

    user: User
    key_hash: str
    granted: bool

    @property
    def user_id(self) -> int:
        return self.user.id


@dataclass(frozen=True, slots=True)
class ResellerSummary(Record):
    """A line of /resellers."""

    user_id: int
    full_name: str
    username: str | None
    granted: bool
    discount: Decimal | None = field(metadata=DECIMAL_TEXT)  # a percent
    key_hint: str | None
    last_used_at: int | None
    spent: Decimal  # this month, what their orders cost them after refunds
    api_orders: int  # this month


@dataclass(frozen=True, slots=True)
class OrderNews(Record):
    """How a reseller wants to hear of their API orders' changes."""

    notify: bool  # in the chat too
    callback_url: str | None


class ResellerRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> ResellerRecord | None:
        row = await self._db.fetchone("SELECT * FROM resellers WHERE user_id = ?", (user_id,))
        return None if row is None else ResellerRecord.from_row(row)

    async def owner_of(self, key_hash: str) -> KeyOwner | None:
        row = await self._db.fetchone(
            """SELECT u.*, r.key_hash, r.granted FROM resellers r
               JOIN users u ON u.id = r.user_id WHERE r.key_hash = ?""",
            (key_hash,),
        )
        if row is None:
            return None
        return KeyOwner(User.from_row(row), row["key_hash"], bool(row["granted"]))

    async def _upsert(self, user_id: int, column_values: dict[str, object]) -> None:
        columns = ", ".join(column_values)
        marks = ", ".join("?" for _ in column_values)
        updates = ", ".join(f"{column} = excluded.{column}" for column in column_values)
        async with self._db.transaction() as tx:
            await tx.execute(
                f"""INSERT INTO resellers (user_id, {columns}) VALUES (?, {marks})
                    ON CONFLICT (user_id) DO UPDATE SET {updates}""",
                (user_id, *column_values.values()),
            )

    async def set_key(self, user_id: int, key_hash: str, hint: str, secret: str) -> None:
        """A new key (and callback secret): the one before stops at once."""
        async with self._db.transaction() as tx:
            await tx.execute(
                f"""INSERT INTO resellers (user_id, key_hash, key_hint, callback_secret,
                        key_created_at, last_used_at) VALUES (?, ?, ?, ?, {NOW}, NULL)
                    ON CONFLICT (user_id) DO UPDATE SET key_hash = excluded.key_hash,
                        key_hint = excluded.key_hint, callback_secret = excluded.callback_secret,
                        key_created_at = excluded.key_created_at, last_used_at = NULL""",
                (user_id, key_hash, hint, secret),
            )

    async def revoke_key(self, user_id: int) -> bool:
        async with self._db.transaction() as tx:
            changed = await tx.execute(
                """UPDATE resellers SET key_hash = NULL, key_hint = NULL, callback_secret = NULL
                   WHERE user_id = ? AND key_hash IS NOT NULL""",
                (user_id,),
            )
        return changed > 0

    async def set_granted(self, user_id: int, granted: bool) -> None:
        await self._upsert(user_id, {"granted": int(granted)})

    async def set_discount(self, user_id: int, percent: Decimal | None) -> None:
        await self._upsert(user_id, {"discount": None if percent is None else str(percent)})

    async def set_callback_url(self, user_id: int, url: str | None) -> None:
        await self._upsert(user_id, {"callback_url": url})

    async def set_notify(self, user_id: int, notify: bool) -> None:
        await self._upsert(user_id, {"notify": int(notify)})

    async def touch(self, user_id: int, moment: int) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE resellers SET last_used_at = ? WHERE user_id = ?", (moment, user_id)
            )

    async def discounts(self) -> dict[int, Decimal]:
        rows = await self._db.fetchall(
            "SELECT user_id, discount FROM resellers WHERE discount IS NOT NULL"
        )
        return {row["user_id"]: Decimal(row["discount"]) for row in rows}

    async def news_in(self, tx: Transaction, user_ids: Sequence[int]) -> dict[int, OrderNews]:
        """How each of these people hears of their API orders (absent: never set anything)."""
        if not user_ids:
            return {}
        marks = ",".join("?" * len(set(user_ids)))
        rows = await tx.fetchall(
            f"""SELECT user_id, notify, callback_url FROM resellers
                WHERE user_id IN ({marks})""",
            list(set(user_ids)),
        )
        return {row["user_id"]: OrderNews.from_row(row) for row in rows}

    async def summaries(self, since: int, limit: int = 50) -> list[ResellerSummary]:
        """Resellers (a key, a grant or a discount), the most recently active first, with what
        they spent since `since` (unix time)."""
        rows = await self._db.fetchall(
            """SELECT r.user_id, u.full_name, u.username, r.granted, r.discount, r.key_hint,
                      r.last_used_at,
                      (SELECT COALESCE(SUM(o.price - o.refunded), 0) FROM orders o
                       WHERE o.user_id = r.user_id AND o.created_at >= :since) AS spent,
                      (SELECT COUNT(*) FROM orders o WHERE o.user_id = r.user_id
                       AND o.created_at >= :since AND o.via_api = 1) AS api_orders
               FROM resellers r JOIN users u ON u.id = r.user_id
               WHERE r.key_hash IS NOT NULL OR r.granted = 1 OR r.discount IS NOT NULL
               ORDER BY COALESCE(r.last_used_at, 0) DESC, r.user_id LIMIT :limit""",
            {"since": since, "limit": limit},
        )
        return [ResellerSummary.from_row(row) for row in rows]
