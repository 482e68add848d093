"""Admins reverse a top-up (/reverse REF): the rules.

- REF names a top-up as admins see it: a request's reference (`CP...` crypto, `SMM...` bank,
  `PAY...` card; /payments lists them), a bank transfer's number (`#5`, /payments and the
  transfer's card), or a Stars payment's charge id (the ledger's reference, /user, alerts).
- What is debited is exactly what that top-up credited: its ledger credits (kind `topup`,
  `topup_crypto`, `topup_bank`, `topup_manual`; a bank request paid by several transfers has
  one per transfer). Each credit is reversed once: ledger kind `topup_reversed` with reference
  "<credit kind>:<credit reference>", and a `topup_reversals` row saying who did it, in one
  transaction with the person's message; two admins at once reverse once, the second is told
  who did.
- The inviter's share of it is taken back as a Stars refund takes it (shop/payments.py): as much
  as their balance still holds, kind `referral_reversed`; admins are told what could not be.
- Refused, with nothing changed, when the person's balance no longer holds it all (the answer
  says how much is there), when it was reversed already, when REF names nothing credited, and
  for a Stars payment refunded with /refund_stars (which in turn refuses a reversed one).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from shop import payment_texts
from shop.books import Books
from shop.catalog import Catalog
from shop.formatting import format_money, quote
from shop.referrals import ReferralShares
from storage.db import Transaction
from storage.errors import DuplicateEntry, InsufficientFunds
from storage.payments import Method, PaymentRepository, TransferStatus
from storage.reversals import Reversal, ReversalRepository
from storage.topups import TopUpRepository, TopUpStatus

logger = logging.getLogger(__name__)

REVERSED_KIND = "topup_reversed"
CODE = re.compile(r"^(CP|SMM|PAY)[A-Z0-9]{6}$")
TRANSFER = re.compile(r"^#(\d{1,18})$")
CHARGE_ID = re.compile(r"^[\w.:-]{1,256}$", re.ASCII)
METHOD_OF_PREFIX = {"CP": Method.CRYPTO, "SMM": Method.BANK, "PAY": Method.MANUAL}


@dataclass(frozen=True, slots=True)
class Target:
    """A top-up, resolved from what an admin typed; `kind` + `id` fit in a button."""

    kind: str  # stars (a topups row) | payment (crypto, bank, card) | transfer (a bank transfer)
    id: int
    named: str  # how admins see it: SMM8F3K2Q, #5, a charge id


@dataclass(frozen=True, slots=True)
class Credit:
    """One ledger credit of a top-up, and the reference its inviter's share was paid under."""

    user_id: int
    amount: Decimal
    kind: str
    reference: str
    share_reference: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.reference}"


@dataclass(frozen=True, slots=True)
class Plan:
    """What reversing `target` would do now: debit each credit of `credits` (those not reversed
    yet) from its person."""

    target: Target
    what: str  # for admins: "Bank (VietQR) request SMM8F3K2Q"
    credits: tuple[Credit, ...]
    balances: dict[int, Decimal]  # each person's balance now

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.credits), Decimal(0))

    @property
    def user_ids(self) -> list[int]:
        return sorted({c.user_id for c in self.credits})

    def owed(self, user_id: int) -> Decimal:
        """What the credits to reverse took to this person's balance."""
        return sum((c.amount for c in self.credits if c.user_id == user_id), Decimal(0))


@dataclass(frozen=True, slots=True)
class Reversed:
    plan: Plan
    balances: dict[int, Decimal]  # each person's balance after
    referral_taken: Decimal


@dataclass(frozen=True, slots=True)
class ReversalRefused:
    """Nothing was changed; `reason` is for the admin (HTML-safe)."""

    reason: str


Preview = Plan | ReversalRefused
Outcome = Reversed | ReversalRefused


class _Refuse(Exception):
    """A refusal, carried out of the transaction (which then writes nothing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_reference(text: str) -> Target | None:
    """What an admin typed after /reverse, as a target to look up; None when it cannot be one."""
    token = text.strip()
    if not token or len(token.split()) != 1:
        return None
    if CODE.match(token.upper()):
        return Target("payment", 0, token.upper())
    transfer = TRANSFER.match(token)
    if transfer:
        return Target("transfer", int(transfer.group(1)), token)
    if CHARGE_ID.match(token):
        return Target("stars", 0, token)
    return None


class Reversals:
    def __init__(self, books: Books, catalog: Catalog, shares: ReferralShares) -> None:
        self._db = books.db
        self._books = books
        self._catalog = catalog
        self._shares = shares  # the inviters' shares, taken back with the credits
        self._payments = PaymentRepository(books.db)
        self._topups = TopUpRepository(books.db)
        self.records = ReversalRepository(books.db)

    # ---- looking -----------------------------------------------------------------------------

    async def preview(self, named: str) -> Preview:
        """What /reverse REF would do (a read: nothing is written)."""
        target = parse_reference(named)
        if target is None:
            return ReversalRefused("that is no top-up reference")
        currency = await self._catalog.currency()
        try:
            async with self._db.transaction() as tx:
                return await self._plan(tx, await self._resolve(tx, target), currency)
        except _Refuse as refusal:
            return ReversalRefused(refusal.reason)

    async def _resolve(self, tx: Transaction, target: Target) -> Target:
        """A typed reference -> the row it names (`id`); _Refuse when it names nothing."""
        if target.kind == "payment" and not target.id:
            method = METHOD_OF_PREFIX[CODE.match(target.named).group(1)]  # type: ignore[union-attr]
            payment = await self._payments.by_code_in(tx, method, target.named)
            if payment is None:
                raise _Refuse(f"no top-up request has the reference {quote(target.named)}")
            return Target("payment", payment.id, target.named)
        if target.kind == "stars" and not target.id:
            topup = await self._topups.by_charge_in(tx, target.named)
            if topup is None:
                raise _Refuse(
                    f"{quote(target.named[:64])} is no request reference (CP..., SMM..., PAY...), "
                    "bank transfer (#5) or Stars charge id this shop has"
                )
            return Target("stars", topup.id, target.named)
        return target

    async def _plan(self, tx: Transaction, target: Target, currency: str) -> Plan:
        what, credits = await self._credits_of(tx, target)
        if not credits:
            raise _Refuse(f"{what} credited nothing, so there is nothing to reverse")
        open_credits = []
        for credit in credits:
            if await self._books.ledger.entry_in(tx, REVERSED_KIND, credit.key) is None:
                open_credits.append(credit)
        if not open_credits:
            done = await self.records.of_in(tx, credits[0].key)
            by = f" by {quote(done.admin_name)}" if done is not None else ""
            raise _Refuse(f"{what} was reversed already{by}")
        plan = Plan(target, what, tuple(open_credits), {})
        for user_id in plan.user_ids:
            plan.balances[user_id] = await self._topups.balance_of(tx, user_id)
        for user_id in plan.user_ids:
            amount = plan.owed(user_id)
            if plan.balances[user_id] < amount:
                raise _Refuse(
                    f"user {user_id} has only {format_money(plan.balances[user_id], currency)} "
                    f"on their balance, less than the {format_money(amount, currency)} {what} "
                    "credited: it was spent. Nothing was changed"
                )
        return plan

    async def _credits_of(self, tx: Transaction, target: Target) -> tuple[str, list[Credit]]:
        """How admins call the target, and its ledger credits."""
        ledger = self._books.ledger
        keys: list[tuple[str, str, str]] = []  # (kind, reference, share reference)
        if target.kind == "stars":
            topup = await self._topups.get_in(tx, target.id)
            if topup is None or topup.charge_id is None:
                raise _Refuse(f"Stars top-up #{target.id} was never paid")
            what = f"Stars payment {quote(topup.charge_id[:64])} (top-up #{topup.id})"
            if topup.status in (TopUpStatus.REFUNDING, TopUpStatus.REFUNDED):
                raise _Refuse(f"{what} was refunded with /refund_stars already")
            keys.append(("topup", topup.charge_id, topup.charge_id))
        elif target.kind == "payment":
            payment = await self._payments.get_in(tx, target.id)
            if payment is None:
                raise _Refuse(f"no top-up request #{target.id}")
            what = f"{METHOD_NAMES[payment.method]} request {payment.code}"
            if payment.method is Method.CRYPTO and payment.provider_id:
                ref = payment.provider_id
                keys.append(("topup_crypto", ref, f"crypto:{ref}"))
            elif payment.method is Method.MANUAL:
                keys.append(("topup_manual", payment.code, f"manual:{payment.code}"))
            elif payment.method is Method.BANK:
                for paid in await self._payments.credited_transfers_in(tx, payment.id):
                    keys.append(("topup_bank", paid.sepay_id, f"bank:{paid.sepay_id}"))
        else:
            transfer = await self._payments.transfer_by_id_in(tx, target.id)
            if transfer is None:
                raise _Refuse(f"no bank transfer #{target.id}")
            what = f"bank transfer #{transfer.id}"
            if transfer.status is TransferStatus.CREDITED:
                ref = transfer.sepay_id
                keys.append(("topup_bank", ref, f"bank:{ref}"))
        credits = []
        for kind, reference, share_reference in keys:
            entry = await ledger.entry_in(tx, kind, reference)
            if entry is not None:
                credits.append(
                    Credit(entry.user_id, entry.amount, kind, reference, share_reference)
                )
        return what, credits

    # ---- reversing ---------------------------------------------------------------------------

    async def reverse(self, kind: str, target_id: int, admin_id: int, admin_name: str) -> Outcome:
        """Reverse the top-up a preview's button names: checked again and done in one
        transaction, so two admins pressing at once reverse it once."""
        if kind not in ("stars", "payment", "transfer"):
            return ReversalRefused("this button has expired")
        currency = await self._catalog.currency()
        taken_total = Decimal(0)
        try:
            async with self._db.transaction() as tx:
                target = Target(kind, target_id, await self._named(tx, kind, target_id))
                plan = await self._plan(tx, target, currency)
                after: dict[int, Decimal] = {}
                for credit in plan.credits:
                    entry = await self._books.ledger.apply(
                        tx, credit.user_id, -credit.amount, REVERSED_KIND, credit.key,
                        f"reversed by {admin_name[:60]} ({admin_id})",
                    )  # fmt: skip
                    after[credit.user_id] = entry.balance_after
                    taken = await self._take_back_share(tx, credit, plan, currency)
                    taken_total += taken
                    await self.records.add(
                        tx,
                        reference=credit.key,
                        named=target.named,
                        user_id=credit.user_id,
                        amount=credit.amount,
                        referral_taken=taken,
                        admin_id=admin_id,
                        admin_name=admin_name[:100],
                    )
                for user_id in plan.user_ids:
                    amount = plan.owed(user_id)
                    language = await self._books.users.language_in(tx, user_id)
                    await self._books.outbox.add(
                        tx,
                        user_id,
                        payment_texts.topup_reversed(
                            amount, target.named, after[user_id], currency, language
                        ),
                    )
        except _Refuse as refusal:
            return ReversalRefused(refusal.reason)
        except (DuplicateEntry, InsufficientFunds):  # defence in depth: checked in the plan
            return ReversalRefused("it changed meanwhile; nothing was changed, look again")
        logger.info("Top-up %s reversed by admin %s: %s", plan.what, admin_id, plan.amount)
        return Reversed(plan, after, taken_total)

    async def _named(self, tx: Transaction, kind: str, target_id: int) -> str:
        """How admins named the target, read back for a button (which holds only its id)."""
        if kind == "stars":
            topup = await self._topups.get_in(tx, target_id)
            if topup is None or topup.charge_id is None:
                raise _Refuse("this button has expired")
            return topup.charge_id
        if kind == "payment":
            payment = await self._payments.get_in(tx, target_id)
            if payment is None:
                raise _Refuse("this button has expired")
            return payment.code
        return f"#{target_id}"

    async def _take_back_share(
        self, tx: Transaction, credit: Credit, plan: Plan, currency: str
    ) -> Decimal:
        """The inviter's share of this credit, or what is left of it on their balance."""
        return await self._shares.take_back(
            tx, credit.share_reference, f"reversal:{credit.key}",
            f"top-up {plan.target.named[:64]} reversed", currency,
            lambda referrer_id, missing: payment_texts.admin_reversed_share_spent(
                referrer_id, plan.target.named, missing, currency
            ),
        )  # fmt: skip

    async def reversal_of(self, kind: str, reference: str) -> Reversal | None:
        """Whether (and by whom) this ledger credit was reversed."""
        return await self.records.of(f"{kind}:{reference}")


METHOD_NAMES = {Method.CRYPTO: "Crypto Pay", Method.BANK: "Bank (VietQR)", Method.MANUAL: "Card"}
