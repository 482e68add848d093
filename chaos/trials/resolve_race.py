"""Two admins settle the same order at the same moment.

Both commands are pushed before the bot polls, so they arrive in one getUpdates batch and are
handled concurrently. Races, in turn, on an unconfirmed order: `/resolve N PANEL` vs
`/resolve N refund`, `/refund N` vs `/resolve N refund` (a refund by hand waits for /resolve on
an unconfirmed order, so /resolve wins), `/resolve N PANEL` vs `/resolve N PANEL2`; and on a
placed order, `/refund N` vs `/refund N`.
Held: exactly one command applied (the order attached or refunded, never both; money back at
most once), and the other admin got a plain "⚠️ ..." reply naming the order. size = races.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from chaos.core import Context, Shop, TrialResult, reply_matching
from chaos.invariants import REFUND_KINDS
from chaos.seed import PRICE, paid_order, panel_orders
from storage.ledger import LedgerEntry
from storage.orders import OrderRecord
from tests.fake_telegram import BotMessage, Person

RACES = ("attach/refund", "refund/refund", "refund/resolve-refund", "attach/attach")


@dataclass
class Race:
    kind: str
    order_id: int
    panel_ids: tuple[int, int]

    def commands(self) -> tuple[str, str]:
        n, (first, second) = self.order_id, self.panel_ids
        return {
            "attach/refund": (f"/resolve {n} {first}", f"/resolve {n} refund"),
            "refund/refund": (f"/refund {n}", f"/refund {n}"),
            "refund/resolve-refund": (f"/refund {n}", f"/resolve {n} refund"),
            "attach/attach": (f"/resolve {n} {first}", f"/resolve {n} {second}"),
        }[self.kind]


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("resolve_race")
    races = await seed(ctx, shop, size)
    await shop.start()
    for number, race in enumerate(races, 1):
        problems = await run_race(ctx, shop, race)
        result.record(f"race {number} {race.kind} (order #{race.order_id})", problems)
    await shop.finish(result)
    return result


async def seed(ctx: Context, shop: Shop, size: int) -> list[Race]:
    """One customer and one order per race (placed for refund/refund, unconfirmed for the
    others); the panel orders an admin may name."""
    customers = [ctx.person() for _ in range(size)]
    await shop.seed_customers(customers, Decimal(10))
    panel_ids = await panel_orders(ctx.sim, [ctx.link() for _ in range(2 * size)])
    races = []
    async with shop.seeding() as db:
        for index, customer in enumerate(customers):
            kind = RACES[index % len(RACES)]
            pair = (panel_ids[2 * index], panel_ids[2 * index + 1])
            placed_as = pair[0] if kind == "refund/refund" else None
            order_id = await paid_order(db, customer.user_id, ctx.link(), panel_id=placed_as)
            races.append(Race(kind, order_id, pair))
    return races


async def run_race(ctx: Context, shop: Shop, race: Race) -> list[str]:
    admins = list(ctx.admins)
    ctx.rng.shuffle(admins)  # who sends which command, and whose update comes first
    commands = race.commands()
    for admin, command in zip(admins, commands, strict=True):
        await admin.send(command)  # no await inside: both land before the bot's next poll
    replies = [await reply_to(admin, race.order_id) for admin in admins]
    order = await (await shop.orders()).get(race.order_id)
    assert order is not None
    refunds = await refund_rows(shop, race.order_id)
    problems = reply_problems(commands, replies)
    problems += outcome_problems(race, order, refunds, replies)
    return problems


async def reply_to(admin: Person, order_id: int) -> BotMessage:
    names_it = re.compile(rf"#{order_id}(?!\d)")
    return await reply_matching(admin, lambda m: bool(names_it.search(m.content)), "a reply")


async def refund_rows(shop: Shop, order_id: int) -> list[LedgerEntry]:
    db = await shop.observer()
    marks = ",".join("?" * len(REFUND_KINDS))
    rows = await db.fetchall(
        f"SELECT * FROM ledger WHERE reference = ? AND kind IN ({marks})",
        (str(order_id), *REFUND_KINDS),
    )
    return [LedgerEntry.from_row(row) for row in rows]


def reply_problems(commands: tuple[str, str], replies: list[BotMessage]) -> list[str]:
    """One admin is told it worked; the other is told plainly why it did not."""
    won = [reply for reply in replies if reply.content.startswith("✅")]
    lost = [reply for reply in replies if reply.content.startswith("⚠️")]
    said = " | ".join(
        f"{c!r} -> {r.content[:90]!r}" for c, r in zip(commands, replies, strict=True)
    )
    if len(won) == 1 and len(lost) == 1:
        return []
    return [f"both admins were told it worked: {said}" if len(won) == 2 else f"replies: {said}"]


def outcome_problems(
    race: Race, order: OrderRecord, refunds: list[LedgerEntry], replies: list[BotMessage]
) -> list[str]:
    refunded = sum((entry.amount for entry in refunds), Decimal(0))
    state = (
        f"stage {order.stage.value}, panel order {order.panel_order_id}, "
        f"refund rows {[f'{e.kind} {e.amount}' for e in refunds]}"
    )
    problems = []
    if len(refunds) > 1 or refunded > PRICE:
        problems.append(f"money given back more than once: {state}")
    attached = order.panel_order_id is not None
    if race.kind == "attach/refund" and attached == (refunded > 0):
        problems.append(f"attached and refunded must be one or the other: {state}")
    if race.kind in ("refund/refund", "refund/resolve-refund") and refunded != PRICE:
        problems.append(f"not refunded exactly once: {state}")
    if race.kind == "attach/attach":
        told = [r.content for r in replies if r.content.startswith("✅")]
        if len(told) == 1 and str(order.panel_order_id) not in told[0]:
            problems.append(f"the admin told 'done' named another panel order: {state}")
    return problems
