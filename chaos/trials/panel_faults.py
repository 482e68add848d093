"""Every fault the panel simulator offers, during the placement of an order.

For each fault kind (HTTP 500, HTML, a cut-off answer, a dropped connection, a slow answer),
plus the panel's clear refusals (its balance empty; an active order for the same link), a
customer confirms an order and the fault hits the `add` request. With size > 1 the panel also
hangs past the bot's 20 s timeout once per round. Held: the order is placed, refused and
refunded, or unconfirmed with the money held and admins alerted (never silently lost); the
customer's result says which; the panel got exactly one `add` for it. size = rounds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal

from chaos.core import SIM_FAULT_DELAY_SECONDS, Context, Shop, TrialError, TrialResult
from chaos.people import confirm_card, order_result, press_confirm
from chaos.seed import PRICE, panel_orders
from simulators.panel import FAULT_KINDS
from storage.orders import OrderRecord, Stage
from tests.fake_telegram import BotMessage, Person

CLIENT_TIMEOUT_SECONDS = 20.0  # PanelClient's default in the bot
REFUSALS = ("no funds", "active link")
ATTEMPTS = 3  # a fault taken by another request (a health check) spoils a case: try again
# What the customer's result says for each outcome, and the stage that outcome leaves; the
# first that matches counts ("could not be placed" is a refusal, not "placed").
OUTCOMES = {
    "refused": Stage.FAILED,
    "cannot take orders": Stage.FAILED,
    "being checked": Stage.UNCONFIRMED,
    "placed": Stage.PENDING,
}


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("panel_faults")
    cases = [*sorted(FAULT_KINDS), *REFUSALS]
    rounds = [cases + (["timeout"] if size > 1 else []) for _ in range(size)]
    customers = [ctx.person() for _ in range(sum(len(r) for r in rounds) * ATTEMPTS)]
    await shop.seed_customers(customers, PRICE * 2)
    await shop.start()
    spare = iter(customers)
    outcomes: Counter[str] = Counter()
    for number, kinds in enumerate(rounds, 1):
        for kind in kinds:
            problems, outcome = await attempt(ctx, shop, kind, spare)
            outcomes[f"{kind} -> {outcome}"] += 1
            result.record(f"round {number}: {kind}", problems)
    result.notes.append(", ".join(f"{k} x{n}" for k, n in sorted(outcomes.items())))
    await shop.finish(result)
    return result


async def attempt(
    ctx: Context, shop: Shop, kind: str, customers: Iterator[Person]
) -> tuple[list[str], str]:
    for _ in range(ATTEMPTS):
        customer = next(customers)
        try:
            spoiled, problems, outcome = await one_case(ctx, shop, kind, customer)
        except TrialError as error:
            return [str(error)], "?"
        finally:
            restore(ctx)
        if not spoiled:
            return problems, outcome
    return [f"the fault never reached the add request in {ATTEMPTS} tries"], "?"


def restore(ctx: Context) -> None:
    ctx.sim.clear_faults()
    ctx.sim.set_balance(Decimal(1000))
    ctx.sim.fault_delay_seconds = SIM_FAULT_DELAY_SECONDS


async def one_case(
    ctx: Context, shop: Shop, kind: str, customer: Person
) -> tuple[bool, list[str], str]:
    """-> (spoiled: another request took the fault, problems, outcome)"""
    link = ctx.link()
    if kind == "active link":
        await panel_orders(ctx.sim, [link])  # the panel has an active order for it
    card = await confirm_card(customer, link)
    before = Counter(ctx.sim.request_counts)
    await FAULTS.get(kind, inject)(ctx, kind)
    await press_confirm(customer, card)
    wait = CLIENT_TIMEOUT_SECONDS + 15 if kind == "timeout" else 15
    reply = await order_result(customer, wait)
    requests = Counter(ctx.sim.request_counts) - before
    if set(requests) - {"add"}:
        return True, [], "spoiled"
    orders = await (await shop.orders()).for_user(customer.user_id)
    if len(orders) != 1:
        return False, [f"{len(orders)} orders for one Confirm"], "?"
    order = orders[0]
    problems = [] if requests["add"] == 1 else [f"the panel got {requests['add']} add requests"]
    problems += await outcome_problems(ctx, shop, order, reply, link)
    return False, problems, order.stage.value


async def inject(ctx: Context, kind: str) -> None:
    ctx.sim.inject_fault("delay" if kind == "timeout" else kind)


async def hang(ctx: Context, kind: str) -> None:
    ctx.sim.fault_delay_seconds = CLIENT_TIMEOUT_SECONDS + 5
    ctx.sim.inject_fault("delay")


async def empty_balance(ctx: Context, kind: str) -> None:
    ctx.sim.set_balance(Decimal(0))


async def nothing(ctx: Context, kind: str) -> None:
    """The refusal comes from the situation itself (an active order for the link)."""


FAULTS: dict[str, Callable[[Context, str], Awaitable[None]]] = {
    "timeout": hang,
    "no funds": empty_balance,
    "active link": nothing,
}


async def outcome_problems(
    ctx: Context, shop: Shop, order: OrderRecord, reply: BotMessage, link: str
) -> list[str]:
    said = [words for words in OUTCOMES if words in reply.content]
    if not said:
        return [f"the customer's result says none of {list(OUTCOMES)}: {reply.content[:100]!r}"]
    problems = []
    if OUTCOMES[said[0]] is not order.stage:
        problems.append(f"the customer read {said[0]!r} but order #{order.id} is "
                        f"{order.stage.value}")  # fmt: skip
    if order.stage is Stage.PENDING:
        placed = ctx.sim.orders.get(order.panel_order_id or -1)
        if placed is None or placed.link != link:
            problems.append(f"order #{order.id} names panel order {order.panel_order_id}: "
                            "not on the panel with its link")  # fmt: skip
    elif order.stage is Stage.FAILED:
        if order.refunded != order.price:
            problems.append(f"refused order #{order.id} refunded {order.refunded} of {order.price}")
    elif order.stage is Stage.UNCONFIRMED:
        problems += await held_problems(shop, order)
    else:
        problems.append(f"order #{order.id} is {order.stage.value}: placed, refused or held?")
    return problems


async def held_problems(shop: Shop, order: OrderRecord) -> list[str]:
    """Unconfirmed: the money stays charged and every admin is told."""
    problems = []
    if order.refunded:
        problems.append(f"unconfirmed order #{order.id} refunded {order.refunded}")
    db = await shop.observer()
    alerted = await db.fetchval(
        "SELECT COUNT(DISTINCT chat_id) FROM notifications WHERE instr(text, ?)",
        (f"Order #{order.id} is <b>unconfirmed</b>",),
    )
    if alerted != len(shop.ctx.admins):
        problems.append(f"unconfirmed order #{order.id}: {alerted} admins alerted")
    return problems
