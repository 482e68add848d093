"""SIGTERM while people are in the middle of an order, then a restart.

`size` people are mid-conversation when the signal comes, none of it saved yet: half have
pressed Order (the link is pending), half have sent the link (the quantity is pending). One
more person has pressed Confirm and the panel is not answering (it hangs past the client's
timeout). Held: the bot exits within 5 s with nothing wrong in its log; after the restart
every conversation goes on where it was (the quantity, then the confirm card); the hanging
order is held (unconfirmed or placed, the money kept) and never sent to the panel again.
"""

from __future__ import annotations

import asyncio

from chaos.core import Context, Shop, TrialError, TrialResult, until
from chaos.people import begin_order, confirm_card, give_link, give_quantity, press_confirm
from chaos.seed import PRICE
from storage.orders import Stage
from tests.fake_telegram import Person

HANGING_PANEL_SECONDS = 30.0  # longer than the bot's 20 s panel timeout


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("sigterm")
    typing = [ctx.person() for _ in range(size)]
    placing = ctx.person()
    await shop.seed_customers([*typing, placing], PRICE * 2)
    await shop.start()
    links = {person.user_id: ctx.link() for person in [*typing, placing]}
    at_link, at_quantity = typing[: size // 2], typing[size // 2 :]
    await asyncio.gather(
        *(begin_order(person) for person in at_link),
        *(to_quantity(person, links[person.user_id]) for person in at_quantity),
    )
    adds_before = await hang_placement(ctx, placing, links[placing.user_id])
    await shop.stop_and_record(result, "SIGTERM mid-conversation")
    ctx.sim.clear_faults()
    await shop.start()
    for person in typing:
        step = "link" if person in at_link else "quantity"
        problems = await goes_on(person, step, links[person.user_id])
        result.record(f"{person.user_id} at the {step} step", problems)
    problems = await hanging_order(ctx, shop, placing, adds_before)
    result.record(f"{placing.user_id} whose order was being placed", problems)
    await shop.finish(result)
    return result


async def to_quantity(person: Person, link: str) -> None:
    await begin_order(person)
    await give_link(person, link)


async def hang_placement(ctx: Context, person: Person, link: str) -> int:
    """Confirm an order while the panel hangs; returns the panel's `add` count before it."""
    card = await confirm_card(person, link)
    ctx.sim.fault_delay_seconds = HANGING_PANEL_SECONDS
    adds_before = ctx.sim.request_counts["add"]
    ctx.sim.inject_fault("delay")
    await press_confirm(person, card)

    async def reached() -> bool:
        return ctx.sim.request_counts["add"] > adds_before

    await until(reached, 15.0, "the order reaching the panel")
    return adds_before


async def goes_on(person: Person, step: str, link: str) -> list[str]:
    """The person carries on from their step and reaches the confirm card."""
    try:
        if step == "link":
            await give_link(person, link)
        card = await give_quantity(person, 1000)
    except TrialError as error:
        return [f"the conversation did not go on after the restart: {error}"]
    return [] if link in card.content else [f"the card shows another link: {card.content[:80]!r}"]


async def hanging_order(ctx: Context, shop: Shop, person: Person, adds_before: int) -> list[str]:
    orders = await (await shop.orders()).for_user(person.user_id)
    problems = []
    if len(orders) != 1:
        return [f"{len(orders)} orders for one Confirm"]
    order = orders[0]
    if order.stage not in (Stage.UNCONFIRMED, Stage.PENDING):
        problems.append(f"order #{order.id} is {order.stage.value}: neither held nor placed")
    if order.refunded:
        problems.append(f"order #{order.id} refunded {order.refunded} though the panel may have it")
    adds = ctx.sim.request_counts["add"] - adds_before
    if adds != 1:
        problems.append(f"order #{order.id} was sent to the panel {adds} times")
    return problems
