"""The owner's commands, and that nobody else can use them or even tell they exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.formatting import format_money
from tests.harness import ShopBot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    "command",
    [
        "/credit {me} 5",
        "/debit {me} 1",
        "/markup 50",
        "/markup",
        "/health",
        "/sync",
        "/credit",
        "/resolve 1 refund",
    ],
)
async def test_admin_commands_look_unknown_to_others(shop: ShopBot, command: str) -> None:
    eve = await shop.customer(balance="3")
    unknown = await shop.ask(eve, "/nonsense")
    adds = shop.sim.request_counts["add"]
    syncs = shop.sim.request_counts["services"]
    balance_calls = shop.sim.request_counts["balance"]
    reply = await shop.ask(eve, command.format(me=eve.user_id))
    assert (text_of(reply), reply.buttons) == (text_of(unknown), unknown.buttons)
    assert await shop.balance(eve) == Decimal("3")
    assert await shop.app.catalog.markup_percent() == Decimal(30)
    counts = shop.sim.request_counts
    assert (counts["add"], counts["services"], counts["balance"]) == (adds, syncs, balance_calls)


async def test_credit_a_user_who_is_told(shop: ShopBot) -> None:
    ann = await shop.customer()
    since = shop.mark()
    reply = await shop.ask(shop.admin, f"/credit {ann.user_id} 5.5 welcome <bonus> & more")
    assert "5.50 USD" in text_of(reply) and str(ann.user_id) in text_of(reply)
    assert await shop.balance(ann) == Decimal("5.5")
    told = await shop.sent_to(ann.chat_id, "5.50 USD", since)
    assert "welcome <bonus> & more" in text_of(told)
    shown = await shop.ask(ann, "/balance")
    assert "5.50 USD" in text_of(shown) and "Top-up" in text_of(shown)


async def test_credit_by_username(shop: ShopBot) -> None:
    bob = await shop.customer(username="bob_the_buyer")
    reply = await shop.ask(shop.admin, "/credit @bob_the_buyer 2")
    assert "2.00 USD" in text_of(reply)
    assert await shop.balance(bob) == Decimal("2")


async def test_debit_more_than_the_balance_is_refused(shop: ShopBot) -> None:
    cat = await shop.customer(balance="3")
    reply = await shop.ask(shop.admin, f"/debit {cat.user_id} 3.01")
    assert "3.00 USD" in text_of(reply)  # what there is
    assert await shop.balance(cat) == Decimal("3")
    reply = await shop.ask(shop.admin, f"/debit {cat.user_id} 1.25 correction")
    assert "1.25 USD" in text_of(reply) and "1.75 USD" in text_of(reply)
    assert await shop.balance(cat) == Decimal("1.75")
    shown = await shop.ask(cat, "/balance")
    assert "Adjustment" in text_of(shown)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("", "Usage"),
        ("{id}", "Usage"),
        ("{id} abc", "not an amount"),
        ("{id} -5", "not an amount"),
        ("{id} 0", "not an amount"),
        ("{id} 1e3", "not an amount"),
        ("{id} 1.1234567", "not an amount"),
        ("{id} NaN", "not an amount"),
        ("123 5", "No user"),
        ("@nobody_here 5", "No user"),
        ("99999999999999999999999 5", "No user"),
    ],
)
async def test_bad_credit_arguments_get_the_usage_line(
    shop: ShopBot, args: str, complaint: str
) -> None:
    dan = await shop.customer(balance="1")
    for command in ("/credit", "/debit"):
        text = f"{command} {args.format(id=dan.user_id)}".strip()
        reply = await shop.ask(shop.admin, text)
        assert complaint in text_of(reply)
        assert f"Usage: {command}" in text_of(reply)
    assert await shop.balance(dan) == Decimal("1")


async def test_markup_changes_prices_at_once(shop: ShopBot) -> None:
    fay = await shop.customer(balance="10")
    card = await shop.open_service(fay, "Youtube (", "Youtube views")
    assert "3.25 USD per 1,000" in text_of(card)
    shown = await shop.ask(shop.admin, "/markup")
    assert "30%" in text_of(shown)
    reply = await shop.ask(shop.admin, "/markup 50")
    assert "50%" in text_of(reply)
    card = await shop.open_service(fay, "Youtube (", "Youtube views")
    assert "3.75 USD per 1,000" in text_of(card)  # 2.5 + 50 %
    shown = await shop.ask(shop.admin, "/markup")
    assert "50%" in text_of(shown)
    await shop.press(fay, "🛒 Order")
    await shop.ask(fay, "https://youtu.be/e2e-admin-markup")
    confirm = await shop.ask(fay, "1000")
    assert "3.75 USD" in text_of(confirm) and "6.25 USD" in text_of(confirm)


@pytest.mark.parametrize("bad", ["abc", "-5", "10001", "1e2", "50%%"])
async def test_a_bad_markup_is_refused(shop: ShopBot, bad: str) -> None:
    reply = await shop.ask(shop.admin, f"/markup {bad}")
    assert "Usage: /markup" in text_of(reply)
    assert await shop.app.catalog.markup_percent() == Decimal(30)


async def test_provider_shows_the_panel_balance(shop: ShopBot) -> None:
    reply = await shop.ask(shop.admin, "/health")
    assert format_money(shop.sim.balance, "USD") in text_of(reply)
    assert "39" in text_of(reply)  # services in the catalog


async def test_provider_says_when_the_panel_is_down(shop: ShopBot) -> None:
    shop.sim.inject_fault("http500", count=5)
    try:
        reply = await shop.ask(shop.admin, "/health")
    finally:
        shop.sim.clear_faults()
    assert "not answering" in text_of(reply)
    assert "demo" not in text_of(reply)  # the panel key never shows


async def test_sync_reports_counts(shop: ShopBot) -> None:
    syncs = shop.sim.request_counts["services"]
    await shop.admin.send("/sync")
    report = await shop.fake.wait_for(
        lambda: shop.admin.last_message if "synced" in text_of(shop.admin.last_message) else None
    )
    assert "0 services added" in text_of(report) and "0 removed" in text_of(report)
    assert shop.sim.request_counts["services"] == syncs + 1
