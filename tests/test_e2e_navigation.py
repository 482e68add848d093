"""Finding one's way: menus, paging, back buttons, orders and balance screens, odd updates."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from pathlib import Path

import pytest

from shop.catalog_panels import to_entry
from storage.catalog import CatalogEntry
from storage.orders import NewOrder
from tests.fake_telegram import BotMessage, Person
from tests.harness import ShopBot, World, running_bot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")
BOTH_MODES = True  # tests/conftest.py: over long polling, then over a webhook

MENU = {"🛒 Services", "📦 My orders", "💰 Balance", "❓ Help"}
_links = itertools.count(1)
_group_ids = itertools.count(-100_500_000_001, -1)


def new_link() -> str:
    return f"https://youtu.be/e2e-navigation-{next(_links)}"


def labels(message: BotMessage) -> list[str]:
    return [label for row in message.buttons for label in row]


def is_menu(message: BotMessage) -> bool:
    return set(labels(message)) >= MENU


async def place_order(shop: ShopBot, person: Person) -> BotMessage:
    """Youtube views x 1000 (3.25 USD)."""
    await shop.open_service(person, "Youtube (", "Youtube views")
    await shop.press(person, "🛒 Order")
    await shop.ask(person, new_link())
    await shop.ask(person, "1000")
    await person.click("✅ Confirm")
    return await shop.fake.wait_for(
        lambda: next((m for m in person.messages if "placed" in text_of(m)), None)
    )


# ---- menu and help -------------------------------------------------------------------------------


async def test_start_shows_the_menu(shop: ShopBot) -> None:
    ann = shop.person(first_name="Ann")
    reply = await shop.ask(ann, "/start")
    assert "Hello, Ann" in text_of(reply)
    assert is_menu(reply)


async def test_a_persons_name_is_shown_as_typed(shop: ShopBot) -> None:
    odd = shop.person(first_name="<b>Bo & Co</b>")
    reply = await shop.ask(odd, "/start")
    assert "<b>Bo & Co</b>" in text_of(reply)
    assert "&lt;b&gt;Bo &amp; Co&lt;/b&gt;" in (reply.raw_text or "")


async def test_help_command_and_button(shop: ShopBot) -> None:
    ann = await shop.customer()
    reply = await shop.ask(ann, "/help")
    assert "How ordering works" in text_of(reply) and "/cancel" in text_of(reply)
    assert labels(reply) == ["🌐 Language", "🏠 Menu"]
    home = await shop.press(ann, "🏠 Menu")
    assert is_menu(home)
    shown = await shop.press(ann, "❓ Help")
    assert "How ordering works" in text_of(shown)
    assert shown.message_id == home.message_id  # the menu was edited, not repeated


# ---- browsing --------------------------------------------------------------------------------


async def test_categories_page_forward_and_back(shop: ShopBot) -> None:
    ann = await shop.customer()
    first = await shop.ask(ann, "/services")
    names = labels(first)
    assert names[:3] == ["Youtube (1)", "Facebook (5)", "YouTube (10)"]
    assert len([name for name in names if name.endswith(")")]) == 8
    assert names[-3:] == ["1/2", "Next ▶️", "🏠 Menu"]
    second = await shop.press(ann, "Next ▶️")
    assert second.message_id == first.message_id
    assert labels(second) == ["Website Traffic (1)", "◀️ Previous", "2/2", "🏠 Menu"]
    back = await shop.press(ann, "◀️ Previous")
    assert labels(back) == names
    # The page counter is a button too: pressing it is answered and changes nothing.
    query = await ann.click("1/2")
    await ann.wait_answer(query)
    assert labels(ann.last_message) == names


async def test_services_page_and_back_buttons(shop: ShopBot) -> None:
    ann = await shop.customer()
    await shop.press(ann, "🛒 Services")
    youtube = await shop.press(ann, "YouTube (10)")
    assert "YouTube" in text_of(youtube)
    assert "Next ▶️" in labels(youtube) and "⬅️ Categories" in labels(youtube)
    page_two = await shop.press(ann, "Next ▶️")
    assert [label for label in labels(page_two) if "Package" in label] == [
        "YouTube 1000 Views Package 📦",
        "YouTube Live Stream Views [1 Hour] Package",
    ]
    card = await shop.press(ann, "YouTube 1000 Views Package 📦")
    assert "per package" in text_of(card) and "Quantity" not in text_of(card)
    assert labels(card) == ["🛒 Order", "⬅️ Back", "🏠 Menu"]
    back = await shop.press(ann, "⬅️ Back")
    assert labels(back) == labels(page_two)  # back to the page the service was on
    categories = await shop.press(ann, "⬅️ Categories")
    assert "YouTube (10)" in labels(categories)
    home = await shop.press(ann, "🏠 Menu")
    assert is_menu(home)
    # Browsing edited one message all along.
    assert len([m for m in ann.messages if m.buttons]) == 1


async def test_panel_names_with_markup_characters_read_as_typed(shop: ShopBot) -> None:
    ann = await shop.customer()
    card = await shop.open_service(ann, "YouTube (", "Non Drop")
    assert "🔥 YouTube Views [Non Drop] & Fast <HQ>" in text_of(card)
    assert "&amp; Fast &lt;HQ&gt;" in (card.raw_text or "")
    assert "1,000,000" in text_of(card)  # the maximum reads well
    back = await shop.press(ann, "⬅️ Back")
    assert any("& Fast <HQ>" in label for label in labels(back))


async def test_categories_and_descriptions_with_markup_read_as_typed(shop: ShopBot) -> None:
    panel_services = [to_entry(service) for service in await shop.app.panel.services()]
    odd = CatalogEntry(
        id=9001,
        name="Fans <b>bold</b> & more",
        type="Default",
        category="Fans & <Friends>",
        rate=Decimal("1"),
        min_quantity=10,
        max_quantity=100,
        description="Fast & <i>safe</i> 100% <3",
    )
    await shop.app.catalog._repository.sync(
        [*panel_services, odd]
    )  # the bot's own: it remembers reads
    ann = await shop.customer()
    services = await shop.open_service(ann, "Fans & <Friends>", "Fans <b>")
    assert "Fans <b>bold</b> & more" in text_of(services)
    assert "Fans & <Friends>" in text_of(services)  # the category line of the card
    assert "Fast & <i>safe</i> 100% <3" in text_of(services)
    category = await shop.press(ann, "⬅️ Back")
    assert "Fans & <Friends>" in text_of(category)


async def test_panel_line_breaks_in_a_description_are_line_breaks(shop: ShopBot) -> None:
    """Panels write descriptions with <br>; shown escaped, a person would read "<br>"."""
    ann = await shop.customer()
    card = await shop.open_service(ann, "YouTube (", "Non Drop")
    assert "<br>" not in text_of(card)
    assert "Start: 0-1 hour\nSpeed: 10K/day" in text_of(card)


async def test_an_old_menu_whose_message_is_gone_still_answers(shop: ShopBot) -> None:
    ann = await shop.customer()
    query = await ann.click_data("m:services", message_id=9_999)  # Telegram: inaccessible
    answer = await ann.wait_answer(query)
    assert answer.get("show_alert") is not True
    reply = await ann.wait_reply()
    assert "Choose a category" in text_of(reply)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("zzz", "expired"),
        ("c:99999:0", "no longer available"),
        ("s:99999:0", "no longer available"),
        ("os:99999", "no longer available"),
        ("o:99999:0", "not found"),
        ("or:99999:0", "not found"),
        ("cs:notanumber", "expired"),
    ],
)
async def test_stale_or_unknown_buttons_are_answered(shop: ShopBot, data: str, says: str) -> None:
    ann = await shop.customer()
    query = await ann.click_data(data)
    answer = await ann.wait_answer(query)
    assert says in (answer.get("text") or "")


# ---- orders and balance --------------------------------------------------------------------------


async def test_orders_list_and_card(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    empty = await shop.ask(ann, "/orders")
    assert "no orders" in text_of(empty)
    await place_order(shop, ann)
    order = (await shop.app.books.orders.for_user(ann.user_id))[0]
    listing = await shop.ask(ann, "/orders")
    assert "(1)" in text_of(listing)
    title = f"#{order.id} · Youtube views"
    assert any(title in label for label in labels(listing))
    query = await ann.click(title, match="contains")
    card = await ann.wait_reply()
    await ann.wait_answer(query)
    assert f"Order #{order.id}" in text_of(card)
    assert "3.25 USD" in text_of(card) and "1,000" in text_of(card) and order.link in text_of(card)
    assert "Pending" in text_of(card)
    assert labels(card) == ["🔄 Refresh", "⬅️ My orders", "🏠 Menu"]
    shop.sim.set_order(order.panel_order_id or 0, status="In progress", remains=400)
    query = await ann.click("🔄 Refresh")
    answer = await ann.wait_answer(query)
    assert answer.get("text")
    refreshed = ann.last_message
    assert "In progress" in text_of(refreshed) and "400" in text_of(refreshed)
    back = await shop.press(ann, "⬅️ My orders")
    assert any(title in label for label in labels(back))
    someone = await shop.customer()
    query = await someone.click_data(f"o:{order.id}:0")  # not theirs
    assert "not found" in (await someone.wait_answer(query))["text"]


async def test_orders_page_at_eight(shop: ShopBot) -> None:
    bob = await shop.customer()
    async with shop.app.db.transaction() as tx:
        for n in range(9):
            await shop.app.books.orders.create(
                tx,
                NewOrder(bob.user_id, 1, "Youtube views", "Default", f"https://youtu.be/p{n}",
                         1000, Decimal("3.25"), f"page-{bob.user_id}-{n}"),
            )  # fmt: skip
    first = await shop.ask(bob, "/orders")
    assert "(9)" in text_of(first)
    assert len([label for label in labels(first) if "#" in label]) == 8
    assert "#9 ·" in labels(first)[0]  # newest first
    second = await shop.press(bob, "Next ▶️")
    assert [label for label in labels(second) if "#" in label] == ["⏳ #1 · Youtube views"]
    assert "◀️ Previous" in labels(second)


async def test_balance_shows_movements_in_words(shop: ShopBot) -> None:
    cat = await shop.customer(balance="10")
    await place_order(shop, cat)
    order = (await shop.app.books.orders.for_user(cat.user_id))[0]
    panel_balance = shop.sim.balance
    shop.sim.set_balance(0)  # the next order is refused and refunded
    try:
        await place_order(shop, cat)
    finally:
        shop.sim.set_balance(panel_balance)
    refused = (await shop.app.books.orders.for_user(cat.user_id))[0]
    reply = await shop.ask(cat, "/balance")
    assert "6.75 USD" in text_of(reply)
    lines = text_of(reply).splitlines()
    assert any("+10.00 USD" in line and "Top-up" in line for line in lines)
    assert any("3.25 USD" in line and f"Order #{order.id}" in line for line in lines)
    assert any("3.25 USD" in line and f"Refund for order #{refused.id}" in line for line in lines)
    # Newest first.
    assert text_of(reply).index(f"Refund for order #{refused.id}") < text_of(reply).index("Top-up")
    home = await shop.press(cat, "🏠 Menu")
    shown = await shop.press(cat, "💰 Balance")
    assert shown.message_id == home.message_id and "6.75 USD" in text_of(shown)


async def test_balance_with_no_movements(shop: ShopBot) -> None:
    dan = await shop.customer()
    reply = await shop.ask(dan, "/balance")
    assert "0.00 USD" in text_of(reply) and "No movements" in text_of(reply)


# ---- updates the bot should leave alone ----------------------------------------------------------


async def test_a_group_chat_gets_no_reply(shop: ShopBot) -> None:
    ann = await shop.customer()
    group = {"id": next(_group_ids), "type": "group", "title": "Friends"}
    since = shop.mark()
    for n, text in enumerate(["hello", "/services", "/balance", "youtu.be/x"]):
        message = {
            "message_id": 1_000 + n,
            "date": int(time.time()),
            "chat": group,
            "from": ann.user,
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        shop.fake.push_update({"message": message})
    # A private message sent afterwards is answered: the group's updates were handled by then.
    await shop.ask(ann, "/help")
    to_group = [
        call for call in shop.fake.calls[since:] if call.params.get("chat_id") == group["id"]
    ]
    assert to_group == []


async def test_the_card_of_an_order_refused_for_panel_funds_reads_plainly(shop: ShopBot) -> None:
    """The panel's "not enough funds" is about the shop's panel account, not the customer's."""
    eve = await shop.customer(balance="10")
    panel_balance = shop.sim.balance
    shop.sim.set_balance(0)
    try:
        await place_order(shop, eve)
    finally:
        shop.sim.set_balance(panel_balance)
    order = (await shop.app.books.orders.for_user(eve.user_id))[0]
    await shop.ask(eve, "/orders")
    query = await eve.click(f"#{order.id} ·", match="contains")
    card = await eve.wait_reply()
    await eve.wait_answer(query)
    assert f"Order #{order.id}" in text_of(card) and "refunded" in text_of(card).lower()
    assert "not enough funds" not in text_of(card).lower()


async def test_help_names_the_support_contact_when_the_shop_set_one(
    shared_world: World, tmp_path: Path
) -> None:
    async with running_bot(shared_world, tmp_path, support_contact="@shop_help<") as shop:
        reply = await shop.ask(shop.person(), "/help")
        assert "Support: @shop_help<" in text_of(reply)  # escaped, shown as typed


async def test_help_has_no_support_line_when_none_is_set(shop: ShopBot) -> None:
    reply = await shop.ask(shop.person(), "/help")
    assert "Support:" not in text_of(reply)
