"""A person orders every service type over the fake Telegram; money and panel fields checked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.harness import ShopBot

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def open_service(shop: ShopBot, person, category: str, service_prefix: str):
    await shop.press(person, "🛒 Services")
    await person.click(category, match="contains")
    await person.wait_reply()
    await person.click(service_prefix, match="contains")
    card = await person.wait_reply()
    return card


async def test_default_order_start_to_finish(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    card = await open_service(shop, ann, "Youtube (", "Youtube views")
    assert "3.25 USD per 1,000" in card.text  # rate 2.5 + 30 %
    prompt = await shop.press(ann, "🛒 Order")
    assert "link" in prompt.text.lower()
    reply = await shop.ask(ann, "youtu.be/abc")
    assert "200" in reply.text and "10,000" in reply.text
    confirm = await shop.ask(ann, "1000")
    assert "3.25 USD" in confirm.text
    assert "6.75 USD" in confirm.text  # balance after
    placing = await shop.press(ann, "✅ Confirm")
    result = placing if "placed" in placing.text else await ann.wait_reply()
    assert "Order #" in result.text
    assert await shop.balance(ann) == Decimal("6.75")
    assert shop.sim.added[-1] == {
        "action": "add",
        "service": "1",
        "link": "https://youtu.be/abc",
        "quantity": "1000",
    } or {k: v for k, v in shop.sim.added[-1].items() if k != "action"} == {
        "service": "1",
        "link": "https://youtu.be/abc",
        "quantity": "1000",
    }
