"""The Mini App's API, called as the page calls it, on the bot's own web server: who may call it
(signed init data, its age, bans), the same shop rules as the chat (words of a bad input, one
order per confirm, the ledger), and answers that never carry a traceback."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from simulators.panel import PanelSimulator
from tests import raw_http, webapp
from tests.fake_telegram import FakeTelegram, Person
from tests.harness import ShopBot, World, running_bot, text_of
from tests.test_doors import clean_log
from tests.test_e2e_payments import checkout, pay
from tests.webapp import PUBLIC_URL, Clients, sign_init_data, user_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

XSS, DRIP, NASTY = webapp.XSS, webapp.DRIP, webapp.NASTY


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world() -> AsyncIterator[World]:
    async with FakeTelegram() as fake:
        sim = PanelSimulator(tick_seconds=None, fault_delay_seconds=3.0, services=webapp.catalog())
        await sim.start()
        try:
            yield World(fake, sim)
        finally:
            await sim.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    shared_world.sim.clear_faults()
    async with running_bot(
        shared_world, tmp_path, web_host="127.0.0.1", web_port=0, public_url=PUBLIC_URL
    ) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def clients(shop: ShopBot) -> AsyncIterator[Clients]:
    async with Clients(shop) as made:
        yield made


_links = itertools.count(1)


def new_link() -> str:
    """The simulator refuses a second open order for one link: each order gets its own."""
    return f"https://www.youtube.com/watch?v=miniapp-{next(_links)}"


LINK = new_link()  # where only the words are checked, never an order placed


# ---- who may call ------------------------------------------------------------------------------


async def test_a_signed_person_gets_the_first_screen_in_their_language(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="1234.5")
    first = await clients.of(ann).get("/start")
    assert first.status == 200
    assert first.body["balance"] == "1,234.50 USD"
    assert first.body["texts"]["search"] == "Search services"
    names = [c["name"] for c in first.body["categories"]["items"]]
    assert "Youtube" in names and "Instagram" in names
    assert first.headers["Cache-Control"] == "no-store"
    assert "script-src 'self' https://telegram.org" in first.headers["Content-Security-Policy"]
    await shop.app.services.people.set_language(ann.user_id, "ru")
    russian = await clients.of(ann).get("/start")
    assert russian.body["balance"] == "1\u202f234,50 USD"  # the chat's Russian money
    assert russian.body["texts"]["search"] != "Search services"


async def test_a_newcomer_is_registered_in_telegrams_language(
    shop: ShopBot, clients: Clients
) -> None:
    stranger = shop.person()  # never wrote to the bot
    first = await clients.of(stranger, "vi").get("/start")
    assert first.status == 200
    person = await shop.app.services.people.person(stranger.user_id)
    assert person is not None and person.language == "vi"


async def test_forged_expired_and_missing_init_data_get_401_with_the_calm_words(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer()
    forged = await clients.of(ann, token="123:another-bots-token").get("/start")
    assert forged.status == 401 and forged.body["reason"] == "bad_signature"
    assert forged.body["title"] == "Open the shop again from the bot"
    day_ago = time.time() - shop.app.settings.webapp_auth_max_age - 60
    expired = await clients.of(ann, auth_date=day_ago).get("/balance")
    assert expired.status == 401 and expired.body["reason"] == "expired"
    missing = await clients.raw("").get("/start")
    assert missing.status == 401 and missing.body["reason"] == "missing"
    # Changing who it names breaks the signature: the person is the one Telegram signed.
    signed = sign_init_data(user_of(ann))
    bob = shop.person()
    swapped = signed.replace(str(ann.user_id), str(bob.user_id))
    assert (await clients.raw(swapped).get("/start")).status == 401
    russian = await clients.of(ann, "ru", token="1:x").get("/start")
    assert russian.body["title"] != forged.body["title"]  # said in the language Telegram gave


async def test_a_banned_person_reads_the_chats_ban_words(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer()
    await shop.app.services.people.set_banned(ann.user_id, True)
    banned = await clients.of(ann).get("/start")
    assert banned.status == 403
    assert banned.body["message"] == "Your account is suspended. Please contact the shop's support."


async def test_a_person_past_the_burst_is_told_to_slow_down(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer()
    client = clients.of(ann)
    statuses = [(await client.get("/balance")).status for _ in range(45)]
    assert statuses[0] == 200 and 429 in statuses
    refused = await client.get("/balance")
    assert refused.body == {"error": "too_many", "message": "Too fast. Please wait a moment."}
    assert (await clients.of(shop.person()).get("/balance")).status == 200  # others are not


async def test_bad_bodies_get_a_short_json_reason_and_never_a_traceback(
    shop: ShopBot, clients: Clients
) -> None:
    client = clients.of(await shop.customer())
    big = await client.post("/services/1/check", raw=b'{"link": "' + b"x" * 300_000 + b'"}')
    assert big.status == 413 and big.body["error"] == "bad_request"
    broken = await client.post("/services/1/check", raw=b"{not json")
    assert broken.status == 400 and broken.body["message"] == "the body is not JSON"
    deep = await client.post("/services/1/check", raw=b"[" * 5000 + b"]" * 5000)
    assert deep.status == 400
    wrong = await client.post("/services/1/check", {"quantity": 5})
    assert wrong.status == 400 and "quantity" in wrong.body["message"]
    nowhere = await client.get("/orders/99999999")
    assert nowhere.status == 404 and nowhere.body["error"] == "not_found"
    unknown = await client.get("/no-such-thing")
    assert unknown.status == 404 and unknown.body["error"] == "not_found"
    for reply in (big, broken, deep, wrong, nowhere, unknown):
        assert "Traceback" not in str(reply.body)


async def test_a_chunked_body_past_the_limit_and_json_nested_100000_deep_are_refused(
    shop: ShopBot, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    """As every door reads a body (webio/): whole or 413, however it comes, and nesting refused
    before the parser recurses; a short reason in JSON, nothing worse than a warning logged."""
    client = clients.of(await shop.customer())
    assert shop.app.web is not None
    url = f"{shop.app.web.url}/app/api/services/1/check"
    auth = {"Authorization": f"tma {client.init_data}"}
    huge = b'{"link": "' + b"x" * 300_000 + b'"}'  # over the Mini App's 256 KB
    status, body = await raw_http.post(url, raw_http.chunks(huge), auth, chunked=True, pause=0)
    assert status == 413 and json.loads(body)["error"] == "bad_request"
    for nested in (raw_http.NESTED, raw_http.NESTED_OBJECTS):
        status, body = await raw_http.post(url, raw_http.chunks(nested), auth, chunked=True)
        assert status == 400, nested[:10]
        assert json.loads(body) == {
            "error": "bad_request", "message": "the JSON is nested deeper than 4"
        }  # fmt: skip
    fine = await client.post("/services/1/check", {"link": LINK, "quantity": "1000"})
    assert fine.status == 200 and fine.body["errors"] == {}  # and it goes on answering
    clean_log(caplog)


# ---- browsing ----------------------------------------------------------------------------------


async def test_services_show_our_price_range_and_badges(shop: ShopBot, clients: Clients) -> None:
    client = clients.of(await shop.customer())
    start = await client.get("/start")
    instagram = next(c for c in start.body["categories"]["items"] if c["name"] == "Instagram")
    listing = await client.get(f"/categories/{instagram['id']}")
    drip = next(row for row in listing.body["items"] if row["id"] == DRIP)
    # 0.95 per 1000 with the 30% markup: what the chat's card says.
    assert drip["price"] == "1.235 USD" and drip["per"] == "thousand"
    assert (drip["min"], drip["max"]) == ("10", "10,000")
    assert drip["badges"] == ["refill", "cancel", "dripfeed"]
    for row in listing.body["items"]:  # a list's price is the service page's, read at once
        page = await client.get(f"/services/{row['id']}")
        assert (row["price"], row["min"], row["badges"]) == (
            page.body["price"],
            page.body["min"],
            page.body["badges"],
        )
    nasty = next(row for row in listing.body["items"] if row["id"] == NASTY)
    assert nasty["name"] == XSS  # sent as the text it is; the page inserts it as text
    page = await client.get(f"/services/{NASTY}")
    assert page.body["description"] == "<b>bold</b>\nnext line"
    assert page.body["fields"] == ["link", "quantity"]
    assert (await client.get(f"/services/{DRIP}")).body["fields"] == [
        "link", "quantity", "runs", "interval"
    ]  # fmt: skip


async def test_search_is_the_chats_search(shop: ShopBot, clients: Clients) -> None:
    client = clients.of(await shop.customer())
    found = await client.get("/search?q=views%20YOUTUBE")
    assert found.body["terms"] == "views youtube"
    assert found.body["total"] == 7 and found.body["found"] == "7 services found"
    assert found.body["items"][0]["name"] == "Youtube views"
    by_number = await client.get("/search?q=27")
    assert by_number.body["items"][0]["name"] == "Facebook Video Views"
    short = await client.get("/search?q=!")
    assert short.body["items"] == [] and "at least two letters" in short.body["problem"]


# ---- ordering ----------------------------------------------------------------------------------


async def chat_words(shop: ShopBot, person: Person, service: str, *answers: str) -> str:
    """What the chat answers the last of `answers` at an order of `service`'s steps."""
    await shop.ask(person, "/search " + service)
    await shop.press(person, service)
    await shop.press(person, "🛒 Order")
    reply = None
    for text in answers:
        reply = await shop.ask(person, text)
    assert reply is not None
    await shop.ask(person, "/cancel")
    return text_of(reply).removeprefix("⚠️ ")


async def test_a_bad_input_gets_the_chats_words_next_to_its_field(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="100")
    client = clients.of(ann)
    checked = await client.post("/services/1/check", {"link": "not a link", "quantity": "1e9"})
    errors = checked.body["errors"]
    assert errors["link"] == await chat_words(shop, ann, "Youtube views", "not a link")
    assert errors["quantity"] == await chat_words(shop, ann, "Youtube views", LINK, "1e9")
    assert checked.body["price"] is None
    live = await client.post("/services/1/check", {"link": "", "quantity": "1,000"})
    assert live.body["price"] == "3.25 USD"  # the live price, before the link is right
    assert live.body["quantity"] == "1,000"


async def test_comments_count_as_the_quantity(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer(balance="100")
    client = clients.of(ann)
    few = await client.post("/services/2/check", {"link": LINK, "comments": "one\ntwo"})
    assert few.body["errors"]["comments"] == (
        "You sent 2 lines; send from 10 to 1,500, one per line."
    )
    assert few.body["errors"]["comments"] == await chat_words(
        shop, ann, "Facebook comments", LINK, "one\ntwo"
    )
    comments = "\n".join(f"comment {n}" for n in range(12))
    right = await client.post("/services/2/check", {"link": LINK, "comments": comments})
    assert right.body["errors"] == {}
    assert right.body["count_text"] == "Comments: 12 comments"
    assert right.body["price"] == "0.0624 USD"


async def test_dripfeed_runs_and_interval_are_checked_as_in_the_chat(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="100")
    link = new_link()
    client = clients.of(ann)
    form = {"link": link, "quantity": "3000", "dripfeed": True, "runs": "5", "interval": "0"}
    checked = await client.post(f"/services/{DRIP}/check", form)
    assert checked.body["errors"]["runs"] == (
        "5 runs × 3,000 = 15,000: more than this service's maximum of 10,000 in all. "
        "Send at most 3 runs."
    )
    assert checked.body["errors"]["interval"] == (
        "The interval must be at least 1 minute: send 1 to 1,440."
    )
    assert checked.body["runs_max"] == "3"
    split = await client.post(f"/services/{DRIP}/check", {**form, "quantity": "6000"})
    assert split.body["errors"]["quantity"].startswith("Drip-feed needs at least 2 runs")
    right = await client.post(f"/services/{DRIP}/check", {**form, "runs": "3", "interval": "30"})
    assert right.body["errors"] == {} and right.body["quantity"] == "9,000"
    quote = await client.post(f"/services/{DRIP}/quote", {**form, "runs": "3", "interval": "30"})
    labels = [row["label"] for row in quote.body["rows"]]
    assert "💧 Drip-feed" in labels and "Total quantity" in labels
    placed = await client.post("/orders", {"draft": quote.body["draft"]})
    assert placed.body["outcome"] == "placed"
    order = await shop.app.services.people.order(placed.body["order"]["id"])
    assert order is not None and (order.runs, order.interval, order.quantity) == (3, 30, 3000)


async def test_a_package_and_the_special_lists_take_what_their_type_needs(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="100")
    client = clients.of(ann)
    orders = {
        11: {"link": new_link()},  # a Package: the link alone
        9: {"link": new_link(), "quantity": "100", "list": "https://youtu.be/a\nkeyword b"},
        10: {"link": new_link(), "quantity": "100", "suggest": "https://youtu.be/c",
             "search": "cats\ndogs"},
    }  # fmt: skip
    assert (await client.get("/services/11")).body["fields"] == ["link"]
    assert (await client.get("/services/10")).body["fields"] == [
        "link", "quantity", "suggest", "search"
    ]  # fmt: skip
    empty = await client.post("/services/9/check", {"link": new_link(), "quantity": "100"})
    assert empty.body["errors"]["list"] == ("You sent 0 lines; send from 1 to 100, one per line.")
    for service, form in orders.items():
        quote = await client.post(f"/services/{service}/quote", form)
        assert quote.status == 200, quote.body
        placed = await client.post("/orders", {"draft": quote.body["draft"]})
        assert placed.body["outcome"] == "placed", placed.body
        sent = shop.sim.added[-1]
        assert sent["service"] == str(service)
        if service == 11:
            assert "quantity" not in sent
        elif service == 9:
            assert sent["list"] == "https://youtu.be/a\nkeyword b"
        else:
            assert (sent["suggest"], sent["search"]) == ("https://youtu.be/c", "cats\ndogs")


async def test_an_order_placed_here_is_the_chats_order(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer(balance="10")
    link = new_link()
    client = clients.of(ann)
    form = {"link": link, "quantity": "1000"}
    quote = await client.post("/services/1/quote", form)
    assert quote.status == 200
    assert quote.body["price"] == "3.25 USD" and quote.body["balance_after"] == "6.75 USD"
    assert {"label": "Link", "value": link} in quote.body["rows"]
    added = len(shop.sim.added)
    placed = await client.post("/orders", {"draft": quote.body["draft"]})
    assert placed.body["outcome"] == "placed" and placed.body["ok"] is True
    assert placed.body["message"].startswith("✅ Order #")
    assert "<b>" not in placed.body["message"]
    card = placed.body["order"]
    assert len(shop.sim.added) == added + 1
    assert shop.sim.added[-1]["link"] == link and shop.sim.added[-1]["quantity"] == "1000"
    assert await shop.balance(ann) == Decimal("6.75")
    in_chat = await shop.ask(ann, "/orders")
    assert any(f"#{card['id']}" in label for row in in_chat.buttons for label in row)
    listed = await client.get("/orders")
    assert listed.body["items"][0]["id"] == card["id"]
    detail = await client.get(f"/orders/{card['id']}")
    assert {"label": "Price", "value": "3.25 USD"} in detail.body["rows"]


async def test_a_double_tap_a_retry_and_a_second_tab_place_one_order(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="10")
    link = new_link()
    tab = clients.of(ann)
    other_tab = clients.of(ann)
    form = {"link": link, "quantity": "500"}
    first = await tab.post("/services/1/quote", form)
    second = await other_tab.post("/services/1/quote", form)  # the newest confirm wins
    added = len(shop.sim.added)
    taps = await asyncio.gather(
        *(other_tab.post("/orders", {"draft": second.body["draft"]}) for _ in range(5))
    )
    ids = {tap.body["order"]["id"] for tap in taps}
    assert len(ids) == 1
    assert sorted(tap.body["outcome"] for tap in taps) == ["already"] * 4 + ["placed"]
    retry = await other_tab.post("/orders", {"draft": second.body["draft"]})
    assert retry.body["outcome"] == "already" and retry.body["order"]["id"] in ids
    stale = await tab.post("/orders", {"draft": first.body["draft"]})
    assert stale.status == 409 and stale.body["error"] == "expired"
    assert len(shop.sim.added) == added + 1
    assert await shop.balance(ann) == Decimal("10") - Decimal("1.625")
    stranger = clients.of(shop.person())
    assert (await stranger.post("/orders", {"draft": second.body["draft"]})).status == 409


async def test_not_enough_balance_says_what_is_missing(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer(balance="1")
    link = new_link()
    client = clients.of(ann)
    quote = await client.post("/services/1/quote", {"link": link, "quantity": "1000"})
    assert quote.body["missing"] == "2.25 USD"
    placed = await client.post("/orders", {"draft": quote.body["draft"]})
    assert placed.body["outcome"] == "not_enough" and placed.body["ok"] is False
    assert "Missing: 2.25 USD" in placed.body["message"]
    assert await shop.balance(ann) == Decimal(1)


async def test_a_price_that_moved_is_shown_again_before_anything_is_charged(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="10")
    link = new_link()
    client = clients.of(ann)
    quote = await client.post("/services/1/quote", {"link": link, "quantity": "1000"})
    await shop.app.catalog.set_markup_percent(Decimal(50))
    moved = await client.post("/orders", {"draft": quote.body["draft"]})
    assert moved.status == 409 and moved.body["error"] == "price_changed"
    assert moved.body["confirm"]["price"] == "3.75 USD"
    assert await shop.balance(ann) == Decimal(10)
    placed = await client.post("/orders", {"draft": moved.body["confirm"]["draft"]})
    assert placed.body["outcome"] == "placed"
    assert await shop.balance(ann) == Decimal("6.25")


async def test_a_product_with_its_required_information(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer(balance="20")
    client = clients.of(ann)
    netflix = await client.get("/products/1")
    assert netflix.body["require"] == "Input your account" and netflix.body["in_stock"]
    missing = await client.post("/products/1/check", {"quantity": "2", "require": "  "})
    assert missing.body["errors"]["require"] == (
        "Please send the requested information as text (1 to 1,000 characters)."
    )
    assert missing.body["price"] == "6.50 USD"
    quote = await client.post("/products/1/quote", {"quantity": "2", "require": "me@example.com"})
    placed = await client.post("/orders", {"draft": quote.body["draft"]})
    assert placed.body["outcome"] == "placed"
    assert placed.body["order"]["product"] is True
    assert await shop.balance(ann) == Decimal("13.50")
    sold_out = await client.post("/products/2/quote", {"quantity": "1", "require": "x"})
    assert sold_out.status == 409 and sold_out.body["error"] == "sold_out"


async def test_refill_and_cancel_follow_the_chats_once_only_rules(
    shop: ShopBot, clients: Clients
) -> None:
    ann = await shop.customer(balance="50")
    link = new_link()
    client = clients.of(ann)
    form = {"link": link, "quantity": "100"}
    quote = await client.post(f"/services/{DRIP}/quote", form)
    order = (await client.post("/orders", {"draft": quote.body["draft"]})).body["order"]
    assert order["can_cancel"] is True and order["can_refill"] is False
    detail = await client.get(f"/orders/{order['id']}")
    assert detail.body["cancel_question"].startswith(f"✖️ Cancel order #{order['id']}?")
    cancel = await client.post(f"/orders/{order['id']}/cancel")
    assert cancel.body["ok"] is True
    again = await client.post(f"/orders/{order['id']}/cancel")
    assert again.body == again.body | {"ok": False}
    assert again.body["message"] == "A cancel request for this order was already sent."
    record = await shop.app.services.people.order(order["id"])
    assert record is not None and record.panel_order_id is not None
    quote = await client.post("/services/1/quote", form | {"link": new_link(), "quantity": "200"})
    done = (await client.post("/orders", {"draft": quote.body["draft"]})).body["order"]
    placed = await shop.app.services.people.order(done["id"])
    assert placed is not None and placed.panel_order_id is not None
    shop.sim.set_order(placed.panel_order_id, status="Completed", remains=0)
    refreshed = await client.post(f"/orders/{done['id']}/refresh")
    assert refreshed.body["status"] == "Completed" and refreshed.body["can_refill"] is True
    assert refreshed.body["progress"] == {"done": "200", "total": "200", "percent": 100}
    refill = await client.post(f"/orders/{done['id']}/refill")
    assert refill.body["ok"] is True
    twice = await client.post(f"/orders/{done['id']}/refill")
    assert twice.body["ok"] is False and twice.body["order"]["can_refill"] is False


# ---- money in ------------------------------------------------------------------------------------


async def test_stars_top_up_through_an_invoice_link(shop: ShopBot, clients: Clients) -> None:
    ann = await shop.customer()
    client = clients.of(ann)
    methods = await client.get("/topup")
    stars = methods.body["methods"][0]
    assert stars["method"] == "stars" and stars["presets"][1]["extra"] == "500 ⭐"
    bad = await client.post("/topup", {"method": "stars", "amount": "0.5"})
    assert bad.status == 422
    assert bad.body["errors"]["amount"] == "The amount must be from 1.00 USD to 10,000.00 USD."
    link = await client.post("/topup", {"method": "stars", "amount": "10"})
    assert link.body["kind"] == "invoice"
    invoice = shop.fake.invoice_links[link.body["url"]]
    assert (invoice["currency"], invoice["total_amount"]) == ("XTR", 500)
    answered = await checkout(shop, ann, invoice["payload"], invoice["total_amount"])
    assert answered["ok"] is True
    pay(shop, ann, invoice["payload"], invoice["total_amount"], "miniapp-charge-1")
    await shop.expect(ann, "Payment received")
    balance = await client.get("/balance")
    assert balance.body["balance"] == "10.00 USD"
    assert balance.body["movements"][0] == {
        "amount": "+10.00 USD", "credit": True, "what": "Top-up in Telegram Stars"
    }  # fmt: skip


# ---- the page and the chat -----------------------------------------------------------------------


async def test_the_page_is_served_with_its_policy(shop: ShopBot) -> None:
    assert shop.app.web is not None
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{shop.app.web.url}/app/") as page:
            assert page.status == 200
            assert page.headers["Content-Type"].startswith("text/html")
            assert "frame-ancestors" in page.headers["Content-Security-Policy"]
            assert "telegram-web-app.js" in await page.text()
        async with session.get(f"{shop.app.web.url}/app/../bot.sqlite3") as outside:
            assert outside.status == 404


async def test_the_menu_button_and_the_start_menu_open_the_mini_app(shop: ShopBot) -> None:
    await shop.app.set_commands()
    button = shop.fake.menu_button
    assert button["type"] == "web_app" and button["web_app"]["url"] == f"{PUBLIC_URL}/app/"
    ann = shop.person()
    greeting = await shop.ask(ann, "/start")
    first = greeting.inline_keyboard[0][0]
    assert first["text"] == "🛍 Open shop" and first["web_app"]["url"] == f"{PUBLIC_URL}/app/"


async def test_without_https_the_chat_says_nothing_of_it(
    shared_world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shared_world.fake.menu_button = {
        "type": "web_app", "text": "🛍 Shop", "web_app": {"url": f"{PUBLIC_URL}/app/"}
    }  # fmt: skip
    with caplog.at_level("INFO", logger="bot.app"):
        async with running_bot(shared_world, tmp_path, public_url="http://plain.example") as bot:
            await bot.app.set_commands()
            assert shared_world.fake.menu_button == {"type": "default"}  # ours, taken back
            ann = bot.person()
            greeting = await bot.ask(ann, "/start")
            assert "🛍 Open shop" not in [label for row in greeting.buttons for label in row]
    assert "Mini App off: PUBLIC_URL is not an https:// address" in caplog.text
