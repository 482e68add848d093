"""Telegram answers 429, 5xx and 403 while the bot delivers notifications.

`size` customers have orders on the panel; the tracker runs. The panel finishes them all at
once (Completed, Partial or Canceled: refunds too) while Telegram's sendMessage answers a
random run of 429 (retry_after 1), 500, 502 and 503, and at most 5 messages a second; a quarter
of the customers have blocked the bot (403). Held: every other customer gets their order's
notification (duplicates are counted and reported), a person who blocked the bot is marked and
sent nothing more, refunds apply once, nothing in the log.
"""

from __future__ import annotations

from decimal import Decimal

from chaos.core import Context, Shop, TrialError, TrialResult, until
from chaos.seed import paid_order, panel_orders
from tests.fake_telegram import BLOCKED, Person

DELIVERY_SECONDS = 60.0
TRACKER_SECONDS = 0.3
ERRORS = (
    (429, "Too Many Requests: retry after 1", 1),
    (500, "Internal Server Error", None),
    (502, "Bad Gateway", None),
    (503, "Service Unavailable", None),
)
FINAL_STATUSES = ("Completed", "Partial", "Canceled")


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("telegram_faults", poll_seconds=TRACKER_SECONDS)
    customers = [ctx.person() for _ in range(size)]
    blocked = set(ctx.rng.sample(customers, max(1, size // 4)))
    orders = await seed(ctx, shop, customers)
    await shop.start()
    queue_faults(ctx, size // 4)
    ctx.fake.rate_limit_per_second = 5
    for customer in blocked:
        customer.block()
    for panel_id in orders.values():
        finish_on_panel(ctx, panel_id)
    duplicates = 0
    for customer, order_id in zip(customers, orders, strict=True):
        if customer in blocked:
            continue
        problems, extra = await delivered_problems(ctx, customer, order_id)
        duplicates += extra
        result.record(f"user {customer.user_id}", problems)
    for customer in blocked:  # last: anything sent to them after the 403 has had its chance
        result.record(
            f"user {customer.user_id} (blocked)", await blocked_problems(ctx, shop, customer)
        )
    too_many = ctx.fake.too_many_requests_sent
    result.notes.append(f"{duplicates} duplicate notices; {too_many} answers 429 so far in the run")
    await shop.finish(result)
    return result


async def seed(ctx: Context, shop: Shop, customers: list[Person]) -> dict[int, int]:
    """One placed order per customer; -> order id: panel order id, in the customers' order."""
    await shop.seed_customers(customers, Decimal(10))
    panel_ids = await panel_orders(ctx.sim, [ctx.link() for _ in customers])
    orders = {}
    async with shop.seeding() as db:
        for customer, panel_id in zip(customers, panel_ids, strict=True):
            link = ctx.sim.orders[panel_id].link
            order_id = await paid_order(db, customer.user_id, link, panel_id=panel_id)
            orders[order_id] = panel_id
    return orders


def queue_faults(ctx: Context, extra_runs: int) -> None:
    """Failures for the next sendMessage calls, in a random order: always a 429 and a 5xx,
    then `extra_runs` random runs of one or two."""
    runs = [(ERRORS[0], 1), (ctx.rng.choice(ERRORS[1:]), 1)]
    runs += [(ctx.rng.choice(ERRORS), ctx.rng.randint(1, 2)) for _ in range(extra_runs)]
    ctx.rng.shuffle(runs)
    for (code, description, retry_after), count in runs:
        ctx.fake.fail_next("sendMessage", code, description, count, retry_after)


def finish_on_panel(ctx: Context, panel_id: int) -> None:
    status = ctx.rng.choice(FINAL_STATUSES)
    quantity = ctx.sim.orders[panel_id].quantity
    remains = ctx.rng.randint(1, quantity - 1) if status == "Partial" else None
    ctx.sim.set_order(panel_id, status=status, remains=remains)


async def delivered_problems(
    ctx: Context, customer: Person, order_id: int
) -> tuple[list[str], int]:
    """-> (problems, duplicates): the notification arrived at least once."""
    wanted = f"Order #{order_id} "

    def copies() -> int:
        return sum(wanted in message.content for message in customer.messages)

    try:
        await ctx.fake.wait_for(copies, DELIVERY_SECONDS, what=f"the notice of order #{order_id}")
    except AssertionError:
        return [f"the notice of order #{order_id} never arrived in {DELIVERY_SECONDS:.0f} s"], 0
    return [], copies() - 1


async def blocked_problems(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    """Marked as having blocked the bot; nothing sent after Telegram said so."""
    db = await shop.observer()

    async def marked() -> bool:
        flag = await db.fetchval("SELECT blocked_bot FROM users WHERE id = ?", (customer.user_id,))
        return bool(flag)

    try:
        await until(marked, DELIVERY_SECONDS, "the person marked as having blocked the bot")
    except TrialError as error:
        return [str(error)]
    sends = [
        call
        for call in ctx.fake.calls_of("sendMessage")
        if call.params.get("chat_id") == customer.chat_id
    ]
    first_403 = next((i for i, c in enumerate(sends) if c.description == BLOCKED), None)
    if first_403 is not None and first_403 < len(sends) - 1:
        return [f"{len(sends) - first_403 - 1} messages sent after the 403"]
    return []
