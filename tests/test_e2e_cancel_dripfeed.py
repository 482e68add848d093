"""Drip-feed and cancel, end to end against the `backup` preset panel, which offers both on some
services (the seed panel has neither); and the order card saying where a refill or cancel
request stands."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from simulators.panel import make_panel
from storage.orders import OrderRecord
from tests.fake_telegram import BotMessage, FakeTelegram, Person
from tests.harness import ShopBot, World, running_bot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Services of the backup panel (simulators/panel/catalog.py, backup_services):
IG_FOLLOWERS = "Instagram Followers"  # 106: Default, 0.95 per 1000, 10..50,000, drip + cancel
YT_LIKES = "YouTube Likes"  # 102: Default, 3.9 per 1000, 10..50,000, cancel + refill, no drip
YT_SUBSCRIBERS = "YouTube Subscribers"  # 103: Default, 31.5 per 1000, neither cancel nor drip
CANCEL_BUTTON = "✖️ Cancel order"

_links = itertools.count(1)


def new_link() -> str:
    return f"https://instagram.com/p/e2e-cancel-dripfeed-{next(_links)}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world() -> AsyncIterator[World]:
    """The module's fake Telegram and the backup panel, which only this module's bots use."""
    async with FakeTelegram() as fake:
        sim = make_panel("backup", tick_seconds=None, fault_delay_seconds=3.0)
        await sim.start()
        try:
            yield World(fake, sim)
        finally:
            await sim.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    shared_world.sim.clear_faults()
    panel = shared_world.sim
    async with running_bot(
        shared_world, tmp_path, provider_url=panel.url, provider_key=panel.key
    ) as running:
        yield running


# ---- helpers -------------------------------------------------------------------------------------


async def start_order(shop: ShopBot, person: Person, category: str, service: str) -> None:
    await shop.open_service(person, f"{category} (", service)
    await shop.press(person, "🛒 Order")
    await shop.ask(person, new_link())


async def last_with(shop: ShopBot, person: Person, fragment: str) -> BotMessage:
    """The person's newest message once it contains `fragment` (sent or edited)."""
    return await shop.fake.wait_for(
        lambda: person.last_message if fragment in text_of(person.last_message) else None,
        15,
        what=repr(fragment),
    )


async def confirm(shop: ShopBot, person: Person) -> OrderRecord:
    await person.click("✅ Confirm")
    await last_with(shop, person, "placed")
    return (await shop.app.books.orders.for_user(person.user_id))[0]


async def place(shop: ShopBot, person: Person, service: str, quantity: str) -> OrderRecord:
    """An order of `service` all at once (no drip-feed step on these services)."""
    await start_order(shop, person, "YouTube", service)
    card = await shop.ask(person, quantity)
    assert card.find_button("✅ Confirm") is not None, text_of(card)
    return await confirm(shop, person)


async def open_card(shop: ShopBot, person: Person, order_id: int) -> BotMessage:
    """/orders, then the order's button (a notification may arrive in between)."""
    await person.send("/orders")
    label = f"#{order_id} ·"
    listing = await person.wait_reply()
    while listing.find_button(label, "contains") is None:
        listing = await person.wait_reply()
    button = listing.find_button(label, "contains")
    assert button is not None
    query = await person.click_data(button["callback_data"], listing.message_id)
    card = await person.wait_reply()
    while card.message_id != listing.message_id:  # the list is edited into the card
        card = await person.wait_reply()
    await person.wait_answer(query)
    return card


async def press_on(shop: ShopBot, person: Person, card: BotMessage, label: str) -> str:
    """Press `label` on `card`; returns the toast once the card has been redrawn."""
    button = card.find_button(label)
    assert button is not None, card.buttons
    query = await person.click_data(button["callback_data"], card.message_id)
    answer = await person.wait_answer(query)
    await shop.wait_idle()
    return str(answer.get("text") or "")


def card_now(person: Person, card: BotMessage) -> BotMessage:
    return next(m for m in person.messages if m.message_id == card.message_id)


async def notifications_for(shop: ShopBot, person: Person) -> list[str]:
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? ORDER BY id", (person.user_id,)
    )
    return [row["text"] for row in rows]


# ---- drip-feed -----------------------------------------------------------------------------------


async def test_dripfeed_asks_runs_and_interval_and_charges_every_run(shop: ShopBot) -> None:
    ann = await shop.customer(balance="50")
    await start_order(shop, ann, "Instagram", IG_FOLLOWERS)
    choice = await shop.ask(ann, "30000")  # more than half the max: it cannot be split
    assert choice.find_button("💧 Drip-feed") and choice.find_button("⚡ All at once")
    refused = await shop.press(ann, "💧 Drip-feed")
    assert "25,000" in text_of(refused) and "50,000" in text_of(refused)
    assert refused.find_button("💧 Drip-feed") is not None  # still at the choice
    again = await shop.ask(ann, "10000")  # a smaller quantity per run: asked again
    assert again.find_button("💧 Drip-feed") is not None
    runs_prompt = await shop.press(ann, "💧 Drip-feed")
    assert "2" in text_of(runs_prompt) and "5" in text_of(runs_prompt)  # 5 x 10,000 = the max
    for bad in ("abc", "🙂", "0", "1", "2.5", "99999999999999999999", "-3"):
        reply = await shop.ask(ann, bad)
        assert "⚠️" in text_of(reply) and "from 2 to 5" in text_of(reply), (bad, text_of(reply))
    reply = await shop.ask(ann, "6")
    assert "60,000" in text_of(reply) and "50,000" in text_of(reply)
    interval_prompt = await shop.ask(ann, "3")
    assert "1,440" in text_of(interval_prompt)
    for bad in ("soon", "0", "1441", "99999999999", "1,5", "🕐"):
        reply = await shop.ask(ann, bad)
        assert "⚠️" in text_of(reply) and "1,440" in text_of(reply), (bad, text_of(reply))
    card = await shop.ask(ann, "90")
    text = text_of(card)
    # 0.95 x 30,000 / 1000 x 1.3 = 37.05: the price is for quantity x runs
    assert "37.05 USD" in text and "12.95 USD" in text
    assert "3 runs" in text and "1 h 30 min" in text
    assert "10,000" in text and "30,000" in text
    order = await confirm(shop, ann)
    assert "3 runs" in text_of(ann.last_message)
    added = shop.sim.added[-1]
    assert (added["service"], added["quantity"]) == ("106", "10000")
    assert (added["runs"], added["interval"]) == ("3", "90")
    assert (order.quantity, order.runs, order.interval) == (10000, 3, 90)
    assert order.price == Decimal("37.05") and order.cancel_allowed
    assert await shop.balance(ann) == Decimal("12.95")
    assert shop.sim.orders[order.panel_order_id or 0].quantity == 30000
    listing = await shop.ask(ann, "/orders")
    assert any("💧×3" in label for row in listing.buttons for label in row)
    card = await open_card(shop, ann, order.id)
    assert "3 runs" in text_of(card) and "30,000" in text_of(card)


async def test_all_at_once_and_services_without_dripfeed_send_no_runs(shop: ShopBot) -> None:
    bob = await shop.customer(balance="50")
    await start_order(shop, bob, "Instagram", IG_FOLLOWERS)
    await shop.ask(bob, "1000")
    await bob.click("⚡ All at once")
    card = await last_with(shop, bob, "Check your order")
    assert "1.235 USD" in text_of(card)  # 0.95 x 1.3: one run
    order = await confirm(shop, bob)
    assert "runs" not in shop.sim.added[-1] and "interval" not in shop.sim.added[-1]
    assert (order.quantity, order.runs, order.interval) == (1000, None, None)

    # A service without drip-feed goes from the quantity straight to the confirm card.
    await start_order(shop, bob, "YouTube", YT_LIKES)
    card = await shop.ask(bob, "1000")
    assert card.find_button("✅ Confirm") is not None
    assert card.find_button("💧 Drip-feed") is None
    assert "runs" not in text_of(card)


# ---- cancel --------------------------------------------------------------------------------------


async def test_cancel_from_the_card_refunds_once_when_the_panel_cancels(shop: ShopBot) -> None:
    cid = await shop.customer(balance="10")
    order = await place(shop, cid, YT_LIKES, "1000")  # 3.9 x 1.3 = 5.07
    assert order.cancel_allowed and await shop.balance(cid) == Decimal("4.93")
    card = await open_card(shop, cid, order.id)
    requests_before = shop.sim.request_counts["cancel"]
    await press_on(shop, cid, card, CANCEL_BUTTON)
    sure = card_now(cid, card)
    assert f"#{order.id}" in text_of(sure) and sure.find_button("↩️ No, keep it")
    await press_on(shop, cid, sure, "↩️ No, keep it")  # back to the card, nothing sent
    card = card_now(cid, card)
    assert card.find_button(CANCEL_BUTTON) is not None
    assert shop.sim.request_counts["cancel"] == requests_before
    await press_on(shop, cid, card, CANCEL_BUTTON)
    toast = await press_on(shop, cid, card_now(cid, card), "✅ Yes, cancel it")
    assert "Cancel requested" in toast
    card = card_now(cid, card)
    assert "waiting for the provider" in text_of(card)
    assert card.find_button(CANCEL_BUTTON) is None
    assert shop.sim.request_counts["cancel"] == requests_before + 1
    assert await shop.balance(cid) == Decimal("4.93")  # no refund at request time

    shop.sim.advance(1)  # the panel acts on the request: Canceled
    assert shop.sim.orders[order.panel_order_id or 0].status == "Canceled"
    await shop.app.tracker.sync_once()
    told = await shop.expect(cid, "canceled as you asked")
    assert "5.07 USD" in told.content
    await shop.app.tracker.sync_once()
    assert await shop.balance(cid) == Decimal("10")
    assert len(await notifications_for(shop, cid)) == 1
    card = await open_card(shop, cid, order.id)
    assert "Canceled as you asked" in text_of(card) and card.find_button(CANCEL_BUTTON) is None


async def test_cancel_of_a_started_dripfeed_order_refunds_the_undelivered_share(
    shop: ShopBot,
) -> None:
    dan = await shop.customer(balance="10")
    await start_order(shop, dan, "Instagram", IG_FOLLOWERS)
    await shop.ask(dan, "1000")
    await shop.press(dan, "💧 Drip-feed")
    await shop.ask(dan, "3")
    await shop.ask(dan, "30")
    order = await confirm(shop, dan)  # 0.95 x 3,000 / 1000 x 1.3 = 3.705
    panel_id = order.panel_order_id or 0
    shop.sim.set_order(panel_id, status="In progress", remains=1500, start_count=7)
    await shop.app.tracker.sync_once()
    card = await open_card(shop, dan, order.id)
    await press_on(shop, dan, card, CANCEL_BUTTON)  # in progress: still cancelable
    await press_on(shop, dan, card_now(dan, card), "✅ Yes, cancel it")
    shop.sim.advance(1)
    assert shop.sim.orders[panel_id].status == "Partial"
    await shop.app.tracker.sync_once()
    told = await shop.expect(dan, "partially")
    # remains count every run: 1,500 of 3,000 undelivered, half the price back
    assert "1,500 of 3,000" in told.content and "1.8525 USD" in told.content
    assert await shop.balance(dan) == Decimal("10") - Decimal("3.705") + Decimal("1.8525")


async def test_cancel_refused_by_the_panel_is_shown_on_the_card(shop: ShopBot) -> None:
    eve = await shop.customer(balance="10")
    order = await place(shop, eve, YT_LIKES, "1000")
    card = await open_card(shop, eve, order.id)
    # The panel finished it meanwhile; the bot has not synced yet and still offers Cancel.
    shop.sim.set_order(order.panel_order_id or 0, status="Completed", remains=0)
    await press_on(shop, eve, card, CANCEL_BUTTON)
    toast = await press_on(shop, eve, card_now(eve, card), "✅ Yes, cancel it")
    assert "refused" in toast
    card = card_now(eve, card)
    assert "Cancel refused: Order not eligible for cancel." in text_of(card)
    assert card.find_button(CANCEL_BUTTON) is None
    stored = await shop.app.services.people.order(order.id)
    assert stored is not None and stored.cancel_error == "Order not eligible for cancel."
    await shop.app.tracker.sync_once()
    assert await shop.balance(eve) == Decimal("4.93")  # completed: nothing to refund


async def test_double_pressed_cancel_sends_one_request(shop: ShopBot) -> None:
    fay = await shop.customer(balance="10")
    order = await place(shop, fay, YT_LIKES, "1000")
    card = await open_card(shop, fay, order.id)
    await press_on(shop, fay, card, CANCEL_BUTTON)
    yes = card_now(fay, card).find_button("✅ Yes, cancel it")
    assert yes is not None
    before = shop.sim.request_counts["cancel"]
    first = await fay.click_data(yes["callback_data"], card.message_id)
    second = await fay.click_data(yes["callback_data"], card.message_id)
    answers = await asyncio.gather(fay.wait_answer(first), fay.wait_answer(second))
    texts = sorted(str(answer.get("text")) for answer in answers)
    assert "already" in texts[0] and "Cancel requested" in texts[1], texts
    assert shop.sim.request_counts["cancel"] == before + 1


async def test_an_unclear_cancel_answer_is_not_sent_again(shop: ShopBot) -> None:
    gus = await shop.customer(balance="10")
    order = await place(shop, gus, YT_LIKES, "1000")
    card = await open_card(shop, gus, order.id)
    await press_on(shop, gus, card, CANCEL_BUTTON)
    before = shop.sim.request_counts["cancel"]
    shop.sim.inject_fault("http500")
    toast = await press_on(shop, gus, card_now(gus, card), "✅ Yes, cancel it")
    assert "did not answer clearly" in toast and "later" in toast
    card = card_now(gus, card)
    assert "waiting for the provider" in text_of(card)
    assert card.find_button(CANCEL_BUTTON) is None
    result = await shop.app.services.order_requests.request_cancel(
        order
    )  # any other path: already made
    assert type(result).__name__ == "CancelAlreadyRequested"
    assert shop.sim.request_counts["cancel"] == before + 1
    assert await shop.balance(gus) == Decimal("4.93")


async def test_an_unclear_cancel_answer_alerts_the_admins_once(shop: ShopBot) -> None:
    hal = await shop.customer(balance="10")
    order = await place(shop, hal, YT_LIKES, "1000")
    card = await open_card(shop, hal, order.id)
    await press_on(shop, hal, card, CANCEL_BUTTON)
    since = shop.mark()
    shop.sim.inject_fault("http500")
    await press_on(shop, hal, card_now(hal, card), "✅ Yes, cancel it")
    alert = await shop.sent_to(shop.admin.user_id, f"order #{order.id}", since)
    text = text_of(alert)
    assert "no clear answer" in text and "panel main" in text
    assert f"panel order {order.panel_order_id}" in text and f"/order {order.id}" in text
    # Any later path finds the request made: nothing is sent or told again.
    await shop.app.services.order_requests.request_cancel(order)
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? AND text LIKE ?",
        (shop.admin.user_id, f"%cancel request of order #{order.id} %"),
    )
    assert len(rows) == 1


async def test_cancel_is_offered_only_on_open_orders_of_services_with_cancel(
    shop: ShopBot,
) -> None:
    hal = await shop.customer(balance="10")
    without = await place(shop, hal, YT_SUBSCRIBERS, "100")  # no cancel on this service
    assert not without.cancel_allowed
    card = await open_card(shop, hal, without.id)
    assert card.find_button("🔄 Refresh") is not None and card.find_button(CANCEL_BUTTON) is None
    done = await place(shop, hal, YT_LIKES, "100")
    card = await open_card(shop, hal, done.id)
    assert card.find_button(CANCEL_BUTTON) is not None  # pending: offered
    shop.sim.set_order(done.panel_order_id or 0, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    card = await open_card(shop, hal, done.id)
    assert card.find_button(CANCEL_BUTTON) is None
    # An old card's Cancel, pressed after the order finished, sends nothing.
    before = shop.sim.request_counts["cancel"]
    forged = await hal.click_data(f"co:{done.id}:0:1", card.message_id)
    answer = await hal.wait_answer(forged)
    assert "no longer" in str(answer.get("text"))
    assert shop.sim.request_counts["cancel"] == before


# ---- the card says where a refill stands ---------------------------------------------------------


async def test_refill_state_is_shown_on_the_card(shop: ShopBot) -> None:
    ivy = await shop.customer(balance="10")
    order = await place(shop, ivy, YT_LIKES, "1000")  # refill on this service
    shop.sim.set_order(order.panel_order_id or 0, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    card = await open_card(shop, ivy, order.id)
    toast = await press_on(shop, ivy, card, "♻️ Refill")
    assert "Refill requested" in toast
    card = card_now(ivy, card)
    assert "♻️ Refill requested" in text_of(card) and "in progress" in text_of(card)
    assert card.find_button("♻️ Refill") is None
    refill = max(shop.sim.refills)
    shop.sim.set_refill(refill, "Completed")
    assert await shop.app.tracker.sync_refills() == 1
    card = await open_card(shop, ivy, order.id)
    assert "♻️ Refill requested" in text_of(card) and "completed" in text_of(card)
    assert card.find_button("♻️ Refill") is not None  # a new refill may be asked again
