"""kill -9 in the middle of a burst of orders, then a restart.

Each round: BURST customers reach their confirm card and press Confirm at the same moment; the
bot is killed at a random point of the burst (before it fetched the presses, when the k-th
order reached the panel, after k results, or after a random delay) while the panel answers
slowly; it is restarted, and whoever got no result presses Confirm again (as a person would).
Then the panel's orders, the database's orders and the ledger's charges are compared:
no order on the panel without its database row, no order sent to the panel twice, no charge
without an order, at most one order per customer, and orders left `submitting` by the kill
are `unconfirmed` after the restart and never sent again. size = rounds (each a kill).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from chaos.core import Context, Shop, TrialError, TrialResult, order_number, until
from chaos.people import confirm_card, confirm_data, order_result, press_confirm
from chaos.seed import PRICE
from storage.orders import OrderRecord, Stage
from tests.fake_telegram import BotMessage, Person

BURST = 8
KILL_POINTS = ("before the presses are fetched", "k-th order at the panel", "k results", "delay")
SETTLE_SECONDS = 30.0


@dataclass
class Round:
    customers: list[Person]
    links: dict[int, str]  # user id -> the link of their order
    cards: dict[int, BotMessage] = field(default_factory=dict)
    adds_before: int = 0  # the panel's `add` requests before the round
    submitting: set[int] = field(default_factory=set)  # orders left `submitting` by the kill
    added_at_kill: int = 0  # orders the panel had created when the killed bot's last add landed


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("kill9_burst")
    rounds = [new_round(ctx) for _ in range(size)]
    await shop.seed_customers([c for r in rounds for c in r.customers], PRICE * 2)
    await shop.start()
    links: dict[int, str] = {}
    for number, burst in enumerate(rounds, 1):
        links |= burst.links
        try:
            point = await run_round(ctx, shop, burst)
            problems = await round_problems(ctx, shop, burst)
        except TrialError as error:
            point, problems = "?", [str(error)]
        result.record(f"round {number} (killed {point})", problems)
        result.notes.append(f"round {number}: killed {point}; {await tally(shop, burst)}")
    await shop.finish(result, await panel_vs_database(ctx, shop, links))
    return result


def new_round(ctx: Context) -> Round:
    customers = [ctx.person() for _ in range(BURST)]
    return Round(customers, {c.user_id: ctx.link() for c in customers})


async def run_round(ctx: Context, shop: Shop, burst: Round) -> str:
    cards = await asyncio.gather(
        *(confirm_card(c, burst.links[c.user_id]) for c in burst.customers)
    )
    burst.cards = {c.user_id: card for c, card in zip(burst.customers, cards, strict=True)}
    # Mostly people read their card for a while (the drafts reach the database, which the bot
    # writes at most a second late); sometimes they press at once and the kill takes the drafts.
    drafts_saved = ctx.rng.random() < 0.75
    if drafts_saved:
        await until(lambda: drafts_written(shop, burst), 15.0, "the drafts saved")
    burst.adds_before = ctx.sim.request_counts["add"]
    ctx.sim.latency_seconds = ctx.rng.uniform(0.05, 0.4)  # placements overlap the kill
    point, k = ctx.rng.choice(KILL_POINTS), ctx.rng.randint(1, BURST)
    for customer in burst.customers:
        await press_confirm(customer, burst.cards[customer.user_id])
    await kill_at(ctx, burst, point, k)
    await shop.kill()
    ctx.sim.latency_seconds = 0.0
    # The killed bot's requests still on their way land first: whatever the panel creates
    # after this comes from the restarted bot.
    await until(lambda: adds_landed(ctx, burst), 10.0, "every add request creating its order")
    burst.added_at_kill = len(ctx.sim.added)
    orders = await shop.orders()
    burst.submitting = {o.id for o in await orders.in_stage(Stage.SUBMITTING, limit=1000)}
    await shop.start()
    await press_again(burst)
    await until(lambda: no_submitting(shop), SETTLE_SECONDS, "orders placed after the restart")
    if point not in ("before the presses are fetched", "delay"):
        point = f"{point}, k={k}"
    return point + ("" if drafts_saved else ", drafts not yet saved")


async def drafts_written(shop: Shop, burst: Round) -> bool:
    db = await shop.observer()
    keys = [confirm_data(card).rsplit(":", 1)[-1] for card in burst.cards.values()]
    for key in keys:
        if not await db.fetchval("SELECT 1 FROM conversations WHERE instr(data, ?)", (key,)):
            return False
    return True


async def kill_at(ctx: Context, burst: Round, point: str, k: int) -> None:
    if point == "k-th order at the panel":

        async def reached() -> bool:
            return ctx.sim.request_counts["add"] - burst.adds_before >= k

        await until(reached, 15.0, f"{k} orders at the panel", step=0.005)
    elif point == "k results":

        def shown() -> int | None:
            done = sum(any(order_number(m) for m in c.messages) for c in burst.customers)
            return done if done >= k else None

        await ctx.fake.wait_for(shown, 15.0, what=f"{k} order results")
    elif point == "delay":
        await asyncio.sleep(ctx.rng.uniform(0.0, 1.0))  # the random moment is the point


async def adds_landed(ctx: Context, burst: Round) -> bool:
    """Every add request of the round has created its order (none refused, none in flight)."""
    links = set(burst.links.values())
    created = sum(1 for order in ctx.sim.orders.values() if order.link in links)
    return ctx.sim.request_counts["add"] - burst.adds_before == created


async def press_again(burst: Round) -> None:
    """Whoever saw no result presses Confirm again: a second order must not come of it."""
    waiting = [c for c in burst.customers if not any(order_number(m) for m in c.messages)]
    queries = [(c, await press_confirm(c, burst.cards[c.user_id])) for c in waiting]
    for customer, query in queries:
        try:
            answer = await customer.wait_answer(query, 15.0)
        except AssertionError:
            raise TrialError(f"{customer.user_id}'s press after the restart: no answer") from None
        if str(answer.get("text", "")).startswith("Placing"):
            await order_result(customer)


async def tally(shop: Shop, burst: Round) -> str:
    """What became of the round's orders, for the report."""
    orders = await shop.orders()
    stages: Counter[str] = Counter()
    for customer in burst.customers:
        mine = await orders.for_user(customer.user_id, limit=1)
        stages[mine[0].stage.value if mine else "no order"] += 1
    shown = ", ".join(f"{n} {stage}" for stage, n in sorted(stages.items()))
    return f"{len(burst.submitting)} left submitting by the kill; now {shown}"


async def no_submitting(shop: Shop) -> bool:
    return not await (await shop.orders()).in_stage(Stage.SUBMITTING, limit=1)


async def round_problems(ctx: Context, shop: Shop, burst: Round) -> list[str]:
    orders = await shop.orders()
    problems = []
    resent = {added["link"] for added in ctx.sim.added[burst.added_at_kill :]}
    for order_id in burst.submitting:
        order = await orders.get(order_id)
        if order is not None and order.stage is not Stage.UNCONFIRMED:
            problems.append(f"order #{order_id} left submitting by the kill is now "
                            f"{order.stage.value}, not unconfirmed")  # fmt: skip
        if order is not None and order.link in resent:
            problems.append(f"order #{order_id} left submitting was sent to the panel again")
    for customer in burst.customers:
        mine = await orders.for_user(customer.user_id, limit=10)
        if len(mine) > 1:
            problems.append(f"user {customer.user_id} has {len(mine)} orders from one draft")
    # No faults and money enough: every `add` creates a panel order, unless it is a second
    # one for a link still active (the panel refuses it): that is an order sent twice.
    adds = ctx.sim.request_counts["add"] - burst.adds_before
    links = set(burst.links.values())
    created = sum(1 for order in ctx.sim.orders.values() if order.link in links)
    if adds != created:
        problems.append(f"{adds} add requests reached the panel for {created} panel orders")
    return problems


async def panel_vs_database(ctx: Context, shop: Shop, links: dict[int, str]) -> list[str]:
    """Every order the panel has for these links is a database order, sent exactly once."""
    ours = set(links.values())
    on_panel = [order for order in ctx.sim.orders.values() if order.link in ours]
    per_link = Counter(order.link for order in on_panel)
    problems = [f"link {link} sent to the panel {n} times" for link, n in per_link.items() if n > 1]
    db = await shop.observer()
    rows = await db.fetchall("SELECT * FROM orders")
    by_link = {row["link"]: OrderRecord.from_row(row) for row in rows}
    for panel_order in on_panel:
        order = by_link.get(panel_order.link)
        if order is None:
            problems.append(f"panel order {panel_order.id} has no database order")
        elif order.panel_order_id != panel_order.id and order.stage is not Stage.UNCONFIRMED:
            problems.append(
                f"panel order {panel_order.id} is order #{order.id} in the database, which is "
                f"{order.stage.value} with panel id {order.panel_order_id}"
            )
    for order in by_link.values():
        if order.panel_order_id is not None and ctx.sim.orders.get(order.panel_order_id) is None:
            problems.append(f"order #{order.id} names panel order {order.panel_order_id}: none")
    return problems
