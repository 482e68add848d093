"""Finding a service by typing: text outside any step, /search, pages, a number, nothing found,
old or forged buttons, and text typed at an order's step (that is the step's, not a search)."""

from __future__ import annotations

import re

import pytest

from tests.fake_telegram import BotMessage
from tests.harness import ShopBot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

NON_DROP = "🔥 YouTube Views [Non Drop] & Fast <HQ>"
PAGER = re.compile(r"^(◀️ Previous|Next ▶️|\d+/\d+|🏠 Menu)$")


def labels(message: BotMessage) -> list[str]:
    return [label for row in message.buttons for label in row]


def results(message: BotMessage) -> list[str]:
    """The services a results message lists (its buttons other than the pager and the menu)."""
    return [label for label in labels(message) if not PAGER.match(label)]


async def test_typed_words_find_services_and_a_result_opens_its_card(shop: ShopBot) -> None:
    ann = await shop.customer()
    found = await shop.ask(ann, "YouTube views")
    assert "Results for «youtube views» (7)" in text_of(found)
    assert results(found)[:2] == ["Youtube views", NON_DROP]
    assert labels(found)[-1] == "🏠 Menu" and "Next ▶️" not in labels(found)
    card = await shop.press(ann, NON_DROP)
    assert card.message_id == found.message_id  # the results message became the card
    assert NON_DROP in text_of(card) and "per 1,000" in text_of(card)
    assert labels(card) == ["🛒 Order", "⬅️ Back", "🏠 Menu"]


async def test_search_command_pages_at_eight(shop: ShopBot) -> None:
    ann = await shop.customer()
    first = await shop.ask(ann, "/search views")
    assert "(12)" in text_of(first)
    assert len(results(first)) == 8
    assert labels(first)[-3:] == ["1/2", "Next ▶️", "🏠 Menu"]
    second = await shop.press(ann, "Next ▶️")
    assert second.message_id == first.message_id
    assert len(results(second)) == 4
    assert not set(results(second)) & set(results(first))
    assert labels(second)[-3:] == ["◀️ Previous", "2/2", "🏠 Menu"]
    back = await shop.press(ann, "◀️ Previous")
    assert results(back) == results(first)


async def test_search_command_without_words_asks_for_them(shop: ShopBot) -> None:
    ann = await shop.customer()
    prompt = await shop.ask(ann, "/search")
    assert "What are you looking for" in text_of(prompt)
    assert labels(prompt) == ["✖️ Cancel"]
    again = await shop.ask(ann, "!")  # cannot be searched: still at the step
    assert "at least two letters" in text_of(again) and labels(again) == ["✖️ Cancel"]
    found = await shop.ask(ann, "tiktok")
    assert "Results for «tiktok» (5)" in text_of(found)
    assert "Nothing found" in text_of(await shop.ask(ann, "zzzz"))  # the step is over
    await shop.ask(ann, "/search")
    left = await shop.ask(ann, "/cancel")
    assert "Cancelled" in text_of(left)


async def test_a_number_finds_that_service_first(shop: ShopBot) -> None:
    ann = await shop.customer()
    found = await shop.ask(ann, "27")
    assert results(found)[0] == "Facebook Video Views"  # service 27
    by_command = await shop.ask(ann, "/search #13")
    assert results(by_command)[0] == "Instagram Followers [Max 50K] 👥"


async def test_nothing_found_says_so_and_offers_the_catalog(shop: ShopBot) -> None:
    ann = await shop.customer()
    nothing = await shop.ask(ann, "<b>zebra</b> & co")
    assert "Nothing found for «b zebra b co»" in text_of(nothing)  # the words searched
    assert "<b>" not in (nothing.raw_text or "")  # what the person typed is no markup
    assert labels(nothing) == ["🛒 Services", "🏠 Menu"]
    catalog = await shop.press(ann, "🛒 Services")
    assert "Choose a category" in text_of(catalog)


async def test_what_cannot_be_searched_says_what_can(shop: ShopBot) -> None:
    ann = await shop.customer()
    short = await shop.ask(ann, "👍")
    assert "at least two letters or digits" in text_of(short)
    assert "🛒 Services" in labels(short)  # the menu, as before searching existed
    long = await shop.ask(ann, "views " * 20)
    assert "at most 100 characters" in text_of(long)


async def test_old_or_forged_page_buttons(shop: ShopBot) -> None:
    ann = await shop.customer()
    await shop.ask(ann, "views")
    query = await ann.click_data("q:9:views")  # past the end: the last page
    await ann.wait_answer(query)
    assert "2/2" in labels(ann.last_message)
    for data in ("q:0:!!", "q:x:views", "q:0"):
        query = await ann.click_data(data)
        answer = await ann.wait_answer(query)
        assert "expired" in (answer.get("text") or "")


async def test_a_long_query_searches_its_first_words_and_says_so(shop: ShopBot) -> None:
    ann = await shop.customer()
    query = "youtube views " + "очень быстрые и надёжные просмотры без списаний"
    found = await shop.ask(ann, query)
    assert "Only the first words were searched" in text_of(found)
    assert "«youtube views очень быстрые и" in text_of(found)


async def test_text_at_an_order_step_is_the_steps_not_a_search(shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    await shop.open_service(ann, "Youtube (", "Youtube views")
    await shop.press(ann, "🛒 Order")
    link_step = await shop.ask(ann, "youtube views")
    assert "not a link" in text_of(link_step) and "Results" not in text_of(link_step)
    await shop.ask(ann, "https://youtu.be/e2e-search")
    quantity_step = await shop.ask(ann, "views")
    assert "quantity" in text_of(quantity_step) and "Results" not in text_of(quantity_step)
    found = await shop.ask(ann, "/search views")  # a command still leaves the step
    assert "Results for «views»" in text_of(found)
