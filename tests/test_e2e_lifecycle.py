"""After an order is placed: the tracker follows it, refunds exactly once, and people are told."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provider.models import OrderRequest
from storage.orders import NewOrder, Stage
from tests.fake_telegram import Person
from tests.harness import ShopBot, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def placed_order(shop: ShopBot, person: Person, link: str, quantity: int = 1000) -> int:
    """An order placed through the conversation; returns the panel's order id."""
    await shop.press(person, "🛒 Services")
    await person.click("Youtube (", match="contains")
    await person.wait_reply()
    await person.click("Youtube views", match="contains")
    await person.wait_reply()
    await shop.press(person, "🛒 Order")
    await shop.ask(person, link)
    await shop.ask(person, str(quantity))
    await person.click("✅ Confirm")
    await shop.fake.wait_for(lambda: "placed" in person.last_message.content or None, 15)
    orders = await shop.app.books.orders.for_user(person.user_id)
    panel_id = orders[0].panel_order_id
    assert panel_id is not None
    return panel_id


async def notifications_for(shop: ShopBot, person: Person) -> list[str]:
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? ORDER BY id", (person.user_id,)
    )
    return [row["text"] for row in rows]


async def test_completed_is_notified_once_and_refunds_nothing(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    panel_id = await placed_order(shop, ann, "https://youtu.be/done")
    assert await shop.balance(ann) == Decimal("6.75")
    shop.sim.set_order(panel_id, status="Completed", remains=-2, start_count=168)
    report = await shop.app.tracker.sync_once()
    assert report.finished == 1
    message = await shop.expect(ann, "completed")
    assert "168" in message.content
    await shop.app.tracker.sync_once()  # a repeated answer changes nothing
    assert len(await notifications_for(shop, ann)) == 1
    assert await shop.balance(ann) == Decimal("6.75")


async def test_partial_refunds_the_undelivered_share_once(shop: ShopBot) -> None:
    bob = await shop.customer(balance="10")
    panel_id = await placed_order(shop, bob, "https://youtu.be/partial")
    shop.sim.set_order(panel_id, status="Partial", remains=157)
    await shop.app.tracker.sync_once()
    message = await shop.expect(bob, "partially")
    # 3.25 x 157 / 1000 = 0.51025 refunded; 843 delivered
    assert "0.51025 USD" in message.content
    assert "843" in message.content
    assert await shop.balance(bob) == Decimal("6.75") + Decimal("0.51025")
    await shop.app.tracker.sync_once()
    assert await shop.balance(bob) == Decimal("7.26025")
    order = (await shop.app.books.orders.for_user(bob.user_id))[0]
    assert order.stage is Stage.PARTIAL
    assert order.refunded == Decimal("0.51025")


async def test_canceled_refunds_everything_once(shop: ShopBot) -> None:
    cid = await shop.customer(balance="10")
    panel_id = await placed_order(shop, cid, "https://youtu.be/cancel")
    shop.sim.set_order(panel_id, status="Canceled")
    await shop.app.tracker.sync_once()
    message = await shop.expect(cid, "canceled")
    assert "3.25 USD" in message.content
    assert await shop.balance(cid) == Decimal("10")
    await shop.app.tracker.sync_once()
    assert await shop.balance(cid) == Decimal("10")
    assert len(await notifications_for(shop, cid)) == 1


async def test_progress_is_silent(shop: ShopBot) -> None:
    dan = await shop.customer(balance="10")
    panel_id = await placed_order(shop, dan, "https://youtu.be/progress")
    shop.sim.set_order(panel_id, status="In progress", remains=500, start_count=10)
    report = await shop.app.tracker.sync_once()
    assert report.changed == 1
    assert await notifications_for(shop, dan) == []
    order = (await shop.app.books.orders.for_user(dan.user_id))[0]
    assert (order.stage, order.remains, order.start_count) == (Stage.IN_PROGRESS, 500, 10)


async def test_250_active_orders_take_3_requests_per_cycle(shop: ShopBot) -> None:
    eve = await shop.customer(balance="1000")
    app = shop.app
    panel_ids = [
        await app.panel.add(OrderRequest(14, f"https://instagram.com/p/{i}", quantity=10))
        for i in range(250)
    ]
    async with app.db.transaction() as tx:
        for i, panel_id in enumerate(panel_ids):
            order_id = await app.books.orders.create(
                tx,
                NewOrder(eve.user_id, 14, "Likes", "Default", f"https://instagram.com/p/{i}",
                         10, Decimal("0.01"), f"bulk-{i}"),
            )  # fmt: skip
            await app.books.orders.set_placed(tx, order_id, panel_id)
    shop.sim.reset_counters()
    report = await app.tracker.sync_once()
    assert report.orders == 250
    assert shop.sim.request_counts["status"] == 3
    assert sorted(shop.sim.multi_sizes["status"]) == [50, 100, 100]


async def test_panel_down_changes_nothing_then_recovers(shop: ShopBot) -> None:
    fay = await shop.customer(balance="10")
    panel_id = await placed_order(shop, fay, "https://youtu.be/down")
    shop.sim.set_order(panel_id, status="Canceled")
    for _ in range(2):
        shop.sim.inject_fault("http500", count=3)  # every retry of the cycle fails
        with pytest.raises(Exception, match="HTTP 500"):
            await shop.app.tracker.sync_once()
    order = (await shop.app.books.orders.for_user(fay.user_id))[0]
    assert order.stage is Stage.PENDING
    assert await shop.balance(fay) == Decimal("6.75")
    await shop.app.tracker.sync_once()
    assert await shop.balance(fay) == Decimal("10")


async def test_refill_requested_completed_and_notified(shop: ShopBot) -> None:
    gus = await shop.customer(balance="10")
    panel_id = await placed_order(shop, gus, "https://youtu.be/refill")  # service 1: refill yes
    shop.sim.set_order(panel_id, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    await shop.expect(gus, "completed")
    order_id = (await shop.app.books.orders.for_user(gus.user_id))[0].id
    await shop.ask(gus, "/orders")
    card = await shop.press(gus, f"✅ #{order_id} · Youtube views")
    assert card.find_button("♻️ Refill") is not None
    query = await gus.click("♻️ Refill")
    answer = await gus.wait_answer(query)
    assert "Refill requested" in answer["text"]
    refill = shop.sim.refills[max(shop.sim.refills)]
    assert refill.order == panel_id
    # A second press while one is pending does not reach the panel.
    before = shop.sim.request_counts["refill"]
    query = await gus.click_data(card.find_button("♻️ Refill")["callback_data"])  # type: ignore[index]
    answer = await gus.wait_answer(query)
    assert "already" in answer["text"]
    assert shop.sim.request_counts["refill"] == before
    shop.sim.set_refill(refill.id, "Completed")
    assert await shop.app.tracker.sync_refills() == 1
    await shop.expect(gus, "refill")
    assert await shop.app.tracker.sync_refills() == 0


async def test_refill_refused_by_the_panel_is_explained(shop: ShopBot) -> None:
    hal = await shop.customer(balance="10")
    panel_id = await placed_order(shop, hal, "https://youtu.be/norefill")
    shop.sim.set_order(panel_id, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    order = (await shop.app.books.orders.for_user(hal.user_id))[0]
    shop.sim.inject_fault("http500")
    result = await shop.app.services.order_requests.request_refill(order)
    assert "not answering" in getattr(result, "reason", "")
    order = (await shop.app.books.orders.for_user(hal.user_id))[0]
    assert await shop.app.books.refills.open_for_order(order.id) is None


async def test_unconfirmed_resolved_with_the_panel_order(shop: ShopBot) -> None:
    ivy = await shop.customer(balance="10")
    shop.sim.inject_fault("truncated")  # the panel creates the order but the answer is cut
    await shop.press(ivy, "🛒 Services")
    await ivy.click("Youtube (", match="contains")
    await ivy.wait_reply()
    await ivy.click("Youtube views", match="contains")
    await ivy.wait_reply()
    await shop.press(ivy, "🛒 Order")
    await shop.ask(ivy, "https://youtu.be/unsure")
    await shop.ask(ivy, "1000")
    await ivy.click("✅ Confirm")
    await shop.expect(ivy, "being checked")
    order = (await shop.app.books.orders.for_user(ivy.user_id))[0]
    assert order.stage is Stage.UNCONFIRMED
    assert await shop.balance(ivy) == Decimal("6.75")  # held, not refunded
    await shop.expect(shop.admin, f"#{order.id} is unconfirmed")
    listing = await shop.ask(shop.admin, "/unconfirmed")
    assert f"#{order.id}" in listing.content
    details = await shop.ask(shop.admin, f"/order {order.id}")
    assert "unconfirmed" in details.content
    panel_id = max(shop.sim.orders)
    reply = await shop.ask(shop.admin, f"/resolve {order.id} {panel_id}")
    assert str(panel_id) in reply.content
    shop.sim.set_order(panel_id, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    await shop.expect(ivy, "completed")
    again = await shop.ask(shop.admin, f"/resolve {order.id} refund")
    assert "not unconfirmed" in again.content
    assert await shop.balance(ivy) == Decimal("6.75")


async def test_unconfirmed_resolved_with_a_refund(shop: ShopBot) -> None:
    jon = await shop.customer(balance="10")
    shop.sim.inject_fault("html")
    await shop.press(jon, "🛒 Services")
    await jon.click("Youtube (", match="contains")
    await jon.wait_reply()
    await jon.click("Youtube views", match="contains")
    await jon.wait_reply()
    await shop.press(jon, "🛒 Order")
    await shop.ask(jon, "https://youtu.be/never")
    await shop.ask(jon, "1000")
    await jon.click("✅ Confirm")
    await shop.expect(jon, "being checked")
    order = (await shop.app.books.orders.for_user(jon.user_id))[0]
    await shop.expect(shop.admin, f"#{order.id} is unconfirmed")
    await shop.admin.send(f"/resolve {order.id} refund")
    await shop.expect(shop.admin, "refunded in full")
    await shop.expect(jon, "returned")
    assert await shop.balance(jon) == Decimal("10")
    twice = await shop.ask(shop.admin, f"/resolve {order.id} refund")
    assert "not unconfirmed" in twice.content
    assert await shop.balance(jon) == Decimal("10")
    usage = await shop.ask(shop.admin, "/resolve nonsense")
    assert "Usage" in usage.content


async def test_an_order_the_panel_lost_is_reported_once(shop: ShopBot) -> None:
    kim = await shop.customer(balance="10")
    panel_id = await placed_order(shop, kim, "https://youtu.be/lost")
    del shop.sim.orders[panel_id]  # the panel forgot it: "Incorrect order ID"
    for _ in range(4):
        await shop.app.tracker.sync_once()
    await shop.expect(shop.admin, "Incorrect order ID")
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? AND text LIKE '%Incorrect order ID%'",
        (shop.admin.user_id,),
    )
    assert len(rows) == 1
    order = (await shop.app.books.orders.for_user(kim.user_id))[0]
    assert order.stage is Stage.PENDING  # not silently dropped, not failed


async def test_stuck_orders_are_reported_once(shop: ShopBot) -> None:
    lea = await shop.customer(balance="10")
    await placed_order(shop, lea, "https://youtu.be/stuck")
    async with shop.app.db.transaction() as tx:
        await tx.execute("UPDATE orders SET updated_at = updated_at - 90000 WHERE user_id = ?",
                         (lea.user_id,))  # fmt: skip
    assert await shop.app.tracker.report_stuck() == 1
    assert await shop.app.tracker.report_stuck() == 0
    await shop.expect(shop.admin, "no progress")


async def test_a_blocked_user_is_marked_and_their_notifications_dropped(shop: ShopBot) -> None:
    max_ = await shop.customer(balance="10")
    panel_id = await placed_order(shop, max_, "https://youtu.be/blocked")
    max_.block()
    shop.sim.set_order(panel_id, status="Canceled")
    await shop.app.tracker.sync_once()
    assert await shop.balance(max_) == Decimal("10")  # the refund does not depend on delivery

    async def dropped() -> bool:
        row = await shop.app.db.fetchone(
            "SELECT dropped FROM notifications WHERE chat_id = ?", (max_.user_id,)
        )
        return row is not None and row["dropped"] is not None

    await eventually(dropped)
    user = await shop.app.books.users.get(max_.user_id)
    assert user is not None
    assert user.blocked_bot
