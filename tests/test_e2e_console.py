"""The owner's console (issue 6), end to end: dashboard, people, pricing rules, visibility,
refunds by hand, alerts, exports, backups and broadcasts, and that nobody else can use it."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import sqlite3
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.broadcaster import BroadcastFollower
from shop.console import ConsoleError
from shop.formatting import format_money
from storage.orders import OrderRecord, Stage
from tests.fake_telegram import BotMessage, Person, utf16_length
from tests.harness import ShopBot, eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

SUSPENDED = "Your account is suspended"
_links = itertools.count(1)


# ---- helpers ------------------------------------------------------------------------------------


async def to_confirm(shop: ShopBot, person: Person, link: str, quantity: int = 1000) -> BotMessage:
    """Service 1 ("Youtube views") through the conversation up to the confirm screen."""
    link = f"{link}-{next(_links)}"  # the panel refuses a second active order for a link
    if not any(message.find_button("🛒 Services") for message in person.messages):
        await shop.press(person, "🏠 Menu")
    await shop.press(person, "🛒 Services")
    await person.click("Youtube (", match="contains")
    await person.wait_reply()
    await person.click("Youtube views", match="contains")
    await person.wait_reply()
    await shop.press(person, "🛒 Order")
    await shop.ask(person, link)
    confirm = await shop.ask(person, str(quantity))
    assert confirm.find_button("✅ Confirm") is not None, confirm.content
    return confirm


async def placed_order(shop: ShopBot, person: Person, link: str, quantity: int = 1000) -> int:
    """An order placed through the conversation; returns the panel's order id."""
    await to_confirm(shop, person, link, quantity)
    await person.click("✅ Confirm")
    await shop.fake.wait_for(lambda: "placed" in person.last_message.content or None, 15)
    orders = await shop.app.books.orders.for_user(person.user_id)
    panel_id = orders[0].panel_order_id
    assert panel_id is not None
    return panel_id


async def last_order(shop: ShopBot, person: Person) -> OrderRecord:
    return (await shop.app.books.orders.for_user(person.user_id))[0]


async def notifications_for(shop: ShopBot, chat_id: int, fragment: str = "") -> list[str]:
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ? AND instr(text, ?) > 0 ORDER BY id",
        (chat_id, fragment),
    )
    return [row["text"] for row in rows]


def delivered(shop: ShopBot, chat_id: int, fragment: str) -> list[BotMessage]:
    """Messages sent (not edited) to `chat_id` whose text contains `fragment`."""
    return [
        call.message
        for call in shop.fake.calls_of("sendMessage")
        if call.ok
        and call.message is not None
        and call.message.chat_id == chat_id
        and fragment in call.message.content
    ]


async def card_price(shop: ShopBot, person: Person | None = None) -> str:
    """Service 1's card as a customer (by default a new one, who is not rate limited) sees it."""
    card = await shop.open_service(person or await shop.customer(), "Youtube (", "Youtube views")
    return card.content


async def document_reply(shop: ShopBot, person: Person, text: str) -> BotMessage:
    reply = await shop.ask(person, text)
    assert reply.document is not None, reply.content
    return reply


def csv_rows(message: BotMessage) -> tuple[list[str], list[dict[str, str]]]:
    assert message.document is not None
    reader = csv.DictReader(io.StringIO(message.document.content.decode("utf-8")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


async def state_snapshot(shop: ShopBot) -> tuple[Any, ...]:
    """Everything a console command could change, to check that nothing did."""
    db = shop.app.db
    queries = [
        # Not the owner's row: sending any command registers them.
        f"SELECT id, balance, banned, blocked_bot FROM users WHERE id <> {shop.admin.user_id}"
        " ORDER BY id",
        "SELECT * FROM ledger ORDER BY id",
        "SELECT * FROM markup_rules ORDER BY scope, target",
        "SELECT id, hidden FROM services WHERE hidden ORDER BY id",
        "SELECT id, hidden FROM categories WHERE hidden ORDER BY id",
        "SELECT * FROM settings ORDER BY 1",
        "SELECT * FROM broadcasts ORDER BY id",
        "SELECT id, chat_id, text FROM notifications ORDER BY id",
        "SELECT id, status, refunded FROM orders ORDER BY id",
        "SELECT * FROM alerts_sent ORDER BY kind",
        "SELECT * FROM resellers ORDER BY user_id",
    ]
    snapshot = []
    for query in queries:
        snapshot.append([tuple(row) for row in await db.fetchall(query)])
    return tuple(snapshot)


# ---- who may use it -----------------------------------------------------------------------------


NON_ADMIN_COMMANDS = [
    "/admin",
    "/user {victim}",
    "/user @{username}",
    "/ban {victim}",
    "/unban {banned}",
    "/markup",
    "/markup 50",
    "/markup 45 category Youtube",
    "/markup 10 service 1",
    "/markup reset category Youtube",
    "/hide 1",
    "/show 1",
    "/hide category Youtube",
    "/orders_of {victim}",
    "/refund {order}",
    "/refund {order} 1",
    "/alerts",
    "/alerts balance 5000",
    "/alerts balance off",
    "/export orders",
    "/export users",
    "/backup",
    "/broadcast Free money for everyone",
    "/broadcast cancel",
    "/broadcast",
    "/resellers",
    "/reseller {victim} 50",
    "/api_grant {victim}",
    "/api_revoke {victim}",
]


async def test_the_console_looks_unknown_to_everyone_else(shop: ShopBot) -> None:
    victim = await shop.customer(balance="10", username="victim_user")
    await placed_order(shop, victim, "https://youtu.be/console-victim")
    order = await last_order(shop, victim)
    banned = await shop.customer()
    await shop.app.books.users.set_banned(banned.user_id, True)
    eve = await shop.customer(balance="3")
    unknown = await shop.ask(eve, "/nonsense_cmd")
    assert "don't know" in unknown.content
    documents = len(shop.fake.calls_of("sendDocument"))
    balance_calls = shop.sim.request_counts["balance"]
    for template in NON_ADMIN_COMMANDS:
        command = template.format(
            victim=victim.user_id, banned=banned.user_id, username="victim_user", order=order.id
        )
        someone = await shop.customer(balance="3")  # a fresh one each time: no flood limit
        before = await state_snapshot(shop)
        reply = await shop.ask(someone, command)
        assert (reply.content, reply.buttons) == (unknown.content, unknown.buttons), command
        await shop.wait_idle()
        assert await state_snapshot(shop) == before, command
    assert len(shop.fake.calls_of("sendDocument")) == documents
    assert shop.sim.request_counts["balance"] == balance_calls
    assert delivered(shop, victim.chat_id, "Free money") == []


async def test_forged_console_buttons_look_expired_to_everyone_else(shop: ShopBot) -> None:
    victim = await shop.customer(balance="10")
    eve = await shop.customer(balance="3")
    await shop.ask(eve, "/start")
    expired = await eve.wait_answer(await eve.click_data("zz:nothing"))
    before = await state_snapshot(shop)
    documents = len(shop.fake.calls_of("sendDocument"))
    for data in (
        "adm:backup",
        "adm:export_orders",
        "adm:dashboard",
        f"au:ban:{victim.user_id}",
        f"au:credit:{eve.user_id}",
    ):
        answer = await eve.wait_answer(await eve.click_data(data))
        assert answer.get("text") == expired.get("text"), data
    # Had the credit button worked, this amount would now be credited to eve.
    reply = await shop.ask(eve, "100")
    assert reply.content.startswith("🔎")  # a search for "100", not an amount to credit
    await shop.wait_idle()
    assert await state_snapshot(shop) == before
    assert len(shop.fake.calls_of("sendDocument")) == documents


# ---- dashboard ----------------------------------------------------------------------------------


async def test_dashboard_shows_figures_and_its_buttons_work(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    await placed_order(shop, ann, "https://youtu.be/console-dashboard")
    await shop.app.tracker.sync_once()  # learns the panel's charge
    board = await shop.ask(shop.admin, "/admin")
    text = board.content
    assert "Dashboard" in text
    assert "Users: 2" in text  # ann and the owner
    assert "Today: 1 order " in text
    assert "Revenue 3.25 USD" in text
    assert "panel cost 2.50 USD" in text and "margin 0.75 USD" in text
    assert f"Panel balance: {format_money(shop.sim.balance, 'USD')}" in text
    assert "Unconfirmed orders: 0" in text
    assert board.buttons == [
        ["⏳ Unconfirmed", "💹 Markup rules"],
        ["📤 Export orders", "💾 Backup"],
        ["🔄 Refresh"],
    ]

    await shop.customer()  # one more user: the refreshed dashboard differs
    refreshed = await shop.press(shop.admin, "🔄 Refresh")
    assert refreshed.is_edit and refreshed.message_id == board.message_id
    assert "Users: 3" in refreshed.content
    query = await shop.admin.click("🔄 Refresh")  # nothing changed: still answered
    await shop.admin.wait_answer(query)

    listing = await shop.press(shop.admin, "⏳ Unconfirmed")
    assert "No unconfirmed orders" in listing.content
    rules = await shop.press(shop.admin, "💹 Markup rules")
    assert "30%" in rules.content and "Usage" in rules.content
    export = await shop.press(shop.admin, "📤 Export orders")
    assert export.document is not None and export.document.filename == "orders.csv"
    backup = await shop.press(shop.admin, "💾 Backup")
    assert backup.document is not None
    assert backup.document.content.startswith(b"SQLite format 3")


async def test_dashboard_says_when_the_panel_is_down(shop: ShopBot) -> None:
    shop.sim.inject_fault("http500", count=10)
    try:
        board = await shop.ask(shop.admin, "/admin")
    finally:
        shop.sim.clear_faults()
    assert "Panel balance: ❌ not answering" in board.content
    assert "demo" not in board.content  # the panel key never shows


# ---- people -------------------------------------------------------------------------------------


async def test_user_profile_by_id_and_username(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10", username="Ann_Buyer", first_name="Ann <&>")
    await placed_order(shop, ann, "https://youtu.be/console-profile")
    order = await last_order(shop, ann)
    profile = await shop.ask(shop.admin, f"/user {ann.user_id}")
    text = profile.content
    assert "Ann <&>" in text and "@Ann_Buyer" in text and str(ann.user_id) in text
    assert "Balance: 6.75 USD" in text and "orders: 1" in text
    assert f"#{order.id} pending" in text and "Youtube views" in text
    assert "-3.25 USD" in text and "+10.00 USD" in text  # last balance changes
    assert profile.buttons == [["➕ Credit", "➖ Debit"], ["⛔ Ban"]]
    by_name = await shop.ask(shop.admin, "/user @ann_buyer")  # any case
    assert by_name.content == text


@pytest.mark.parametrize("args", ["", "abc", "@nobody_here", "123", "99999999999999999999999"])
async def test_user_with_bad_arguments_gets_the_usage_line(shop: ShopBot, args: str) -> None:
    reply = await shop.ask(shop.admin, f"/user {args}".strip())
    assert "Usage: /user" in reply.content


async def test_credit_from_the_profile(shop: ShopBot) -> None:
    bob = await shop.customer(balance="2")
    await shop.ask(shop.admin, f"/user {bob.user_id}")
    prompt = await shop.press(shop.admin, "➕ Credit")
    assert "amount" in prompt.content
    nonsense = await shop.ask(shop.admin, "lots")
    assert "not an amount" in nonsense.content
    assert await shop.balance(bob) == Decimal("2")
    done = await shop.ask(shop.admin, "10.50 welcome bonus")
    assert "12.50 USD" in done.content
    assert await shop.balance(bob) == Decimal("12.50")
    told = await shop.expect(bob, "10.50 USD")
    assert "welcome bonus" in told.content
    # The input step is over: a number now is just a message.
    await shop.ask(shop.admin, "7")
    assert await shop.balance(bob) == Decimal("12.50")


async def test_debit_from_the_profile(shop: ShopBot) -> None:
    bob = await shop.customer(balance="12.50")
    await shop.ask(shop.admin, f"/user {bob.user_id}")
    await shop.press(shop.admin, "➖ Debit")
    refused = await shop.ask(shop.admin, "20")
    assert "Cannot debit more" in refused.content
    assert await shop.balance(bob) == Decimal("12.50")
    await shop.press(shop.admin, "➖ Debit")
    done = await shop.ask(shop.admin, "2.5")
    assert "10.00 USD" in done.content
    assert await shop.balance(bob) == Decimal("10")

    await shop.press(shop.admin, "➕ Credit")
    cancelled = await shop.ask(shop.admin, "/cancel")
    assert "Cancelled" in cancelled.content
    await shop.ask(shop.admin, "5")
    assert await shop.balance(bob) == Decimal("10")


async def test_another_admin_command_ends_the_amount_step(shop: ShopBot) -> None:
    dan = await shop.customer(balance="1")
    await shop.ask(shop.admin, f"/user {dan.user_id}")
    await shop.press(shop.admin, "➕ Credit")
    await shop.ask(shop.admin, "/admin")
    await shop.ask(shop.admin, "5")  # no longer an amount for anyone
    assert await shop.balance(dan) == Decimal("1")


async def test_ban_from_the_profile_button(shop: ShopBot) -> None:
    cid = await shop.customer()
    await shop.ask(shop.admin, f"/user {cid.user_id}")
    query = await shop.admin.click("⛔ Ban")
    answer = await shop.admin.wait_answer(query)
    assert "banned" in answer["text"]
    await shop.fake.wait_for(lambda: shop.admin.last_message.find_button("✅ Unban"))
    assert (await shop.ask(cid, "/start")).content.startswith(SUSPENDED)
    query = await shop.admin.click("✅ Unban")
    await shop.admin.wait_answer(query)
    await shop.fake.wait_for(lambda: shop.admin.last_message.find_button("⛔ Ban"))
    assert "Hello" in (await shop.ask(cid, "/start")).content


async def test_a_banned_user_gets_one_line_and_their_orders_still_complete(
    shop: ShopBot,
) -> None:
    dan = await shop.customer(balance="20", username="dan_banned")
    panel_id = await placed_order(shop, dan, "https://youtu.be/console-banned")
    running = await last_order(shop, dan)
    reply = await shop.ask(shop.admin, "/ban @dan_banned")
    assert "banned" in reply.content and str(dan.user_id) in reply.content
    user = await shop.app.books.users.get(dan.user_id)
    assert user is not None and user.banned
    for text in ("/start", "hello", "/nonsense_cmd"):
        since = shop.mark()
        reply = await shop.ask(dan, text)
        assert reply.content.startswith(SUSPENDED), text
        await shop.wait_idle()
        replies = [
            call for call in shop.fake.calls[since:] if call.params.get("chat_id") == dan.chat_id
        ]
        assert len(replies) == 1, text  # one polite line, nothing else
    query = await dan.click("🏠 Menu")
    answer = await dan.wait_answer(query)
    assert answer["text"].startswith(SUSPENDED) and answer.get("show_alert")

    # Their running order still completes, with its refund.
    shop.sim.set_order(panel_id, status="Partial", remains=500)
    await shop.app.tracker.sync_once()
    order = await shop.app.books.orders.get(running.id)
    assert order is not None and order.stage is Stage.PARTIAL
    assert await shop.balance(dan) == Decimal("16.75") + Decimal("1.625")

    reply = await shop.ask(shop.admin, f"/unban {dan.user_id}")
    assert "unbanned" in reply.content
    assert "Hello" in (await shop.ask(dan, "/start")).content
    services = await shop.press(dan, "🛒 Services")
    assert services.find_button("Youtube (", match="contains") is not None


async def test_a_banned_user_cannot_confirm_an_order_prepared_before(shop: ShopBot) -> None:
    eli = await shop.customer(balance="20")
    await to_confirm(shop, eli, "https://youtu.be/console-banned-confirm")
    await shop.ask(shop.admin, f"/ban {eli.user_id}")
    query = await eli.click("✅ Confirm")
    answer = await eli.wait_answer(query)
    assert answer["text"].startswith(SUSPENDED) and answer.get("show_alert")
    assert await shop.app.books.orders.count_for_user(eli.user_id) == 0
    assert await shop.balance(eli) == Decimal("20")
    adds = shop.sim.request_counts["add"]
    await shop.wait_idle()
    assert shop.sim.request_counts["add"] == adds


async def test_the_owner_cannot_lock_themselves_out(shop: ShopBot) -> None:
    await shop.ask(shop.admin, "/start")
    refused = await shop.ask(shop.admin, f"/ban {shop.admin.user_id}")
    assert refused.content.startswith("⚠️"), refused.content
    await shop.ask(shop.admin, f"/user {shop.admin.user_id}")
    answer = await shop.admin.wait_answer(await shop.admin.click("⛔ Ban"))
    assert "cannot" in answer["text"]
    owner = await shop.app.books.users.get(shop.admin.user_id)
    assert owner is not None and not owner.banned
    board = await shop.ask(shop.admin, "/admin")
    assert "Dashboard" in board.content


@pytest.mark.parametrize("command", ["/ban", "/unban", "/orders_of"])
@pytest.mark.parametrize("args", ["", "abc", "@nobody_here", "123"])
async def test_people_commands_with_bad_arguments_get_the_usage_line(
    shop: ShopBot, command: str, args: str
) -> None:
    await shop.customer()
    before = await state_snapshot(shop)
    reply = await shop.ask(shop.admin, f"{command} {args}".strip())
    assert f"Usage: {command}" in reply.content
    assert await state_snapshot(shop) == before


async def test_orders_of_lists_a_users_orders(shop: ShopBot) -> None:
    eve = await shop.customer(balance="10", username="eve_orders")
    await placed_order(shop, eve, "https://youtu.be/console-orders-of")
    order = await last_order(shop, eve)
    listing = await shop.ask(shop.admin, "/orders_of @eve_orders")
    assert f"#{order.id} pending · Youtube views · 1,000 · 3.25 USD" in listing.content
    fay = await shop.customer()
    empty = await shop.ask(shop.admin, f"/orders_of {fay.user_id}")
    assert "none" in empty.content


# ---- pricing and visibility ---------------------------------------------------------------------


async def test_markup_rules_most_specific_wins_and_prices_follow(shop: ShopBot) -> None:
    gus = await shop.customer(balance="10")
    assert "3.25 USD per 1,000" in await card_price(shop, gus)  # 2.5 + the default 30 %
    listing = await shop.ask(shop.admin, "/markup")
    assert "30%" in listing.content and "No category or service rules" in listing.content

    steps = [
        ("/markup 50", "3.75 USD"),
        ("/markup 45 category Youtube", "3.625 USD"),
        ("/markup 10 service 1", "2.75 USD"),
        ("/markup 60", "2.75 USD"),  # the service's own rule still wins
        ("/markup reset service 1", "3.625 USD"),  # back to the category's
        ("/markup reset category Youtube", "4.00 USD"),  # back to everything's
    ]
    for command, price in steps:
        reply = await shop.ask(shop.admin, command)
        assert reply.content.startswith("✅"), (command, reply.content)
        assert f"{price} per 1,000" in await card_price(shop), command

    again = await shop.ask(shop.admin, "/markup reset category Youtube")
    assert "no such rule" in again.content
    await shop.ask(shop.admin, "/markup 12.5 service 1")
    listing = await shop.ask(shop.admin, "/markup")
    assert "60%" in listing.content
    assert "service Youtube views (1): 12.5%" in listing.content
    # The price the customer confirms is the one the rule makes.
    await shop.press(gus, "🛒 Order")
    await shop.ask(gus, "https://youtu.be/console-markup")
    confirm = await shop.ask(gus, "1000")
    assert "2.8125 USD" in confirm.content


async def test_a_category_name_may_have_spaces_and_any_case(shop: ShopBot) -> None:
    spaced = await shop.ask(shop.admin, "/markup 20 category twitter / x")
    assert "Twitter / X" in spaced.content
    twitter = await shop.app.catalog.offer(33)
    assert twitter is not None and twitter.markup_percent == Decimal(20)
    await shop.ask(shop.admin, "/hide category  Website Traffic ")
    assert await shop.app.catalog.offer(39) is None
    reset = await shop.ask(shop.admin, "/markup reset category Twitter / X")
    assert "removed" in reset.content
    twitter = await shop.app.catalog.offer(33)
    assert twitter is not None and twitter.markup_percent == Decimal(30)


async def test_a_category_rule_does_not_touch_a_similarly_named_category(shop: ShopBot) -> None:
    """The panel has both "Youtube" (service 1) and "YouTube" (services 3-12)."""
    await shop.ask(shop.admin, "/markup 100 category YouTube")
    youtube_1 = await shop.app.catalog.offer(1)
    youtube_3 = await shop.app.catalog.offer(3)
    assert youtube_1 is not None and youtube_3 is not None
    assert youtube_3.markup_percent == Decimal(100)
    assert youtube_1.markup_percent == Decimal(30)
    await shop.ask(shop.admin, "/markup 50 category Youtube")
    youtube_1 = await shop.app.catalog.offer(1)
    youtube_3 = await shop.app.catalog.offer(3)
    assert youtube_1 is not None and youtube_3 is not None
    assert (youtube_1.markup_percent, youtube_3.markup_percent) == (Decimal(50), Decimal(100))
    await shop.ask(shop.admin, "/hide category YouTube")
    assert await shop.app.catalog.offer(1) is not None
    assert await shop.app.catalog.offer(3) is None


@pytest.mark.parametrize(
    "args",
    [
        "abc",
        "-5",
        "10001",
        "45 category",
        "45 group Youtube",
        "45 category No Such Category",
        "45 service 99999",
        "45 service abc",
        "abc category Youtube",
        "reset category No Such Category",
        "reset",
    ],
)
async def test_bad_markup_arguments_get_the_usage_line(shop: ShopBot, args: str) -> None:
    before = await state_snapshot(shop)
    reply = await shop.ask(shop.admin, f"/markup {args}")
    assert "Usage: /markup" in reply.content
    assert await state_snapshot(shop) == before
    assert await shop.app.catalog.markup_percent() == Decimal(30)


async def test_hidden_services_are_not_listed_nor_orderable(shop: ShopBot) -> None:
    hal = await shop.customer(balance="10")
    confirm = await to_confirm(shop, hal, "https://youtu.be/console-hidden")
    reply = await shop.ask(shop.admin, "/hide 1")
    assert "Youtube views" in reply.content and "hidden" in reply.content
    assert await shop.app.catalog.offer(1) is None

    # The confirm screen shown before the service was hidden charges nothing.
    assert confirm.find_button("✅ Confirm") is not None
    await hal.click("✅ Confirm")
    gone = await shop.expect(hal, "no longer available")
    assert "Nothing was charged" in gone.content
    assert await shop.balance(hal) == Decimal("10")
    assert await shop.app.books.orders.count_for_user(hal.user_id) == 0

    # Category "Youtube" has no other service: it is not listed any more.
    services = await shop.press(await shop.customer(), "🛒 Services")
    assert services.find_button("Youtube (", match="contains") is None

    shown = await shop.ask(shop.admin, "/show 1")
    assert "shown again" in shown.content
    assert "3.25 USD per 1,000" in await card_price(shop)


async def test_hiding_a_category_hides_its_services(shop: ShopBot) -> None:
    ivy = await shop.customer(balance="10")
    await to_confirm(shop, ivy, "https://youtu.be/console-hidden-category")
    reply = await shop.ask(shop.admin, "/hide category Youtube")
    assert "Category Youtube is hidden" in reply.content
    assert await shop.app.catalog.offer(1) is None
    assert await shop.app.catalog.offer(3) is not None  # "YouTube" is another category
    await ivy.click("✅ Confirm")
    await shop.expect(ivy, "no longer available")
    assert await shop.balance(ivy) == Decimal("10")
    services = await shop.press(await shop.customer(), "🛒 Services")
    assert services.find_button("Youtube (", match="contains") is None
    assert services.find_button("YouTube (", match="contains") is not None

    shown = await shop.ask(shop.admin, "/show category Youtube")
    assert "shown again" in shown.content
    assert "3.25 USD per 1,000" in await card_price(shop)


@pytest.mark.parametrize("command", ["/hide", "/show"])
@pytest.mark.parametrize(
    "args", ["", "abc", "99999", "-1", "1 2", "category", "category Nowhere", "99999999999999"]
)
async def test_hide_with_bad_arguments_gets_the_usage_line(
    shop: ShopBot, command: str, args: str
) -> None:
    before = await state_snapshot(shop)
    reply = await shop.ask(shop.admin, f"{command} {args}".strip())
    assert "Usage: /hide" in reply.content
    assert await state_snapshot(shop) == before


# ---- refunds by hand ----------------------------------------------------------------------------


async def test_refund_by_hand_applies_once_and_the_user_is_told(shop: ShopBot) -> None:
    jon = await shop.customer(balance="10")
    panel_id = await placed_order(shop, jon, "https://youtu.be/console-refund")
    order = await last_order(shop, jon)
    too_much = await shop.ask(shop.admin, f"/refund {order.id} 3.26")
    assert "at most 3.25" in too_much.content
    assert await shop.balance(jon) == Decimal("6.75")

    reply = await shop.ask(shop.admin, f"/refund #{order.id} 1")
    assert f"Refunded 1.00 USD for order #{order.id}" in reply.content
    assert await shop.balance(jon) == Decimal("7.75")
    told = await shop.expect(jon, "refunded")
    assert "1.00 USD" in told.content and f"#{order.id}" in told.content

    again = await shop.ask(shop.admin, f"/refund {order.id}")
    assert again.content.startswith("⚠️") and "already" in again.content
    again = await shop.ask(shop.admin, f"/refund {order.id} 0.5")
    assert again.content.startswith("⚠️")
    assert await shop.balance(jon) == Decimal("7.75")
    rows = await shop.app.db.fetchall(
        "SELECT amount FROM ledger WHERE kind = 'admin_refund' AND reference = ?", (str(order.id),)
    )
    assert [row["amount"] for row in rows] == [1_000_000]
    assert len(await notifications_for(shop, jon.chat_id, "refunded")) == 1

    # When the panel cancels it later, only what is left is refunded: 3.25 in all.
    shop.sim.set_order(panel_id, status="Canceled")
    await shop.app.tracker.sync_once()
    await shop.expect(jon, "canceled")
    assert await shop.balance(jon) == Decimal("10")
    refreshed = await shop.app.books.orders.get(order.id)
    assert refreshed is not None and refreshed.refunded == Decimal("3.25")
    full = await shop.ask(shop.admin, f"/refund {order.id}")
    assert "fully refunded" in full.content
    assert await shop.balance(jon) == Decimal("10")


async def test_refund_in_full_without_an_amount(shop: ShopBot) -> None:
    kim = await shop.customer(balance="10")
    await placed_order(shop, kim, "https://youtu.be/console-refund-full")
    order = await last_order(shop, kim)
    reply = await shop.ask(shop.admin, f"/refund {order.id}")
    assert "Refunded 3.25 USD" in reply.content
    assert await shop.balance(kim) == Decimal("10")
    await shop.expect(kim, "3.25 USD")
    board = await shop.ask(shop.admin, "/admin")
    assert "refunds 3.25 USD" in board.content


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("", "Usage: /refund"),
        ("abc", "Usage: /refund"),
        ("{id} abc", "Usage: /refund"),
        ("{id} -1", "Usage: /refund"),
        ("{id} 0", "Usage: /refund"),
        ("{id} 1e2", "Usage: /refund"),
        ("{id} 1 2", "Usage: /refund"),
        ("999999", "no order #999999"),
    ],
)
async def test_refund_with_bad_arguments_is_refused(
    shop: ShopBot, args: str, complaint: str
) -> None:
    lea = await shop.customer(balance="10")
    await placed_order(shop, lea, "https://youtu.be/console-refund-bad")
    order = await last_order(shop, lea)
    before = await state_snapshot(shop)
    reply = await shop.ask(shop.admin, f"/refund {args.format(id=order.id)}".strip())
    assert complaint in reply.content
    assert await state_snapshot(shop) == before


async def test_refund_by_hand_racing_the_tracker_refunds_at_most_the_price(
    shop: ShopBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel's cancel is applied by the tracker while /refund is being worked out."""
    max_ = await shop.customer(balance="10")
    panel_id = await placed_order(shop, max_, "https://youtu.be/console-refund-race")
    order = await last_order(shop, max_)
    shop.sim.set_order(panel_id, status="Canceled")
    catalog = shop.app.catalog
    currency = catalog.currency
    raced = False

    async def currency_while_the_tracker_runs() -> str:
        nonlocal raced
        if not raced:
            raced = True
            await shop.app.tracker.sync_once()  # refunds the whole 3.25 meanwhile
        return await currency()

    monkeypatch.setattr(catalog, "currency", currency_while_the_tracker_runs)
    with contextlib.suppress(ConsoleError):  # "already fully refunded" is a fine answer
        await shop.app.services.credits.refund_order(order.id, None)
    assert raced
    refreshed = await shop.app.books.orders.get(order.id)
    assert refreshed is not None and refreshed.refunded == Decimal("3.25")
    assert await shop.balance(max_) == Decimal("10")


# ---- alerts -------------------------------------------------------------------------------------


async def test_panel_balance_alert_at_most_hourly(shop: ShopBot) -> None:
    shown = await shop.ask(shop.admin, "/alerts")
    assert "off" in shown.content
    reply = await shop.ask(shop.admin, "/alerts balance 5000")
    assert "5,000.00 USD" in reply.content
    assert "5,000.00 USD" in (await shop.ask(shop.admin, "/alerts")).content
    await shop.app.health.check()
    alert = await shop.expect(shop.admin, "panel balance")
    assert format_money(shop.sim.balance, "USD") in alert.content
    assert "5,000.00 USD" in alert.content
    await shop.app.health.check()  # within the hour: nothing more
    assert len(await notifications_for(shop, shop.admin.chat_id, "panel balance")) == 1

    off = await shop.ask(shop.admin, "/alerts balance off")
    assert "off" in off.content
    assert await shop.app.health.threshold() is None
    assert "off" in (await shop.ask(shop.admin, "/alerts")).content


async def test_no_alert_when_the_balance_is_above_the_threshold(shop: ShopBot) -> None:
    await shop.ask(shop.admin, "/alerts balance 10")
    await shop.app.health.check()
    assert await notifications_for(shop, shop.admin.chat_id, "panel balance") == []


async def test_panel_unreachable_for_five_minutes_alerts_once(shop: ShopBot) -> None:
    shop.sim.inject_fault("http500", count=10)
    try:
        await shop.app.health.check()  # the first failure: no alert yet
        assert "main" in shop.app.health.down_since
        assert await notifications_for(shop, shop.admin.chat_id, "not answered") == []
        shop.app.health.down_since["main"] = time.monotonic() - 301
        await shop.app.health.check()
        alert = await shop.expect(shop.admin, "not answered")
        assert "5 minutes" in alert.content and "demo" not in alert.content
        await shop.app.health.check()
    finally:
        shop.sim.clear_faults()
    assert len(await notifications_for(shop, shop.admin.chat_id, "not answered")) == 1
    await shop.app.health.check()
    assert "main" not in shop.app.health.down_since


@pytest.mark.parametrize(
    "args", ["balance", "balance abc", "balance -5", "balance 0", "limit 5", "balance 5 6", "x"]
)
async def test_alerts_with_bad_arguments_get_the_usage_line(shop: ShopBot, args: str) -> None:
    before = await state_snapshot(shop)
    reply = await shop.ask(shop.admin, f"/alerts {args}")
    assert "Usage: /alerts" in reply.content
    assert await state_snapshot(shop) == before


# ---- exports and backups ------------------------------------------------------------------------


async def test_exports_are_csv_with_money_as_decimal_text(shop: ShopBot) -> None:
    mia = await shop.customer(balance="10")
    await placed_order(shop, mia, "https://youtu.be/console-export")
    order = await last_order(shop, mia)

    orders = await document_reply(shop, shop.admin, "/export orders")
    assert orders.document is not None and orders.document.filename == "orders.csv"
    header, rows = csv_rows(orders)
    assert {"id", "user_id", "price", "refunded", "status"} <= set(header)
    (row,) = [r for r in rows if r["id"] == str(order.id)]
    assert (row["user_id"], row["price"], row["status"]) == (str(mia.user_id), "3.25", "pending")

    users = await document_reply(shop, shop.admin, "/export users")
    header, rows = csv_rows(users)
    assert {"id", "balance"} <= set(header)
    (row,) = [r for r in rows if r["id"] == str(mia.user_id)]
    assert row["balance"] == "6.75"

    ledger = await document_reply(shop, shop.admin, "/export ledger")
    header, rows = csv_rows(ledger)
    assert {"user_id", "amount", "kind"} <= set(header)
    mine = [(r["kind"], r["amount"]) for r in rows if r["user_id"] == str(mia.user_id)]
    assert ("credit", "10.00") in mine
    assert any(amount == "-3.25" for _, amount in mine), mine


@pytest.mark.parametrize("args", ["", "secrets", "orders users", "notifications"])
async def test_export_with_bad_arguments_gets_the_usage_line(shop: ShopBot, args: str) -> None:
    reply = await shop.ask(shop.admin, f"/export {args}".strip())
    assert reply.document is None
    assert "Usage: /export" in reply.content


async def test_backup_is_a_working_sqlite_database(shop: ShopBot, tmp_path: Path) -> None:
    nat = await shop.customer(balance="4.5")
    reply = await document_reply(shop, shop.admin, "/backup")
    assert reply.document is not None
    assert reply.document.content.startswith(b"SQLite format 3")
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(reply.document.content)
    connection = sqlite3.connect(copy)
    try:
        balance = connection.execute(
            "SELECT balance FROM users WHERE id = ?", (nat.user_id,)
        ).fetchone()
    finally:
        connection.close()
    assert balance == (4_500_000,)


# ---- broadcasts ---------------------------------------------------------------------------------


async def progress_message_shows(shop: ShopBot, broadcast_id: int, fragment: str) -> str:
    """Runs the progress follower once (it runs every 3 s in the app, which may be first),
    then waits until the broadcast's progress message contains `fragment`. -> its text"""
    await BroadcastFollower(shop.app.bot, shop.app.console, every=0).update_once()
    progress = await shop.app.console.broadcasts.progress(broadcast_id)
    assert progress is not None and progress.progress_message_id is not None
    message_id = progress.progress_message_id

    def shown() -> str | None:
        text = next(m.content for m in shop.admin.messages if m.message_id == message_id)
        return text if fragment in text else None

    return await shop.fake.wait_for(shown, what=f"{fragment!r} in the progress message")


async def latest_broadcast(shop: ShopBot) -> int:
    broadcast_id: int = await shop.app.db.fetchval("SELECT MAX(id) FROM broadcasts")
    return broadcast_id


async def test_broadcast_reaches_everyone_once(shop: ShopBot) -> None:
    ann, bob, cid = [await shop.customer() for _ in range(3)]
    cid.block()
    await shop.ask(shop.admin, "/start")
    started = await shop.ask(shop.admin, "/broadcast Big sale <today> & tomorrow!")
    assert "started" in started.content and "4 people" in started.content  # with the owner
    broadcast_id = await latest_broadcast(shop)
    text = "Big sale <today> & tomorrow!"
    for person in (ann, bob, shop.admin):
        assert (await shop.expect(person, "Big sale")).content == text

    async def finished() -> bool:
        progress = await shop.app.console.broadcasts.progress(broadcast_id)
        return progress is not None and progress.pending == 0

    await eventually(finished)
    shown = await progress_message_shows(shop, broadcast_id, "done")
    assert "Sent: 3" in shown and "blocked: 1" in shown, shown
    assert "waiting: 0" in shown
    for person in (ann, bob, shop.admin):
        assert len(delivered(shop, person.chat_id, "Big sale")) == 1
    assert delivered(shop, cid.chat_id, "Big sale") == []
    user = await shop.app.books.users.get(cid.user_id)
    assert user is not None and user.blocked_bot
    # Who blocked the bot is not counted in the next one.
    await shop.ask(shop.admin, "/broadcast Second news")
    progress = await shop.app.console.broadcasts.progress(await latest_broadcast(shop))
    assert progress is not None and progress.total == 3


def message_from(person: Person, **content: Any) -> dict[str, Any]:
    """A message update's body from `person` (what Person.send builds), with any content."""
    chat = person.fake.get_chat(person.chat_id)
    message_id = chat.next_message_id()
    chat.user_message_ids.add(message_id)
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": person.chat,
        "from": person.user,
        **content,
    }


def broadcast_reply_to(person: Person, replied: dict[str, Any]) -> dict[str, Any]:
    entity = {"type": "bot_command", "offset": 0, "length": len("/broadcast")}
    return message_from(person, text="/broadcast", entities=[entity], reply_to_message=replied)


async def test_broadcast_a_replied_message_with_its_formatting(shop: ShopBot) -> None:
    ann = await shop.customer()
    admin = shop.admin
    text = "Weekend sale: 20% off <now> & more"
    bold = {"type": "bold", "offset": 0, "length": utf16_length("Weekend sale")}
    original = message_from(admin, text=text, entities=[bold])
    admin.push("message", original)
    await admin.wait_reply()  # typed outside any step: searched for
    admin.push("message", broadcast_reply_to(admin, original))
    started = await admin.wait_reply()
    assert "started" in started.content
    received = await shop.expect(ann, "Weekend sale")
    assert received.content == text
    assert bold in received.entities


async def test_broadcast_of_a_reply_to_a_photo_without_caption_gets_the_usage(
    shop: ShopBot,
) -> None:
    admin = shop.admin
    size = {"file_id": "AgAC-x", "file_unique_id": "x", "width": 90, "height": 90}
    photo = message_from(admin, photo=[size])
    admin.push("message", photo)
    await admin.wait_reply()
    admin.push("message", broadcast_reply_to(admin, photo))
    reply = await admin.wait_reply()
    assert "Usage: /broadcast" in reply.content
    assert await shop.app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_broadcast_a_replied_photo_caption(shop: ShopBot) -> None:
    ann = await shop.customer()
    admin = shop.admin
    size = {"file_id": "AgAC-y", "file_unique_id": "y", "width": 90, "height": 90}
    photo = message_from(admin, photo=[size], caption="New arrivals today")
    admin.push("message", photo)
    await admin.wait_reply()
    admin.push("message", broadcast_reply_to(admin, photo))
    assert "started" in (await admin.wait_reply()).content
    await shop.expect(ann, "New arrivals today")


@pytest.mark.parametrize("text", ["/broadcast", "/broadcast    "])
async def test_broadcast_without_text_gets_the_usage_line(shop: ShopBot, text: str) -> None:
    reply = await shop.ask(shop.admin, text)
    assert "Usage: /broadcast" in reply.content
    assert await shop.app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_a_too_long_broadcast_is_refused(shop: ShopBot) -> None:
    reply = await shop.ask(shop.admin, "/broadcast " + "x" * 4001)
    assert "too long" in reply.content
    assert await shop.app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


def gate_notifier(
    shop: ShopBot, monkeypatch: pytest.MonkeyPatch
) -> tuple[asyncio.Event, Callable[[], int]]:
    """Hold the notifier before its next round until the event is set; count finished rounds."""
    notifier = shop.app.notifier
    original: Callable[[], Awaitable[int]] = notifier.deliver_due
    gate = asyncio.Event()
    rounds = 0

    async def gated() -> int:
        nonlocal rounds
        await gate.wait()
        handled = await original()
        rounds += 1
        return handled

    monkeypatch.setattr(notifier, "deliver_due", gated)
    shop.app.books.outbox.added.set()  # an idle notifier wakes up and waits at the gate
    return gate, lambda: rounds


async def test_broadcast_cancel_drops_what_is_pending(
    shop: ShopBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [await shop.customer() for _ in range(3)]
    await shop.ask(shop.admin, "/start")
    gate, rounds = gate_notifier(shop, monkeypatch)
    started = await shop.ask(shop.admin, "/broadcast Flash sale")
    assert "4 people" in started.content
    broadcast_id = await latest_broadcast(shop)
    await shop.admin.send("/broadcast cancel")
    await shop.expect(shop.admin, "Canceled 1")
    progress = await shop.app.console.broadcast_progress(broadcast_id)
    assert progress is not None
    assert (progress.status, progress.pending, progress.sent) == ("canceled", 0, 0)
    gate.set()

    async def a_round_done() -> bool:  # a whole round that looked after the cancel
        return rounds() >= 1

    await eventually(a_round_done)
    for person in [*people, shop.admin]:
        assert delivered(shop, person.chat_id, "Flash sale") == []
    shown = await progress_message_shows(shop, broadcast_id, "canceled")
    assert "Sent: 0" in shown and "waiting: 0" in shown, shown
    nothing = await shop.ask(shop.admin, "/broadcast cancel")
    assert "No broadcast is running" in nothing.content


async def test_broadcast_cancel_stops_a_round_already_under_way(
    shop: ShopBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [await shop.customer() for _ in range(4)]
    notifier = shop.app.notifier
    pace = notifier._pace
    gate = asyncio.Event()
    paced = 0

    async def held_pace() -> None:  # the first message of the round goes, then it waits
        nonlocal paced
        paced += 1
        if paced > 1:
            await gate.wait()
        await pace()

    monkeypatch.setattr(notifier, "_pace", held_pace)
    await shop.ask(shop.admin, "/broadcast Clearance")
    broadcast_id = await latest_broadcast(shop)
    await shop.fake.wait_for(lambda: paced >= 2 or None)
    await shop.ask(shop.admin, "/broadcast cancel")
    gate.set()
    bystander = shop.person()  # never wrote to the bot: not among the recipients
    marker = await shop.app.books.outbox.enqueue(bystander.chat_id, "marker after the round")
    await shop.expect(bystander, "marker after the round")
    got = [p for p in [*people, shop.admin] if delivered(shop, p.chat_id, "Clearance")]
    assert len(got) <= 1, f"{len(got)} people got a canceled broadcast"
    rows = await shop.app.db.fetchall(
        "SELECT sent_at, dropped FROM notifications WHERE broadcast_id = ? AND id < ?",
        (broadcast_id, marker),
    )
    assert not [row for row in rows if row["sent_at"] and row["dropped"]]


async def test_a_person_who_unblocks_the_bot_gets_the_next_broadcast(shop: ShopBot) -> None:
    ann = await shop.customer()
    ann.block()
    await shop.ask(shop.admin, "/broadcast First news")
    first = await latest_broadcast(shop)

    async def marked() -> bool:
        user = await shop.app.books.users.get(ann.user_id)
        return user is not None and user.blocked_bot

    await eventually(marked)
    ann.unblock()
    assert "Hello" in (await shop.ask(ann, "/start")).content  # they are back
    # The admin receives the first broadcast too: wait for the second one's own reply.
    await shop.admin.send("/broadcast Second news")
    await shop.expect(shop.admin, "Broadcast #2")
    second = await shop.app.console.broadcasts.progress(await latest_broadcast(shop))
    assert second is not None and second.id > first
    assert second.total == 2  # ann and the owner
    await shop.expect(ann, "Second news")
