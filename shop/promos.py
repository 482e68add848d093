"""Promo codes: admins create them, people redeem them once each, never beyond their uses.

The checks and the redemption run in one transaction; transactions are serialized by the
writer lock, so many people redeeming at the same moment cannot exceed a code's uses. The
credit goes through the ledger (kind "promo", reference "CODE:user_id"), once per person.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from shop.books import Books
from storage.errors import DuplicateEntry
from storage.promos import PromoCode, PromoRepository

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
MAX_USES = 1_000_000
MAX_DAYS = 3650
DAY_SECONDS = 86_400


def normalize_code(text: str) -> str | None:
    """'summer-10' -> 'SUMMER-10'; None unless 3..32 characters of A-Z, a-z, 0-9, _ and -."""
    text = text.strip()
    return text.upper() if CODE_PATTERN.match(text) else None


def parse_whole(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 9:
        return None
    value = int(text)
    return value if low <= value <= high else None


class PromoProblem(StrEnum):
    BAD_FORMAT = "bad_format"
    UNKNOWN = "unknown"
    OFF = "off"
    EXPIRED = "expired"
    USED_UP = "used_up"
    ALREADY_USED = "already_used"


@dataclass(frozen=True, slots=True)
class Redeemed:
    code: str
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class PromoRefused:
    problem: PromoProblem


RedeemResult = Redeemed | PromoRefused


class Promos:
    def __init__(self, books: Books) -> None:
        self._db = books.db
        self._books = books
        self.codes = PromoRepository(books.db)

    async def create(
        self, code: str, amount: Decimal, uses: int, days: int | None, admin_id: int
    ) -> bool:
        """False if the code exists. `code` must be normalized already."""
        expires_at = None if days is None else int(time.time()) + days * DAY_SECONDS
        return await self.codes.create(code, amount, uses, expires_at, admin_id)

    async def newest(self, limit: int = 50) -> list[PromoCode]:
        return await self.codes.newest(limit)

    async def switch_off(self, code: str) -> bool:
        return await self.codes.switch_off(code)

    async def redeem(self, user_id: int, text: str) -> RedeemResult:
        code = normalize_code(text)
        if code is None:
            return PromoRefused(PromoProblem.BAD_FORMAT)
        try:
            async with self._db.transaction() as tx:
                promo = await self.codes.get_in(tx, code)
                if promo is None:
                    return PromoRefused(PromoProblem.UNKNOWN)
                if not promo.active:
                    return PromoRefused(PromoProblem.OFF)
                if promo.expires_at is not None and time.time() >= promo.expires_at:
                    return PromoRefused(PromoProblem.EXPIRED)
                if await self.codes.redeemed_by(tx, code, user_id):
                    return PromoRefused(PromoProblem.ALREADY_USED)
                if promo.uses >= promo.max_uses:
                    return PromoRefused(PromoProblem.USED_UP)
                await self.codes.add_redemption(tx, code, user_id, promo.amount)
                entry = await self._books.ledger.apply(
                    tx, user_id, promo.amount, "promo", f"{code}:{user_id}", f"promo code {code}"
                )
        except DuplicateEntry:
            return PromoRefused(PromoProblem.ALREADY_USED)
        return Redeemed(code, promo.amount, entry.balance_after)
