"""After an order is placed: the tracker follows it, refunds exactly once, and people are told."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provider.models import OrderRequest
from storage.orders import NewOrder, Stage
from tests.fake_telegram import Person
from tests.harness import ShopBot

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
    await shop.fake.wait_for(lambda: "placed" in person.last_message.text or None, 5)
    orders = await shop.app.shop.orders.for_user(person.user_id)
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
    assert "168" in message.text
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
    assert "0.51025 USD" in message.text
    assert "843" in message.text
    assert await shop.balance(bob) == Decimal("6.75") + Decimal("0.51025")
    await shop.app.tracker.sync_once()
    assert await shop.balance(bob) == Decimal("7.26025")
    order = (await shop.app.shop.orders.for_user(bob.user_id))[0]
    assert order.stage is Stage.PARTIAL
    assert order.refunded == Decimal("0.51025")


async def test_canceled_refunds_everything_once(shop: ShopBot) -> None:
    cid = await shop.customer(balance="10")
    panel_id = await placed_order(shop, cid, "https://youtu.be/cancel")
    shop.sim.set_order(panel_id, status="Canceled")
    await shop.app.tracker.sync_once()
    message = await shop.expect(cid, "canceled")
    assert "3.25 USD" in message.text
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
    order = (await shop.app.shop.orders.for_user(dan.user_id))[0]
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
            order_id = await app.shop.orders.create(
                tx,
                NewOrder(eve.user_id, 14, "Likes", "Default", f"https://instagram.com/p/{i}",
                         10, Decimal("0.01"), f"bulk-{i}"),
            )  # fmt: skip
            await app.shop.orders.set_placed(tx, order_id, panel_id)
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
    order = (await shop.app.shop.orders.for_user(fay.user_id))[0]
    assert order.stage is Stage.PENDING
    assert await shop.balance(fay) == Decimal("6.75")
    await shop.app.tracker.sync_once()
    assert await shop.balance(fay) == Decimal("10")
