"""Admins settling unconfirmed orders and moving money: one application per check, whoever else
presses the same button at the same moment; amounts read as the admin means them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from shop.checkout import Held
from shop.service_drafts import OrderDraft
from storage.orders import OrderRecord, Stage
from tests.fake_telegram import Person
from tests.harness import ADMIN_ID, ShopBot, World, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")
SECOND_ADMIN = 900_000_002
PRICE = Decimal("3.25")  # Youtube views (2.5 per 1,000) x 1,000 with the 30% markup


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    shared_world.sim.clear_faults()
    async with running_bot(shared_world, tmp_path, admin_ids=(ADMIN_ID, SECOND_ADMIN)) as bot:
        yield bot


async def held_order(shop: ShopBot, person: Person) -> OrderRecord:
    """An order whose placement got an HTML page for an answer: unconfirmed, money held."""
    shop.sim.inject_fault("html")
    user = await shop.app.services.people.person(person.user_id)
    assert user is not None
    draft = OrderDraft(service_id=1, link="https://youtu.be/held", quantity=1000)
    result = await shop.app.services.ordering.place(user, draft)
    assert isinstance(result, Held)
    return result.order


async def settling_reply(admin: Person) -> str:
    """The admin's answer to /resolve (the held order's own alert may come first)."""
    while True:
        text = (await admin.wait_reply()).content
        if text.startswith("✅") or "any more" in text:
            return text


async def test_two_admins_settling_one_order_apply_one_of_them(shop: ShopBot) -> None:
    second = shop.fake.person(user_id=SECOND_ADMIN, first_name="Partner")
    for attempt in range(5):
        ann = await shop.customer(balance="10")
        order = await held_order(shop, ann)
        await asyncio.gather(
            shop.admin.send(f"/resolve {order.id} {700_000 + attempt}"),
            second.send(f"/resolve {order.id} refund"),
        )
        replies = [await settling_reply(shop.admin), await settling_reply(second)]
        assert sum(reply.startswith("✅") for reply in replies) == 1, replies
        loser = next(reply for reply in replies if not reply.startswith("✅"))
        assert "not unconfirmed any more" in loser and "by admin" in loser
        settled = await shop.app.services.people.order(order.id)
        assert settled is not None
        if settled.stage is Stage.FAILED:  # the refund won
            assert settled.panel_order_id is None and settled.refunded == PRICE
            assert await shop.balance(ann) == Decimal(10)
        else:  # attaching it won
            assert settled.stage is Stage.PENDING and settled.refunded == 0
            assert await shop.balance(ann) == Decimal(10) - PRICE


async def test_a_range_is_refunded_after_a_preview_and_one_apply(shop: ShopBot) -> None:
    people = [await shop.customer(balance="10") for _ in range(3)]
    held = [await held_order(shop, person) for person in people]
    first, last = held[0].id, held[-1].id
    preview = await shop.ask(shop.admin, f"/resolve {first}-{last} refund")
    assert "Settle 3 unconfirmed orders" in preview.content
    assert all(f"#{order.id} → refund 3.25 USD" in preview.content for order in held)
    assert "9.75 USD" in preview.content
    assert await shop.balance(people[0]) == Decimal(10) - PRICE  # nothing yet
    apply = preview.find_button("✅ Apply")
    assert apply is not None
    again = await shop.admin.click_data(apply["callback_data"], preview.message_id)
    first_press = await shop.admin.click_data(apply["callback_data"], preview.message_id)
    summary = await shop.expect(shop.admin, "Settled 3 of 3")
    assert summary.content.count("refunded in full") == 3
    answers = [await shop.admin.wait_answer(again), await shop.admin.wait_answer(first_press)]
    assert any("already applied" in (answer.get("text") or "") for answer in answers)
    for person in people:
        assert await shop.balance(person) == Decimal(10)
        await shop.expect(person, "returned")


async def test_pasted_lines_preview_what_can_be_settled_and_cancel_settles_none(
    shop: ShopBot,
) -> None:
    bob = await shop.customer(balance="10")
    one, two = await held_order(shop, bob), await held_order(shop, bob)
    preview = await shop.ask(
        shop.admin, f"/resolve\n{one.id} 812345\n#{two.id} refund\n99999999 refund"
    )
    assert f"#{one.id} → panel order 812345" in preview.content
    assert f"#{two.id} → refund" in preview.content
    assert "there is no order #99999999" in preview.content
    query = await shop.admin.click("✖️ Cancel")
    assert "nothing was settled" in (await shop.admin.wait_answer(query))["text"]
    assert (await shop.app.services.people.order(one.id)).stage is Stage.UNCONFIRMED  # type: ignore[union-attr]
    assert await shop.balance(bob) == Decimal(10) - 2 * PRICE


@pytest.mark.parametrize(
    "text", ["/resolve 5-2 refund", "/resolve 1 2 3", "/resolve\n1 refund\n1 refund"]
)
async def test_a_bad_resolve_says_what_is_wrong_and_how(shop: ShopBot, text: str) -> None:
    reply = await shop.ask(shop.admin, text)
    assert reply.content.startswith("⚠️") and "Usage: /resolve" in reply.content


async def test_a_refund_by_hand_waits_for_resolve_on_an_unconfirmed_order(shop: ShopBot) -> None:
    cy = await shop.customer(balance="10")
    order = await held_order(shop, cy)
    reply = await shop.ask(shop.admin, f"/refund {order.id}")
    assert f"/resolve {order.id} refund" in reply.content
    assert await shop.balance(cy) == Decimal(10) - PRICE


@pytest.mark.parametrize(
    ("amount", "credited"),
    [("1000", "1000"), ("1000.50", "1000.5"), ("1 000,50", "1000.5"), ("1,000.50", "1000.5")],
)
async def test_credit_reads_amounts_as_people_write_them(
    shop: ShopBot, amount: str, credited: str
) -> None:
    dee = await shop.customer()
    reply = await shop.ask(shop.admin, f"/credit {dee.user_id} {amount} welcome")
    assert reply.content.startswith("✅")
    assert await shop.balance(dee) == Decimal(credited)
    assert "welcome" in (await shop.expect(dee, "credited")).content


@pytest.mark.parametrize("amount", ["1,000", "1.000", "12.500"])
async def test_an_ambiguous_amount_is_refused_with_the_forms_allowed(
    shop: ShopBot, amount: str
) -> None:
    eve = await shop.customer()
    reply = await shop.ask(shop.admin, f"/credit {eve.user_id} {amount}")
    assert "ambiguous" in reply.content and "1,000.50" in reply.content
    assert await shop.balance(eve) == Decimal(0)


@pytest.mark.parametrize("command", ["/sync now", "/health x", "/admin please", "/backup db"])
async def test_commands_without_arguments_refuse_junk(shop: ShopBot, command: str) -> None:
    reply = await shop.ask(shop.admin, command)
    assert "takes nothing after it" in reply.content and "Usage" in reply.content
