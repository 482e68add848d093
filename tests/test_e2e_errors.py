"""Wrong input keeps a person at the same step with a helpful line; ways out of the flow; a 429."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from shop.catalog_panels import to_entry
from tests.fake_telegram import BotMessage, Person
from tests.harness import ShopBot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

_links = itertools.count(1)


def new_link() -> str:
    return f"https://youtu.be/e2e-errors-{next(_links)}"


async def at_link_step(shop: ShopBot, person: Person, category: str, service: str) -> None:
    await shop.open_service(person, category, service)
    await shop.press(person, "🛒 Order")


async def at_quantity_step(shop: ShopBot, person: Person) -> None:
    """Youtube views (min 200, max 10,000), link given."""
    await at_link_step(shop, person, "Youtube (", "Youtube views")
    reply = await shop.ask(person, new_link())
    assert "How many" in text_of(reply)


async def photo_reply(person: Person) -> BotMessage:
    await person.send_photo(caption="1000")
    return await person.wait_reply()


def is_confirm_card(message: BotMessage) -> bool:
    return message.find_button("✅ Confirm") is not None


# ---- bad input at each step ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["not a link", "🔥🔥", "javascript:alert(1)", "http://", "https://exa mple.com", "youtu"],
)
async def test_a_bad_link_keeps_the_link_step(shop: ShopBot, bad: str) -> None:
    ann = await shop.customer(balance="10")
    await at_link_step(shop, ann, "Youtube (", "Youtube views")
    reply = await shop.ask(ann, bad)
    assert "not a link" in text_of(reply) and "https://" in text_of(reply)
    assert reply.find_button("✖️ Cancel") is not None
    reply = await shop.ask(ann, new_link())
    assert "How many" in text_of(reply)


async def test_a_photo_at_the_link_step_asks_for_text(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    await at_link_step(shop, ann, "Youtube (", "Youtube views")
    reply = await photo_reply(ann)
    assert "text" in text_of(reply)
    reply = await shop.ask(ann, new_link())
    assert "How many" in text_of(reply)


@pytest.mark.parametrize(
    ("bad", "hint"),
    [
        ("1e9", "whole number"),
        ("-5", "positive"),
        ("12.5", "whole number"),
        ("abc", "whole number"),
        ("100", "minimum"),
        ("20000", "maximum"),
        ("10,001", "maximum"),
        ("99999999999999999999", "maximum"),
        ("🔥", "whole number"),
        ("0", "positive"),
        ("", "whole number"),
    ],
)
async def test_a_bad_quantity_keeps_the_quantity_step(shop: ShopBot, bad: str, hint: str) -> None:
    bob = await shop.customer(balance="10")
    await at_quantity_step(shop, bob)
    reply = await shop.ask(bob, bad or " ")
    assert hint in text_of(reply)
    assert "200" in text_of(reply) and "10,000" in text_of(reply)  # what is allowed
    assert not is_confirm_card(reply)
    reply = await shop.ask(bob, "1,000")
    assert is_confirm_card(reply)
    assert "3.25 USD" in text_of(reply)


async def test_a_photo_at_the_quantity_step_asks_for_text(shop: ShopBot) -> None:
    bob = await shop.customer(balance="10")
    await at_quantity_step(shop, bob)
    reply = await photo_reply(bob)
    assert "text" in text_of(reply) and not is_confirm_card(reply)
    reply = await shop.ask(bob, "1000")
    assert is_confirm_card(reply)


async def test_bad_comments_keep_the_comments_step(shop: ShopBot) -> None:
    """Facebook comments: from 10 to 1,500 lines."""
    cat = await shop.customer(balance="10")
    await at_link_step(shop, cat, "Facebook (", "Facebook comments")
    await shop.ask(cat, new_link())

    too_few = await shop.ask(cat, "one\ntwo\n\nthree\nfour\nfive")
    assert "5" in text_of(too_few) and "10" in text_of(too_few) and "1,500" in text_of(too_few)
    too_many = await shop.ask(cat, "\n".join(f"c{n}" for n in range(1501)))
    assert "1,501" in text_of(too_many) and "1,500" in text_of(too_many)
    blank = await shop.ask(cat, "\n \n\t\n")
    assert "0" in text_of(blank) and "10" in text_of(blank)
    long_line = await shop.ask(cat, "x" * 1001 + "\n" + "\n".join("ok" for _ in range(10)))
    assert "too long" in text_of(long_line) and "1,000" in text_of(long_line)
    photo = await photo_reply(cat)
    assert "text" in text_of(photo)
    for reply in (too_few, too_many, blank, long_line, photo):
        assert not is_confirm_card(reply)
        assert reply.find_button("✖️ Cancel") is not None

    confirm = await shop.ask(cat, "\n".join(f"nice {n}" for n in range(10)))
    assert is_confirm_card(confirm)
    assert "10 comments" in text_of(confirm)


async def test_an_empty_list_keeps_the_list_step(shop: ShopBot) -> None:
    """Special (1DG): quantity then a list of at least one line."""
    dan = await shop.customer(balance="10")
    await at_link_step(shop, dan, "YouTube (", "Keyword Search")
    await shop.ask(dan, new_link())
    await shop.ask(dan, "100")
    blank = await shop.ask(dan, "\n   \n")
    assert "0" in text_of(blank) and "1" in text_of(blank)
    assert not is_confirm_card(blank)
    emoji = await shop.ask(dan, "🔥")  # a keyword may be anything, even an emoji
    assert is_confirm_card(emoji)


async def test_special_1_needs_both_lists(shop: ShopBot) -> None:
    eve = await shop.customer(balance="10")
    await at_link_step(shop, eve, "YouTube (", "Suggest & Search Mix")
    await shop.ask(eve, new_link())
    await shop.ask(eve, "100")
    empty_suggest = await shop.ask(eve, " \n ")
    assert "line" in text_of(empty_suggest) and not is_confirm_card(empty_suggest)
    search_prompt = await shop.ask(eve, "https://youtu.be/a")
    assert "search" in text_of(search_prompt).lower()
    photo = await photo_reply(eve)
    assert "text" in text_of(photo) and not is_confirm_card(photo)
    confirm = await shop.ask(eve, "cats")
    assert is_confirm_card(confirm)


async def test_text_at_the_confirm_step_points_at_the_buttons(shop: ShopBot) -> None:
    fay = await shop.customer(balance="10")
    await at_quantity_step(shop, fay)
    await shop.ask(fay, "1000")
    reply = await shop.ask(fay, "yes please")
    assert "Confirm" in text_of(reply)
    reply = await photo_reply(fay)
    assert "Confirm" in text_of(reply)
    await fay.click("✅ Confirm")
    await shop.fake.wait_for(lambda: any("placed" in text_of(m) for m in fay.messages) or None)
    assert await shop.balance(fay) == Decimal("6.75")


# ---- leaving the flow ----------------------------------------------------------------------------


async def assert_out_of_the_flow(shop: ShopBot, person: Person) -> None:
    """Text that would have been the next step's answer is now what the person looks for."""
    reply = await shop.ask(person, "1000")
    assert "Results for «1000»" in text_of(reply)  # a search, not the step
    assert not is_confirm_card(reply)
    assert await shop.app.books.orders.for_user(person.user_id) == []


async def test_cancel_command_mid_flow(shop: ShopBot) -> None:
    gus = await shop.customer(balance="10")
    await at_quantity_step(shop, gus)
    reply = await shop.ask(gus, "/cancel")
    assert "Cancelled" in text_of(reply)
    await assert_out_of_the_flow(shop, gus)
    again = await shop.ask(gus, "/cancel")
    assert "nothing to cancel" in text_of(again)


async def test_cancel_button_at_the_link_step(shop: ShopBot) -> None:
    hal = await shop.customer(balance="10")
    await at_link_step(shop, hal, "Youtube (", "Youtube views")
    reply = await shop.press(hal, "✖️ Cancel")
    assert "Cancelled" in text_of(reply)
    assert reply.find_button("🛒 Services") is not None
    reply = await shop.ask(hal, new_link())  # no longer a link step
    assert "How many" not in text_of(reply)
    assert reply.find_button("🛒 Services") is not None


async def test_an_earlier_orders_cancel_button_leaves_the_current_order_alone(
    shop: ShopBot,
) -> None:
    jay = await shop.customer(balance="10")
    await at_quantity_step(shop, jay)
    old_cancel = jay.last_message.find_button("✖️ Cancel")
    assert old_cancel is not None
    await shop.ask(jay, "/services")  # leaves that order half done, starts another
    await at_quantity_step(shop, jay)
    query = await jay.click_data(old_cancel["callback_data"])
    answer = await jay.wait_answer(query)
    assert "earlier order" in answer["text"]
    card = await shop.ask(jay, "1000")  # still at the new order's quantity step
    assert card.find_button("✅ Confirm") is not None


async def test_cancel_button_after_a_bad_input(shop: ShopBot) -> None:
    ivy = await shop.customer(balance="10")
    await at_quantity_step(shop, ivy)
    await shop.ask(ivy, "abc")
    reply = await shop.press(ivy, "✖️ Cancel")
    assert "Cancelled" in text_of(reply)
    await assert_out_of_the_flow(shop, ivy)


async def test_cancel_on_the_confirm_card_then_a_late_confirm(shop: ShopBot) -> None:
    jon = await shop.customer(balance="10")
    await at_quantity_step(shop, jon)
    card = await shop.ask(jon, "1000")
    confirm = card.find_button("✅ Confirm")
    assert confirm is not None
    added_before = len(shop.sim.added)
    reply = await shop.press(jon, "✖️ Cancel")
    assert "Cancelled" in text_of(reply)
    query = await jon.click_data(confirm["callback_data"], card.message_id)
    answer = await jon.wait_answer(query)
    assert "expired" in answer["text"]
    assert len(shop.sim.added) == added_before
    assert await shop.balance(jon) == Decimal("10")
    await assert_out_of_the_flow(shop, jon)


@pytest.mark.parametrize(
    ("command", "shows"),
    [
        ("/balance", "10.00 USD"),
        ("/start", "Hello"),
        ("/help", "How ordering works"),
        ("/orders", "no orders"),
        ("/services", "Choose a category"),
        ("/nonsense", "don't know that command"),
    ],
)
async def test_another_command_mid_flow_leaves_it_and_runs(
    shop: ShopBot, command: str, shows: str
) -> None:
    kim = await shop.customer(balance="10")
    await at_quantity_step(shop, kim)
    reply = await shop.ask(kim, command)
    assert shows in text_of(reply)
    await assert_out_of_the_flow(shop, kim)


async def test_a_command_at_the_confirm_step_leaves_it(shop: ShopBot) -> None:
    lea = await shop.customer(balance="10")
    await at_quantity_step(shop, lea)
    card = await shop.ask(lea, "1000")
    reply = await shop.ask(lea, "/balance")
    assert "10.00 USD" in text_of(reply)
    await assert_out_of_the_flow(shop, lea)
    # The card's confirm still names a draft nobody placed: it has expired.
    confirm = card.find_button("✅ Confirm")
    assert confirm is not None
    query = await lea.click_data(confirm["callback_data"], card.message_id)
    assert "expired" in (await lea.wait_answer(query))["text"]
    assert await shop.balance(lea) == Decimal("10")


# ---- Telegram says "slow down" -------------------------------------------------------------------


async def test_a_reply_refused_with_429_is_sent_after_retry_after(shop: ShopBot) -> None:
    """Telegram's 429 says when to try again; the reply is not lost (nor replaced by an
    apology), and the next action works."""
    neo = await shop.customer()
    since = shop.mark()
    shop.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await neo.send("/start")
    reply = await neo.wait_reply(timeout=4)
    assert "Hello" in text_of(reply)
    sends = [
        call
        for call in shop.fake.calls[since:]
        if call.method.lower() == "sendmessage" and call.params.get("chat_id") == neo.chat_id
    ]
    assert [call.status for call in sends] == [429, 200]
    assert sends[1].time - sends[0].time >= 0.9  # it waited as told
    reply = await shop.ask(neo, "/balance")
    assert "Your balance" in text_of(reply)


# ---- the service goes away mid-flow --------------------------------------------------------------


async def remove_service(shop: ShopBot, service_id: int) -> None:
    """The next catalog sync no longer lists the service (only this test's database). Stored
    through the bot's own repository: the catalog changes only there (it remembers reads)."""
    services = await shop.app.panel.services()
    entries = [to_entry(service) for service in services if service.service != service_id]
    await shop.app.catalog._repository.sync(entries)


async def test_a_service_removed_before_confirm_charges_nothing(shop: ShopBot) -> None:
    ola = await shop.customer(balance="10")
    await at_quantity_step(shop, ola)
    await shop.ask(ola, "1000")
    await remove_service(shop, 1)
    added_before = len(shop.sim.added)
    await ola.click("✅ Confirm")
    reply = await shop.fake.wait_for(
        lambda: ola.messages[-1] if "no longer available" in text_of(ola.messages[-1]) else None
    )
    assert reply.find_button("✅ Confirm") is None
    assert await shop.balance(ola) == Decimal("10")
    assert len(shop.sim.added) == added_before
    await assert_out_of_the_flow(shop, ola)


async def test_a_service_removed_mid_flow_says_so(shop: ShopBot) -> None:
    pia = await shop.customer(balance="10")
    await at_link_step(shop, pia, "Youtube (", "Youtube views")
    await remove_service(shop, 1)
    reply = await shop.ask(pia, new_link())
    assert "no longer available" in text_of(reply)
    await assert_out_of_the_flow(shop, pia)


async def test_a_too_long_link_says_the_limit(shop: ShopBot) -> None:
    que = await shop.customer(balance="10")
    await at_link_step(shop, que, "Youtube (", "Youtube views")
    reply = await shop.ask(que, "https://youtu.be/" + "a" * 2100)
    assert "too long" in text_of(reply) and "2048" in text_of(reply).replace(",", "")
    reply = await shop.ask(que, new_link())
    assert "How many" in text_of(reply)
