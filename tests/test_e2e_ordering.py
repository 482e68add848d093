"""A person orders every service type over the fake Telegram; money and panel fields checked."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest

from storage.orders import Stage
from tests.fake_telegram import BotMessage, Person
from tests.harness import ShopBot, World, running_bot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")
BOTH_MODES = True  # tests/conftest.py: over long polling, then over a webhook

# The simulator is shared by the module and refuses a second active order for the same link.
_links = itertools.count(1)


def new_link(host: str = "youtu.be") -> str:
    return f"{host}/e2e-ordering-{next(_links)}"


def fields(added: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in added.items() if key != "action"}


async def confirm_order(shop: ShopBot, person: Person) -> BotMessage:
    """Press Confirm and wait for the result the "placing…" message is edited into."""
    await person.click("✅ Confirm")
    return await shop.fake.wait_for(
        lambda: person.last_message if re.search(r"#\d+", text_of(person.last_message)) else None,
        5,
        what="the order result",
    )


def edits_of(shop: ShopBot, message: BotMessage, since: int) -> int:
    return sum(
        1
        for call in shop.fake.calls[since:]
        if call.method.lower() == "editmessagetext"
        and call.params.get("chat_id") == message.chat_id
        and call.params.get("message_id") == message.message_id
    )


async def test_default_order_start_to_finish(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    card = await shop.open_service(ann, "Youtube (", "Youtube views")
    assert "3.25 USD per 1,000" in text_of(card)  # rate 2.5 + 30 %
    prompt = await shop.press(ann, "🛒 Order")
    assert "link" in text_of(prompt).lower()
    link = new_link()
    reply = await shop.ask(ann, link)
    assert "200" in text_of(reply) and "10,000" in text_of(reply)
    confirm = await shop.ask(ann, "1000")
    assert "3.25 USD" in text_of(confirm)
    assert "6.75 USD" in text_of(confirm)  # balance after
    added_before = len(shop.sim.added)
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("6.75")
    assert len(shop.sim.added) == added_before + 1
    assert fields(shop.sim.added[-1]) == {
        "service": "1",
        "link": f"https://{link}",
        "quantity": "1000",
    }


async def test_package_sends_the_link_only(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    card = await shop.open_service(ann, "YouTube (", "1000 Views Package")
    assert "2.47 USD per package" in text_of(card)  # 1.9 + 30 %
    await shop.press(ann, "🛒 Order")
    link = new_link()
    confirm = await shop.ask(ann, link)  # no quantity step for a package
    assert "✅ Confirm" in confirm.buttons[0]
    assert "2.47 USD" in text_of(confirm) and "7.53 USD" in text_of(confirm)
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("7.53")
    assert fields(shop.sim.added[-1]) == {"service": "11", "link": f"https://{link}"}


async def test_custom_comments_one_per_line(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    await shop.open_service(ann, "Facebook (", "Facebook comments")
    await shop.press(ann, "🛒 Order")
    link = new_link("facebook.com")
    prompt = await shop.ask(ann, link)
    assert "10" in text_of(prompt) and "1,500" in text_of(prompt)
    comments = [f"Great post {n} & <more>!" for n in range(1, 12)]  # 11 comments
    typed = "\n".join(comments[:5]) + "\n\n   \n" + "\n".join(f"  {c}  " for c in comments[5:])
    confirm = await shop.ask(ann, typed)
    assert "11 comments" in text_of(confirm)
    # 4 x 11 / 1000 x 1.3 = 0.0572
    assert "0.0572 USD" in text_of(confirm)
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("10") - Decimal("0.0572")
    assert fields(shop.sim.added[-1]) == {
        "service": "2",
        "link": f"https://{link}",
        "comments": "\n".join(comments),
    }
    order = (await shop.app.books.orders.for_user(ann.user_id))[0]
    assert order.quantity == 11


async def test_special_sends_quantity_and_list(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    await shop.open_service(ann, "YouTube (", "Keyword Search")
    await shop.press(ann, "🛒 Order")
    link = new_link()
    await shop.ask(ann, link)
    prompt = await shop.ask(ann, "100")
    assert "one per line" in text_of(prompt)
    confirm = await shop.ask(ann, "https://youtu.be/one\n\nbest cat videos\n")
    # 8 x 100 / 1000 x 1.3 = 1.04
    assert "1.04 USD" in text_of(confirm) and "8.96 USD" in text_of(confirm)
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("8.96")
    assert fields(shop.sim.added[-1]) == {
        "service": "9",
        "link": f"https://{link}",
        "quantity": "100",
        "list": "https://youtu.be/one\nbest cat videos",
    }


async def test_special_1_sends_quantity_suggest_and_search(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    card = await shop.open_service(ann, "YouTube (", "Suggest & Search Mix")
    assert "<small>" in text_of(card)  # the panel's name, escaped, reads as typed
    await shop.press(ann, "🛒 Order")
    link = new_link()
    await shop.ask(ann, link)
    suggest_prompt = await shop.ask(ann, "200")
    assert "suggested" in text_of(suggest_prompt).lower()
    search_prompt = await shop.ask(ann, "https://youtu.be/a\nhttps://youtu.be/b")
    assert "search" in text_of(search_prompt).lower()
    confirm = await shop.ask(ann, "funny cats\ncute dogs\nbirds")
    # 9.5 x 200 / 1000 x 1.3 = 2.47
    assert "2.47 USD" in text_of(confirm) and "7.53 USD" in text_of(confirm)
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("7.53")
    assert fields(shop.sim.added[-1]) == {
        "service": "10",
        "link": f"https://{link}",
        "quantity": "200",
        "suggest": "https://youtu.be/a\nhttps://youtu.be/b",
        "search": "funny cats\ncute dogs\nbirds",
    }


async def test_unknown_type_is_ordered_as_default(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    card = await shop.open_service(ann, "Twitter / X (", "Twitter Mentions")
    assert "13.00 USD per 1,000" in text_of(card)  # 10 + 30 %
    assert "Standard" in text_of(card)
    await shop.press(ann, "🛒 Order")
    link = new_link("x.com")
    prompt = await shop.ask(ann, link)
    assert "10" in text_of(prompt) and "10,000" in text_of(prompt)
    confirm = await shop.ask(ann, "500")
    assert "6.50 USD" in text_of(confirm)  # 10 x 500 / 1000 x 1.3
    result = await confirm_order(shop, ann)
    assert "placed" in text_of(result)
    assert await shop.balance(ann) == Decimal("3.50")
    assert fields(shop.sim.added[-1]) == {
        "service": "37",
        "link": f"https://{link}",
        "quantity": "500",
    }


# ---- money ---------------------------------------------------------------------------------------


async def test_not_enough_balance_says_what_is_missing(shop: ShopBot) -> None:
    bob = await shop.customer(balance="1.25")
    await shop.open_service(bob, "Youtube (", "Youtube views")
    await shop.press(bob, "🛒 Order")
    await shop.ask(bob, new_link())
    added_before = len(shop.sim.added)
    reply = await shop.ask(bob, "1000")  # 3.25 USD
    assert "2.00 USD" in text_of(reply)  # missing
    assert "3.25 USD" in text_of(reply) and "1.25 USD" in text_of(reply)
    assert reply.find_button("✅ Confirm") is None
    assert len(shop.sim.added) == added_before
    assert await shop.balance(bob) == Decimal("1.25")
    assert await shop.app.books.orders.for_user(bob.user_id) == []
    # Still at the quantity step: a smaller order that the balance covers goes on.
    assert "smaller quantity" in text_of(reply)
    card = await shop.ask(bob, "300")  # 0.975 USD
    assert card.find_button("✅ Confirm") is not None
    assert "0.975 USD" in text_of(card)


async def test_double_pressed_confirm_orders_and_charges_once(shop: ShopBot) -> None:
    cat = await shop.customer(balance="10")
    await shop.open_service(cat, "Youtube (", "Youtube views")
    await shop.press(cat, "🛒 Order")
    await shop.ask(cat, new_link())
    card = await shop.ask(cat, "1000")
    button = card.find_button("✅ Confirm")
    assert button is not None
    data = button["callback_data"]
    added_before = len(shop.sim.added)
    since = shop.mark()
    first = await cat.click_data(data, card.message_id)
    second = await cat.click_data(data, card.message_id)
    answers = [await cat.wait_answer(first), await cat.wait_answer(second)]
    await shop.fake.wait_for(lambda: "placed" in text_of(cat.last_message) or None)
    # One press places the order; the other, stale by then, only answers: the result stays on top.
    assert sorted("Placing" in (answer.get("text") or "") for answer in answers) == [False, True]
    assert edits_of(shop, card, since) == 1
    final = cat.messages[-1]
    assert final.message_id == card.message_id
    assert "placed" in text_of(final) and "⏳" not in text_of(final)
    orders = await shop.app.books.orders.for_user(cat.user_id)
    assert len(orders) == 1
    assert len(shop.sim.added) == added_before + 1
    assert await shop.balance(cat) == Decimal("6.75")

    # The same button pressed later says so, and orders nothing.
    late = await cat.click_data(data, card.message_id)
    answer = await cat.wait_answer(late)
    assert "already placed" in answer["text"] and f"#{orders[0].id}" in answer["text"]
    # A forged confirm is "expired".
    forged = await cat.click_data("d:confirm:bogus", card.message_id)
    answer = await cat.wait_answer(forged)
    assert "expired" in answer["text"]
    assert len(await shop.app.books.orders.for_user(cat.user_id)) == 1
    assert len(shop.sim.added) == added_before + 1
    assert await shop.balance(cat) == Decimal("6.75")


async def confirm_card(shop: ShopBot, balance: str = "10") -> tuple[Person, BotMessage]:
    person = await shop.customer(balance=balance)
    await shop.open_service(person, "Youtube (", "Youtube views")
    await shop.press(person, "🛒 Order")
    await shop.ask(person, new_link())
    return person, await shop.ask(person, "1000")


def card_texts(shop: ShopBot, card: BotMessage, since: int) -> list[str]:
    return [
        call.params.get("text", "")
        for call in shop.fake.calls[since:]
        if call.method.lower() == "editmessagetext"
        and call.params.get("chat_id") == card.chat_id
        and call.params.get("message_id") == card.message_id
    ]


async def test_a_quick_panel_answer_edits_the_card_once_into_the_result(shop: ShopBot) -> None:
    dan, card = await confirm_card(shop)
    since = shop.mark()
    result = await confirm_order(shop, dan)
    assert "placed" in text_of(result)
    texts = card_texts(shop, card, since)
    assert len(texts) == 1 and "placed" in texts[0]


async def test_a_slow_panel_shows_placing_first_then_the_result(shop: ShopBot) -> None:
    eve, card = await confirm_card(shop)
    since = shop.mark()
    shop.sim.latency_seconds = 1.0  # well past the 0.5 s a quick answer gets
    try:
        await eve.click("✅ Confirm")
        await shop.fake.wait_for(
            lambda: "placed" in text_of(eve.last_message) or None, what="the order result"
        )
    finally:
        shop.sim.latency_seconds = 0.0
    texts = card_texts(shop, card, since)
    assert len(texts) == 2
    assert "Placing your order" in texts[0] and "placed" in texts[1]
    assert await shop.balance(eve) == Decimal("6.75")


async def test_a_half_entered_order_goes_on_after_a_restart(
    shared_world: World, tmp_path: Path
) -> None:
    async with running_bot(shared_world, tmp_path) as before:
        gia = await before.customer(balance="10")
        await before.open_service(gia, "Youtube (", "Youtube views")
        await before.press(gia, "🛒 Order")  # the bot now waits for the link
    async with running_bot(shared_world, tmp_path) as after:
        prompt = await after.ask(gia, new_link())
        assert "10,000" in text_of(prompt)  # the quantity step, with the service's limits
        card = await after.ask(gia, "1000")
        assert "3.25 USD" in text_of(card)
    async with running_bot(shared_world, tmp_path) as again:  # restarted at the confirm card
        result = await confirm_order(again, gia)
        assert "placed" in text_of(result)
        assert await again.balance(gia) == Decimal("6.75")


async def test_confirm_of_someone_elses_draft_is_expired(shop: ShopBot) -> None:
    dan = await shop.customer(balance="10")
    eve = await shop.customer(balance="10")
    await shop.open_service(dan, "Youtube (", "Youtube views")
    await shop.press(dan, "🛒 Order")
    await shop.ask(dan, new_link())
    card = await shop.ask(dan, "1000")
    button = card.find_button("✅ Confirm")
    assert button is not None
    await confirm_order(shop, dan)
    query = await eve.click_data(button["callback_data"])  # Dan's key, pressed by Eve
    answer = await eve.wait_answer(query)
    assert "expired" in answer["text"]
    assert await shop.app.books.orders.for_user(eve.user_id) == []
    assert await shop.balance(eve) == Decimal("10")


# ---- the panel says no, or says nothing clear ---------------------------------------------------


async def test_panel_refusal_refunds_in_full_and_alerts_the_admin(shop: ShopBot) -> None:
    fay = await shop.customer(balance="10")
    await shop.open_service(fay, "Youtube (", "Youtube views")
    await shop.press(fay, "🛒 Order")
    await shop.ask(fay, new_link())
    await shop.ask(fay, "1000")
    since = shop.mark()
    panel_balance = shop.sim.balance
    shop.sim.set_balance(0)
    try:
        result = await confirm_order(shop, fay)
    finally:
        shop.sim.set_balance(panel_balance)
    assert "back on your balance" in text_of(result)
    assert await shop.balance(fay) == Decimal("10")
    order = (await shop.app.books.orders.for_user(fay.user_id))[0]
    assert f"#{order.id}" in text_of(result)
    assert order.stage is Stage.FAILED
    assert order.refunded == Decimal("3.25")
    alert = await shop.sent_to(shop.admin.chat_id, f"#{order.id}", since)
    assert "funds" in text_of(alert)
    history = await shop.app.books.ledger.history(fay.user_id)
    assert [entry.kind for entry in history[:2]] == ["refund", "order"]


async def test_panel_refusal_is_told_to_the_customer_in_plain_words(shop: ShopBot) -> None:
    """The panel's "Not enough funds on balance" is about the shop's panel account: shown raw
    to a customer who has money, it reads as if *their* balance were short."""
    gus = await shop.customer(balance="10")
    await shop.open_service(gus, "Youtube (", "Youtube views")
    await shop.press(gus, "🛒 Order")
    await shop.ask(gus, new_link())
    await shop.ask(gus, "1000")
    panel_balance = shop.sim.balance
    shop.sim.set_balance(0)
    try:
        result = await confirm_order(shop, gus)
    finally:
        shop.sim.set_balance(panel_balance)
    assert "not enough funds on balance" not in text_of(result).lower()
    assert "back on your balance" in text_of(result)


async def test_panel_500_on_add_holds_the_money_and_is_not_resent(shop: ShopBot) -> None:
    hal = await shop.customer(balance="10")
    await shop.open_service(hal, "Youtube (", "Youtube views")
    await shop.press(hal, "🛒 Order")
    await shop.ask(hal, new_link())
    await shop.ask(hal, "1000")
    since = shop.mark()
    adds_before = shop.sim.request_counts["add"]
    added_before = len(shop.sim.added)
    shop.sim.inject_fault("http500")
    result = await confirm_order(shop, hal)
    assert "being checked" in text_of(result) and "held" in text_of(result)
    assert shop.sim.request_counts["add"] == adds_before + 1
    assert len(shop.sim.added) == added_before
    assert await shop.balance(hal) == Decimal("6.75")
    order = (await shop.app.books.orders.for_user(hal.user_id))[0]
    assert order.stage is Stage.UNCONFIRMED
    assert order.panel_order_id is None
    alert = await shop.sent_to(shop.admin.chat_id, f"Order #{order.id}", since)
    assert "unconfirmed" in text_of(alert)
    assert f"User {hal.user_id}" in text_of(alert)


async def test_panel_refusal_of_a_busy_link_says_why_and_refunds(shop: ShopBot) -> None:
    ivy = await shop.customer(balance="10")
    link = new_link()
    for attempt in range(2):
        await shop.open_service(ivy, "Youtube (", "Youtube views")
        await shop.press(ivy, "🛒 Order")
        await shop.ask(ivy, link)
        await shop.ask(ivy, "1000")
        result = await confirm_order(shop, ivy)
        if attempt == 0:
            assert "placed" in text_of(result)
    # The panel refuses a second active order for the same link; the reason helps here.
    assert "active order" in text_of(result)
    assert "back on your balance" in text_of(result)
    assert await shop.balance(ivy) == Decimal("6.75")
    failed, placed = await shop.app.books.orders.for_user(ivy.user_id)
    assert (failed.stage, placed.stage) == (Stage.FAILED, Stage.PENDING)


async def test_the_price_on_the_confirm_card_is_the_price_charged(shop: ShopBot) -> None:
    """The markup (or the panel's rate) may change between the confirm card and the press:
    nothing is charged at a price the person did not see; they see the new one to confirm."""
    jay = await shop.customer(balance="10")
    await shop.open_service(jay, "Youtube (", "Youtube views")
    await shop.press(jay, "🛒 Order")
    await shop.ask(jay, new_link())
    card = await shop.ask(jay, "1000")
    assert "3.25 USD" in text_of(card)
    await shop.ask(shop.admin, "/markup 50")  # 3.75 USD from now on
    added_before = len(shop.sim.added)
    await jay.click("✅ Confirm")
    again = await shop.fake.wait_for(
        lambda: jay.messages[-1] if "3.75 USD" in text_of(jay.messages[-1]) else None
    )
    assert "changed" in text_of(again) and "6.25 USD" in text_of(again)
    assert again.find_button("✅ Confirm") is not None
    assert await shop.balance(jay) == Decimal("10")
    assert len(shop.sim.added) == added_before
    assert await shop.app.books.orders.for_user(jay.user_id) == []
    result = await confirm_order(shop, jay)
    assert "placed" in text_of(result) and "3.75 USD" in text_of(result)
    assert await shop.balance(jay) == Decimal("6.25")
    assert len(shop.sim.added) == added_before + 1


async def test_a_price_rise_beyond_the_balance_at_confirm_charges_nothing(shop: ShopBot) -> None:
    kai = await shop.customer(balance="3.50")
    await shop.open_service(kai, "Youtube (", "Youtube views")
    await shop.press(kai, "🛒 Order")
    await shop.ask(kai, new_link())
    await shop.ask(kai, "1000")  # 3.25 USD
    await shop.ask(shop.admin, "/markup 50")  # 3.75 USD
    await kai.click("✅ Confirm")
    reply = await shop.fake.wait_for(
        lambda: kai.messages[-1] if "Missing" in text_of(kai.messages[-1]) else None
    )
    assert "0.25 USD" in text_of(reply) and "3.75 USD" in text_of(reply)
    assert reply.find_button("✅ Confirm") is None
    assert await shop.balance(kai) == Decimal("3.50")
    assert await shop.app.books.orders.for_user(kai.user_id) == []


async def test_a_link_with_markup_characters_is_shown_and_sent_as_typed(shop: ShopBot) -> None:
    lou = await shop.customer(balance="10")
    await shop.open_service(lou, "Youtube (", "Youtube views")
    await shop.press(lou, "🛒 Order")
    link = f"https://example.com/watch?v={next(_links)}&list=<b>x</b>"
    await shop.ask(lou, link)
    card = await shop.ask(lou, "1000")
    assert link in text_of(card)
    await confirm_order(shop, lou)
    assert shop.sim.added[-1]["link"] == link
    order = (await shop.app.books.orders.for_user(lou.user_id))[0]
    assert order.link == link
