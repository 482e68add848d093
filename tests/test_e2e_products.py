"""Digital products end to end: browse, buy with the required information, get the result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storage.orders import OrderKind, Stage
from tests.fake_telegram import BotMessage, Person
from tests.harness import ShopBot

pytestmark = pytest.mark.asyncio(loop_scope="module")
NETFLIX = "Netflix premium 1 month"  # rate 2.5 per unit, requires an account, 40 in stock


async def open_product(shop: ShopBot, person: Person, category: str, name: str) -> BotMessage:
    await shop.ask(person, "/products")
    await person.click(category, match="contains")
    await person.wait_reply()
    await person.click(name, match="contains")
    return await person.wait_reply()


async def buy_netflix(shop: ShopBot, person: Person, quantity: int, account: str) -> BotMessage:
    card = await open_product(shop, person, "Netflix (", NETFLIX)
    assert "3.25 USD each" in card.content  # 2.5 + 30 %
    assert "Input your account" in card.content
    await shop.press(person, "🛒 Buy")
    prompt = await shop.ask(person, str(quantity))
    assert "Input your account" in prompt.content
    return await shop.ask(person, account)


async def latest_order(shop: ShopBot, person: Person):
    orders = await shop.app.books.orders.for_user(person.user_id)
    return orders[0]


async def test_buy_a_product_and_receive_its_result_once(shop: ShopBot) -> None:
    ann = await shop.customer(balance="20")
    typed = "ann@example.com  /  p@ss<1>&"
    confirm = await buy_netflix(shop, ann, 2, typed)
    assert "6.50 USD" in confirm.content
    assert typed in confirm.content
    await ann.click("✅ Confirm")
    await shop.expect(ann, "placed")
    assert await shop.balance(ann) == Decimal("13.50")
    order = await latest_order(shop, ann)
    assert order.kind is OrderKind.PRODUCT
    sim_order = shop.sim.product_orders[order.panel_order_id]
    assert sim_order.require == typed  # exactly as typed
    assert order.require_text == typed
    shop.sim.set_product_order(order.panel_order_id, status="Completed", result="KEY-1\nKEY-<2>")
    report = await shop.app.tracker.sync_products_once()
    assert report.finished == 1
    delivered = await shop.expect(ann, "delivered")
    assert "KEY-1\nKEY-<2>" in delivered.content
    assert "<pre>" in (delivered.raw_text or "")
    await shop.app.tracker.sync_products_once()
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ?", (ann.user_id,)
    )
    assert len(rows) == 1
    # The result can be shown again from the order card.
    await shop.ask(ann, "/orders")
    card = await shop.press(ann, f"✅ #{order.id} · 🎁 {NETFLIX}")
    assert "ann@example.com" in card.content
    await ann.click("🎁 Show the result")
    again = await shop.expect(ann, "KEY-1")
    assert "KEY-<2>" in again.content


async def test_out_of_stock_is_refused_without_calling_the_panel(shop: ShopBot) -> None:
    bob = await shop.customer(balance="20")
    card = await open_product(shop, bob, "Youtube (", "Youtube premium")
    assert "Out of stock" in card.content
    assert card.find_button("🛒 Buy") is None
    before = shop.sim.request_counts["add_product_order"]
    query = await bob.click_data("op:2")  # a forged or old Buy button
    answer = await bob.wait_answer(query)
    assert "out of stock" in answer["text"]
    assert shop.sim.request_counts["add_product_order"] == before
    assert await shop.balance(bob) == Decimal("20")


async def test_sold_out_between_browsing_and_confirming_is_refunded(shop: ShopBot) -> None:
    cid = await shop.customer(balance="20")
    await buy_netflix(shop, cid, 1, "cid@example.com")
    shop.sim.set_product_stock(1, 0)  # the panel sold out meanwhile; our cache does not know
    try:
        await cid.click("✅ Confirm")
        refused = await shop.expect(cid, "refused")
        assert "back on your balance" in refused.content
    finally:
        shop.sim.set_product_stock(1, 40)
    assert await shop.balance(cid) == Decimal("20")
    order = await latest_order(shop, cid)
    assert order.stage is Stage.FAILED


async def test_partial_and_canceled_refunds(shop: ShopBot) -> None:
    dan = await shop.customer(balance="20")
    await buy_netflix(shop, dan, 4, "dan@example.com")
    await dan.click("✅ Confirm")
    await shop.expect(dan, "placed")
    partial = await latest_order(shop, dan)  # 4 x 3.25 = 13.00
    await buy_netflix(shop, dan, 1, "dan2@example.com")
    await dan.click("✅ Confirm")
    await shop.expect(dan, "placed")
    canceled = await latest_order(shop, dan)  # 3.25
    assert await shop.balance(dan) == Decimal("3.75")
    shop.sim.set_product_order(
        partial.panel_order_id, status="Partial", remains=1, result="A\nB\nC"
    )
    shop.sim.set_product_order(canceled.panel_order_id, status="Canceled", note="Out of stock")
    await shop.app.tracker.sync_products_once()
    await shop.app.tracker.sync_products_once()
    assert await shop.balance(dan) == Decimal("3.75") + Decimal("3.25") + Decimal("3.25")
    texts = [row["text"] for row in await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? ORDER BY id", (dan.user_id,))]  # fmt: skip
    assert len(texts) == 2
    assert any("3 of 4" in text and "A\nB\nC" in text for text in texts)
    assert any("Out of stock" in text and "3.25 USD" in text for text in texts)


async def test_a_long_result_is_split_across_messages(shop: ShopBot) -> None:
    eve = await shop.customer(balance="20")
    await buy_netflix(shop, eve, 1, "eve@example.com")
    await eve.click("✅ Confirm")
    await shop.expect(eve, "placed")
    order = await latest_order(shop, eve)
    lines = [f"code-{n:05d}-" + "x" * 40 for n in range(200)]  # about 10,000 characters
    shop.sim.set_product_order(order.panel_order_id, status="Completed", result="\n".join(lines))
    await shop.app.tracker.sync_products_once()
    first = await shop.expect(eve, "delivered")
    parts = [first]
    while "code-00199" not in parts[-1].content:
        parts.append(await eve.wait_reply())
    assert len(parts) >= 3
    assert all(len(part.content) <= 4096 for part in parts)
    joined = "\n".join(part.content for part in parts)
    assert all(line in joined for line in lines)


async def test_a_price_change_before_confirming_is_shown_not_charged(shop: ShopBot) -> None:
    fay = await shop.customer(balance="20")
    confirm = await buy_netflix(shop, fay, 1, "fay@example.com")
    assert "3.25 USD" in confirm.content
    await shop.app.catalog.set_markup_percent(Decimal(100))
    try:
        await fay.click("✅ Confirm")
        changed = await shop.expect(fay, "price has changed")
        assert "5.00 USD" in changed.content
        assert await shop.balance(fay) == Decimal("20")
        await fay.click("✅ Confirm")
        await shop.expect(fay, "placed")
        assert await shop.balance(fay) == Decimal("15")
    finally:
        await shop.app.catalog.set_markup_percent(Decimal(30))
