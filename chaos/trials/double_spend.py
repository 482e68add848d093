"""Spending the same money twice, in every way the bot offers at the same moment.

Cases, in turn (each with a fresh customer):
- double press: one Confirm pressed twice (both presses in one getUpdates batch);
- two drafts: a confirm card, then a second one, both Confirms pressed at once;
- confirm and debit: the customer confirms while an admin debits the whole balance;
- two debits: both admins `/debit` the whole balance at once;
- re-delivered credit: one `/credit` message delivered twice (Telegram re-sends an update
  whose offset was not confirmed).
The customers have exactly the price of one order (3.25). Held: charged at most the balance,
at most one order per draft and per customer, every press answered, one credit per message.
size = cases.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal

from chaos.core import Context, Shop, TrialError, TrialResult, order_number, reply_matching
from chaos.people import confirm_card, press_confirm
from chaos.seed import PRICE
from tests.fake_telegram import BotMessage, Person, utf16_length

Case = Callable[[Context, Shop, Person], Awaitable[list[str]]]


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("double_spend")
    customers = [ctx.person() for _ in range(size)]
    await shop.seed_customers(customers, PRICE)
    await shop.start()
    cases = list(CASES.items())
    for number, customer in enumerate(customers, 1):
        name, case = cases[(number - 1) % len(cases)]
        try:
            problems = await case(ctx, shop, customer)
        except TrialError as error:
            problems = [str(error)]
        problems += await money_of(shop, customer)
        result.record(f"case {number} {name} (user {customer.user_id})", problems)
    await shop.finish(result)
    return result


async def money_of(shop: Shop, customer: Person) -> list[str]:
    """The customer never spent more than they had: 3.25 in, orders and debits out."""
    db = await shop.observer()
    spent = await db.fetchval(
        "SELECT -COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ? AND amount < 0",
        (customer.user_id,),
    )
    credited = await db.fetchval(
        "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = ? AND amount > 0",
        (customer.user_id,),
    )
    problems = []
    if spent > credited:
        problems.append(f"spent {Decimal(spent) / 10**6} with {Decimal(credited) / 10**6} in")
    orders = await (await shop.orders()).for_user(customer.user_id, limit=10)
    if len(orders) > 1:
        problems.append(f"{len(orders)} orders from money for one: {[o.id for o in orders]}")
    return problems


async def answered(person: Person, query_id: str) -> list[str]:
    try:
        await person.wait_answer(query_id, 15.0)
    except AssertionError:
        return [f"press {query_id} never answered (a spinning button)"]
    return []


def finished(message: BotMessage) -> bool:
    """An order's result, or the not-enough-balance card (nothing placed)."""
    return order_number(message) is not None or "Not enough balance" in message.content


async def double_press(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    card = await confirm_card(customer, ctx.link())
    first = await press_confirm(customer, card)
    second = await press_confirm(customer, card)
    await reply_matching(customer, finished, "the order result")
    return [*await answered(customer, first), *await answered(customer, second)]


async def two_drafts(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    older = await confirm_card(customer, ctx.link())
    newer = await confirm_card(customer, ctx.link())
    presses = [older, newer]
    ctx.rng.shuffle(presses)
    queries = [await press_confirm(customer, card) for card in presses]
    await reply_matching(customer, finished, "the order result")
    return [problem for query in queries for problem in await answered(customer, query)]


async def confirm_and_debit(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    card = await confirm_card(customer, ctx.link())
    admin = ctx.rng.choice(ctx.admins)
    query = await press_confirm(customer, card)
    await admin.send(f"/debit {customer.user_id} {PRICE} chaos")
    said = await reply_matching(admin, lambda m: "ebit" in m.content, "the debit reply")
    result = await reply_matching(customer, finished, "the order result")
    problems = await answered(customer, query)
    placed = "placed" in result.content
    debited = said.content.startswith("✅")
    if placed == debited:
        problems.append(f"order placed: {placed}, debit applied: {debited} (one or the other)")
    return problems


async def two_debits(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    for admin in ctx.admins:
        await admin.send(f"/debit {customer.user_id} {PRICE} chaos")
    replies = [
        await reply_matching(admin, lambda m: "ebit" in m.content, "a debit reply")
        for admin in ctx.admins
    ]
    applied = [reply for reply in replies if reply.content.startswith("✅")]
    if len(applied) != 1:
        return [f"{len(applied)} of two whole-balance debits applied"]
    return []


async def credit_delivered_twice(ctx: Context, shop: Shop, customer: Person) -> list[str]:
    admin = ctx.rng.choice(ctx.admins)
    message = command_message(ctx, admin, f"/credit {customer.user_id} 5 chaos")
    admin.push("message", message)
    admin.push("message", dict(message))  # the same message_id: the same update, again
    replies = [
        await reply_matching(admin, lambda m: str(customer.user_id) in m.content or
                             "already applied" in m.content, "a credit reply")
        for _ in range(2)
    ]  # fmt: skip
    db = await shop.observer()
    rows = await db.fetchval(
        "SELECT COUNT(*) FROM ledger WHERE user_id = ? AND kind = 'credit' AND reference = ?",
        (customer.user_id, f"admin:{admin.chat_id}:{message['message_id']}"),
    )
    problems = [] if rows == 1 else [f"one /credit message applied {rows} times"]
    if sum("already applied" in reply.content for reply in replies) != 1:
        problems.append(f"replies: {[reply.content[:60] for reply in replies]}")
    return problems


def command_message(ctx: Context, person: Person, text: str) -> dict[str, object]:
    """A message as Telegram delivers it, built once so it can be delivered twice."""
    command = text.split(maxsplit=1)[0]
    chat = ctx.fake.get_chat(person.chat_id)
    message_id = chat.next_message_id()
    chat.user_message_ids.add(message_id)
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": person.chat,
        "from": person.user,
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}],
    }


CASES: dict[str, Case] = {
    "double press": double_press,
    "two drafts": two_drafts,
    "confirm and debit": confirm_and_debit,
    "two debits": two_debits,
    "re-delivered credit": credit_delivered_twice,
}
