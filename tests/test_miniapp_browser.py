"""The Mini App in a real browser (Chromium, driven by Playwright), opened from the bot's own web
server as Telegram opens it: init data signed by the test, Telegram's script replaced by a stub
(tests/telegram_stub.js), the panel simulator behind the shop. One browser for the module.

The bot runs in this process (tests/harness.py: the same create_app and web server as
`python -m bot`), so a test can look at the ledger, the simulator's orders and the chat."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser

from simulators.panel import PanelSimulator, make_large_catalog
from tests import webapp
from tests.browser import MiniAppPage, chromium, init_data_for, open_mini_app
from tests.fake_telegram import FakeTelegram, Person
from tests.harness import ShopBot, World, running_bot
from tests.reseller_kit import KEY
from tests.test_e2e_payments import checkout, pay
from tests.webapp import PUBLIC_URL

pytestmark = pytest.mark.asyncio(loop_scope="module")

_links = itertools.count(1)


def new_link() -> str:
    return f"https://www.youtube.com/watch?v=browser-{next(_links)}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


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
    async with running_bot(
        shared_world, tmp_path, web_host="127.0.0.1", web_port=0, public_url=PUBLIC_URL
    ) as running:
        yield running


async def opened(
    browser: Browser, shop: ShopBot, person: Person, *, dark: bool = False, **signing: Any
) -> MiniAppPage:
    assert shop.app.web is not None
    return await open_mini_app(
        browser, shop.app.web.url, init_data_for(person, **signing), dark=dark
    )


async def clean(app: MiniAppPage) -> None:
    """Nothing went wrong in the page: no error, no CSP refusal, no request elsewhere, no
    dialog (an alert() run by a service's name would be one)."""
    assert not app.problems
    assert not app.dialogs
    await app.page.context.close()


async def fill_service_form(app: MiniAppPage, category: str, service: str, **fields: str) -> None:
    """Open the category named `category` (exactly), its service whose name has `service`,
    and type `fields` into the form."""
    page = app.page
    title = page.locator(".row-title", has_text=re.compile(f"^{re.escape(category)}$"))
    await page.get_by_test_id("category-row").filter(has=title).first.click()  # services first
    await page.get_by_test_id("service-row").filter(has_text=service).first.click()
    for name, value in fields.items():
        await page.fill(f"#{name}", value)


# ---- browse and order --------------------------------------------------------------------------


async def test_browse_and_order_a_default_service_end_to_end(
    browser: Browser, shop: ShopBot
) -> None:
    ann = await shop.customer(balance="10")
    app = await opened(browser, shop, ann)
    page = app.page
    record = await app.record()
    assert record["ready"] == 1 and record["expanded"] == 1
    link = new_link()
    await fill_service_form(app, "Youtube", "Youtube views", link=link, quantity="1000")
    assert await page.locator("[data-testid=unit-price]").inner_text() == "3.25 USD"
    await app.wait_main_button("Order · 3.25 USD")
    assert (await app.page.evaluate("__tg.back.isVisible")) is True
    await app.press_main()
    await page.get_by_text("Check your order").wait_for()
    assert await page.get_by_text(link).count() == 1
    assert await page.get_by_text("6.75 USD").count() == 1  # the balance after
    await app.wait_main_button("Confirm · 3.25 USD")
    added = len(shop.sim.added)
    await app.press_main()
    message = page.get_by_test_id("result-message")
    await message.wait_for()
    assert (await message.inner_text()).startswith("✅ Order #")
    assert "success" in (await app.record())["haptics"]
    assert len(shop.sim.added) == added + 1 and shop.sim.added[-1]["link"] == link
    assert await shop.balance(ann) == Decimal("6.75")
    order_id = int((await page.get_by_test_id("order-card").get_attribute("data-order")) or 0)
    in_chat = await shop.ask(ann, "/orders")
    assert any(f"#{order_id}" in label for row in in_chat.buttons for label in row)
    await app.press_main()  # "Go to my orders"
    await page.locator(f"[data-order='{order_id}']").wait_for()
    await app.press_back()
    await page.get_by_test_id("to-balance").filter(has_text="6.75 USD").wait_for()
    await clean(app)


async def test_bad_input_in_the_comments_and_dripfeed_forms(
    browser: Browser, shop: ShopBot
) -> None:
    ann = await shop.customer(balance="10")
    app = await opened(browser, shop, ann)
    page = app.page
    await fill_service_form(app, "Facebook", "Facebook comments", link=new_link())
    await page.fill("#comments", "one\ntwo")
    await page.locator("#link").focus()  # leaving the field shows its error
    error = page.locator("#comments-error")
    await error.wait_for()
    assert await error.inner_text() == "You sent 2 lines; send from 10 to 1,500, one per line."
    await app.wait_main_button("Order", active=False)
    await page.fill("#comments", "\n".join(f"comment {n}" for n in range(12)))
    await page.get_by_text("Comments: 12 comments").wait_for()
    await app.wait_main_button("Order · 0.0624 USD")
    await app.press_back()
    await app.press_back()
    await fill_service_form(app, "Instagram", "[Drip]", link=new_link(), quantity="3000")
    await page.get_by_role("switch").check()
    await page.fill("#runs", "5")
    await page.fill("#interval", "0")
    await page.locator("#link").focus()
    runs_error = page.locator("#runs-error")
    await runs_error.wait_for()
    assert (await runs_error.inner_text()).startswith("5 runs × 3,000 = 15,000")
    assert (await page.locator("#interval-error").inner_text()).startswith(
        "The interval must be at least 1 minute"
    )
    await app.wait_main_button("Order", active=False)
    await app.press_main()  # it cannot be pressed while the form is wrong: nothing is quoted
    assert await page.get_by_text("Check your order").count() == 0
    await page.fill("#runs", "3")
    await page.fill("#interval", "30")
    await app.wait_main_button("Order · 11.115 USD")
    await clean(app)


async def test_a_double_tap_on_confirm_places_one_order(browser: Browser, shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    app = await opened(browser, shop, ann)
    await fill_service_form(app, "Youtube", "Youtube views", link=new_link(), quantity="500")
    await app.wait_main_button("Order · 1.625 USD")
    await app.press_main()
    await app.wait_main_button("Confirm")
    added = len(shop.sim.added)
    await app.press_main(times=2)
    await app.page.get_by_test_id("result-message").wait_for()
    assert len(shop.sim.added) == added + 1
    assert len(await shop.app.services.people.recent_orders(ann.user_id, 10)) == 1
    assert await shop.balance(ann) == Decimal("8.375")
    await clean(app)


async def test_a_stars_top_up_shows_the_money_when_it_arrives(
    browser: Browser, shop: ShopBot
) -> None:
    ann = await shop.customer(balance="1")
    app = await opened(browser, shop, ann)
    page = app.page
    await page.get_by_test_id("to-balance").click()
    await page.get_by_test_id("method-stars").click()
    await page.get_by_role("radio", name="10.00 USD").click()
    await app.wait_main_button("Pay 10.00 USD")
    await app.press_main()
    await page.wait_for_function("() => __tg.record.invoices.length === 1")
    url = (await app.record())["invoices"][0]
    invoice = shop.fake.invoice_links[url]
    assert (await checkout(shop, ann, invoice["payload"], invoice["total_amount"]))["ok"]
    pay(shop, ann, invoice["payload"], invoice["total_amount"], f"browser-{ann.user_id}")
    await page.evaluate("__tg.invoiceClosed('paid')")  # Telegram closes the invoice: paid
    await page.get_by_text("Payment received. Thank you!").wait_for()
    assert await shop.balance(ann) == Decimal("11")
    await app.press_back()
    await app.press_back()
    await page.get_by_test_id("to-balance").filter(has_text="11.00 USD").wait_for()
    await clean(app)


# ---- who may open it -----------------------------------------------------------------------------


async def test_forged_and_expired_init_data_show_one_calm_screen(
    browser: Browser, shop: ShopBot
) -> None:
    ann = await shop.customer()
    old = time.time() - shop.app.settings.webapp_auth_max_age - 60
    for signing in ({"token": "123:not-this-bot"}, {"auth_date": old}):
        app = await opened(browser, shop, ann, **signing)
        page = app.page
        await page.get_by_text("Open the shop again from the bot").wait_for()
        assert await page.get_by_test_id("category-row").count() == 0
        assert (await app.main_button())["visible"] is False
        await page.get_by_role("button", name="Close").click()
        assert (await app.record())["closed"] == 1
        app.problems = [p for p in app.problems if "401" not in p]  # the answer it showed
        await clean(app)


async def test_a_service_named_like_html_shows_as_text(browser: Browser, shop: ShopBot) -> None:
    ann = await shop.customer()
    app = await opened(browser, shop, ann)
    page = app.page
    await page.fill("#search", "img src")
    row = page.get_by_test_id("service-row").first
    await row.wait_for()
    assert await row.locator(".row-title").inner_text() == webapp.XSS
    assert await page.locator("main img").count() == 0
    await row.click()
    await page.locator(".title h1").filter(has_text=webapp.XSS).wait_for()
    assert await page.locator("main img, main b").count() == 0
    assert await page.locator(".description").inner_text() == "<b>bold</b>\nnext line"
    await clean(app)


# ---- the reseller API's key ---------------------------------------------------------------------


async def test_a_key_made_in_the_settings_is_masked_when_reopened(
    browser: Browser, shared_world: World, tmp_path: Path
) -> None:
    async with running_bot(
        shared_world,
        tmp_path,
        web_host="127.0.0.1",
        web_port=0,
        public_url=PUBLIC_URL,
        reseller_api="open",
    ) as shop:
        ann = await shop.customer(balance="5")
        app = await opened(browser, shop, ann)
        page = app.page
        await page.get_by_test_id("to-api").click()
        await app.wait_main_button("Create a key")
        await app.press_main()
        shown = page.get_by_test_id("new-key").locator(".info-value")
        await shown.wait_for()
        key = await shown.inner_text()
        assert KEY.fullmatch(key)
        assert (await app.main_button())["visible"] is False
        assert await shop.app.services.resellers.authenticate(key) is not None
        # A new key is asked first; then it replaces the one shown.
        await page.get_by_test_id("new-key-button").click()
        await page.get_by_text("A new key stops the one you have at once").wait_for()
        await page.get_by_test_id("key-yes").click()
        await page.get_by_test_id("new-key").filter(has_not_text=key).wait_for()
        key = await shown.inner_text()
        await clean(app)

        again = await opened(browser, shop, ann)
        await again.page.get_by_test_id("to-api").click()
        hint = f"{key[:4]}…{key[-4:]}"
        await again.page.get_by_text(hint).wait_for()
        assert await again.page.get_by_test_id("new-key").count() == 0
        assert key not in await again.page.locator("main").inner_text()
        assert await again.no_horizontal_scroll()
        await clean(again)


# ---- how it looks --------------------------------------------------------------------------------


async def test_dark_theme_takes_telegrams_colours(browser: Browser, shop: ShopBot) -> None:
    ann = await shop.customer()
    app = await opened(browser, shop, ann, dark=True)
    page = app.page
    await page.get_by_test_id("category-row").first.wait_for()
    colours = await page.evaluate(
        """() => {
            const css = (selector, property) =>
                getComputedStyle(document.querySelector(selector))[property];
            return {
                page: css("body", "backgroundColor"),
                section: css(".group", "backgroundColor"),
                text: css(".row-title", "color"),
                hint: css(".row-value", "color"),
                scheme: document.documentElement.dataset.scheme,
            };
        }"""
    )
    assert colours == {
        "page": "rgb(28, 28, 29)",
        "section": "rgb(44, 44, 46)",
        "text": "rgb(255, 255, 255)",
        "hint": "rgb(152, 152, 158)",
        "scheme": "dark",
    }
    await clean(app)


async def test_a_360_px_phone_never_scrolls_sideways(browser: Browser, shop: ShopBot) -> None:
    ann = await shop.customer(balance="10")
    app = await opened(browser, shop, ann)
    page = app.page
    await page.get_by_test_id("category-row").first.wait_for()
    assert await app.no_horizontal_scroll()
    await fill_service_form(app, "YouTube", "Non Drop", link="https://" + "x" * 300 + ".com")
    await page.get_by_text("Start: 0-1 hour").wait_for()
    assert await app.no_horizontal_scroll()
    await page.fill("#link", new_link())
    await page.fill("#quantity", "1000")
    await app.wait_main_button("Order ·")
    await app.press_main()
    await page.get_by_text("Check your order").wait_for()
    assert await app.no_horizontal_scroll()
    await app.press_main()
    await page.get_by_test_id("result-message").wait_for()
    assert await app.no_horizontal_scroll()
    await app.press_main()  # the orders
    await page.get_by_test_id("order-card").first.wait_for()
    for width in (320, 360, 430):  # the phones people hold
        await page.set_viewport_size({"width": width, "height": 740})
        assert await app.no_horizontal_scroll(), width
    await clean(app)


# ---- search at 30,000 services -------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="module")
async def big_shop(tmp_path: Path) -> AsyncIterator[ShopBot]:
    """A shop selling 30,000 services (900 categories), with its own Telegram and panel."""
    async with FakeTelegram() as fake:
        sim = PanelSimulator(
            tick_seconds=None, services=make_large_catalog(30_000, 900), products=[]
        )
        await sim.start()
        try:
            async with running_bot(
                World(fake, sim),
                tmp_path,
                web_host="127.0.0.1",
                web_port=0,
                public_url=PUBLIC_URL,
            ) as running:
                yield running
        finally:
            await sim.stop()


async def test_search_as_you_type_at_30000_services(browser: Browser, big_shop: ShopBot) -> None:
    assert await big_shop.app.catalog.count_services() == 30_000
    ann = await big_shop.customer()
    app = await opened(browser, big_shop, ann)
    page = app.page
    search = page.locator("#search")
    await search.press_sequentially("tiktok packa", delay=30)  # typed, a letter at a time
    section = page.locator(".section-title").filter(has_text="services found")
    await section.wait_for()
    first = page.get_by_test_id("service-row").first
    assert "TikTok Package" in await first.inner_text()
    assert await first.locator("mark").first.inner_text() == "TikTok"
    await search.fill("29917")
    await page.get_by_test_id("service-row").filter(has_text="#29917").first.wait_for()
    await search.fill("zzzz qqqq")
    await page.get_by_test_id("nothing-found").wait_for()
    await clean(app)
