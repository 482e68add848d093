"""Referrals: who invited whom, decided once, at the person's first /start.

The rule: a person's referrer is decided by the first /start the bot sees from them (the
`referrals` table keeps one row per decided person, with or without a referrer). They are tied
to the referrer only when that first /start carries `ref_<code>` naming another person who has
used the bot, and they have no orders and no balance movements yet. Any later /start changes
nothing; people who used the bot before referrals existed count as decided (no referrer). The
referrer earns REFERRAL_PERCENT of each top-up of their people, whatever the method
(`ReferralShares`, called in the transaction that credits the top-up).

The code is the person's Telegram id in base 36: short, stable, nothing to store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from shop import payment_texts
from shop.books import Books
from storage.db import MAX_INTEGER, Transaction
from storage.money import MICRO
from storage.referrals import ReferralRepository
from storage.topups import TopUpRepository
from storage.users import User

REF_PREFIX = "ref_"
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_CODE_LENGTH = 13  # base 36 of 2**63
HUNDRED = Decimal(100)
SHARE_TAKEN_BACK = "referral_reversed"  # the ledger kind of a share taken back


def referral_share(amount: Decimal, percent: Decimal) -> Decimal:
    """The referrer's share, rounded down to the micro-unit (never more than the percent)."""
    return (amount * percent / HUNDRED).quantize(MICRO, rounding=ROUND_FLOOR)


def referral_code(user_id: int) -> str:
    if user_id <= 0:
        raise ValueError("referral codes exist for positive user ids only")
    digits = []
    while user_id:
        user_id, rest = divmod(user_id, 36)
        digits.append(DIGITS[rest])
    return "".join(reversed(digits))


def referral_payload(user_id: int) -> str:
    """What follows /start in the person's link: ref_<code>."""
    return REF_PREFIX + referral_code(user_id)


def is_referral(args: str | None) -> bool:
    """Whether /start carries a referral (ref_...), valid or not."""
    return (args or "").strip().lower().startswith(REF_PREFIX)


def referrer_in(args: str | None) -> int | None:
    """The referrer's id in /start args `ref_<code>`; None if the code is not a valid one."""
    text = (args or "").strip()
    if not is_referral(text):
        return None
    code = text[len(REF_PREFIX) :].lower()
    if not code or len(code) > MAX_CODE_LENGTH or any(c not in DIGITS for c in code):
        return None
    user_id = int(code, 36)
    return user_id if user_id <= MAX_INTEGER else None  # above it no user can exist


class ReferralOutcome(StrEnum):
    TIED = "tied"  # the person is now referred by the link's owner
    NOT_NEW = "not_new"  # the link came after the person's first /start, or after activity
    SELF = "self"  # their own link
    UNKNOWN = "unknown"  # the code names nobody who used the bot


@dataclass(frozen=True, slots=True)
class FirstStart:
    """A new person's first /start, registered together with its referral decision."""

    person: User
    outcome: ReferralOutcome | None


@dataclass(frozen=True, slots=True)
class ReferralStats:
    payload: str
    referred: int
    earned: Decimal
    percent: Decimal


class Referrals:
    def __init__(self, books: Books, percent: Decimal) -> None:
        self._db = books.db
        self._books = books
        self.percent = percent
        self._repo = ReferralRepository(books.db)

    async def on_start(self, user_id: int, args: str | None) -> ReferralOutcome | None:
        """Decide the person's referrer if this is their first /start. None: no referral asked."""
        if await self._repo.decided(user_id):  # the usual case, without the writer lock
            return ReferralOutcome.NOT_NEW if is_referral(args) else None
        async with self._db.transaction() as tx:
            return await self._decide(tx, user_id, args)

    async def first_start(
        self, user_id: int, full_name: str, username: str | None, language: str, args: str | None
    ) -> FirstStart:
        """A new person's first /start: registered and their referrer decided in one
        transaction. (Two, one after the other, made a crowd of newcomers queue twice for the
        writer: bench/spike.py.)"""
        async with self._db.transaction() as tx:
            person = await self._books.users.register_in(tx, user_id, full_name, username, language)
            return FirstStart(person, await self._decide(tx, user_id, args))

    async def _decide(
        self, tx: Transaction, user_id: int, args: str | None
    ) -> ReferralOutcome | None:
        if not is_referral(args):  # nothing to check: one statement (a no-op if decided)
            await self._repo.decide(tx, user_id, None)
            return None
        referrer = referrer_in(args)
        facts = await self._repo.facts(tx, user_id, referrer or 0)
        if facts.decided:
            return ReferralOutcome.NOT_NEW
        outcome: ReferralOutcome
        if referrer is None:
            outcome = ReferralOutcome.UNKNOWN
        elif referrer == user_id:
            outcome = ReferralOutcome.SELF
        elif not facts.referrer_exists:
            outcome = ReferralOutcome.UNKNOWN
        elif facts.has_history:
            outcome = ReferralOutcome.NOT_NEW
        else:
            outcome = ReferralOutcome.TIED
        tied = referrer if outcome is ReferralOutcome.TIED else None
        await self._repo.decide(tx, user_id, tied)
        if tied is not None:
            joined = payment_texts.referral_joined(facts.referrer_language)
            await self._books.outbox.add(tx, tied, joined)
        return outcome

    async def stats(self, user_id: int) -> ReferralStats:
        return ReferralStats(
            payload=referral_payload(user_id),
            referred=await self._repo.count_referred(user_id),
            earned=await self._repo.earned(user_id),
            percent=self.percent,
        )


class ReferralShares:
    """The inviter's share of a top-up: ledger kind "referral" with the top-up's own reference,
    written in the transaction that credits the top-up (so it is paid exactly as often); taken
    back (kind "referral_reversed") in the transaction that refunds or reverses the top-up."""

    def __init__(self, books: Books, percent: Decimal) -> None:
        self._books = books
        self.percent = percent
        self._repo = ReferralRepository(books.db)
        self._topups = TopUpRepository(books.db)

    async def pay(
        self, tx: Transaction, user_id: int, amount: Decimal, reference: str, currency: str
    ) -> tuple[int | None, Decimal]:
        """-> (the referrer, or None; the share paid)."""
        referrer_id = await self._repo.referrer_of(tx, user_id)
        if referrer_id is None or referrer_id == user_id:
            return None, Decimal(0)
        share = referral_share(amount, self.percent)
        if share <= 0:
            return referrer_id, Decimal(0)
        entry = await self._books.ledger.apply(
            tx, referrer_id, share, "referral", reference, f"top-up of user {user_id}"
        )
        language = await self._books.users.language_in(tx, referrer_id)
        await self._books.outbox.add(
            tx,
            referrer_id,
            payment_texts.referral_earned(share, entry.balance_after, currency, language),
        )
        return referrer_id, share

    async def take_back(
        self,
        tx: Transaction,
        paid_as: str,
        reference: str,
        memo: str,
        currency: str,
        spent_alert: Callable[[int, Decimal], str],
    ) -> Decimal:
        """The share paid for the top-up `paid_as` names (its reference), or what is left of it
        on the inviter's balance, taken back as `reference`; the inviter is told, the admins of
        the part already spent (`spent_alert(inviter, missing)`). -> what was taken back."""
        ledger = self._books.ledger
        share = await ledger.entry_in(tx, "referral", paid_as)
        if share is None:
            return Decimal(0)
        referrer_id = share.user_id
        balance = await self._topups.balance_of(tx, referrer_id)
        taken = min(share.amount, balance)
        if taken > 0:
            entry = await ledger.apply(tx, referrer_id, -taken, SHARE_TAKEN_BACK, reference, memo)
            language = await self._books.users.language_in(tx, referrer_id)
            await self._books.outbox.add(
                tx,
                referrer_id,
                payment_texts.referral_reversed(taken, entry.balance_after, currency, language),
            )
        if taken < share.amount:
            await self._books.alerts.always(tx, spent_alert(referrer_id, share.amount - taken))
        return taken
