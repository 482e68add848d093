"""`make screenshots`: the Mini App's main screens on a 360 px phone, light and dark, saved as
PNG into docs/screenshots/ (the README shows them). The bot runs as in the browser tests: the
real app and web server on the panel simulator, the fake Telegram, every top-up method on its
simulator (PAYMENTS_DEMO), the reseller API open (its key in the settings), and Chromium with
Telegram's script stubbed (tests/browser.py).

    .venv/bin/python -m tests.screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Browser

from tests.browser import MiniAppPage, chromium, init_data_for, open_mini_app
from tests.fake_telegram import Person
from tests.harness import ShopBot, running_bot, world
from tests.webapp import PUBLIC_URL, MiniAppClient

ROOT = Path(__file__).resolve().parents[1]
LINK = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


async def orders_to_show(shop: ShopBot, client: MiniAppClient) -> None:
    """A few orders in different states, placed as the page places them."""
    wanted = [
        (3, {"link": LINK, "quantity": "5000"}, ("In progress", 1800)),
        (13, {"link": "https://instagram.com/shop.demo", "quantity": "1000"}, ("Completed", 0)),
        (21, {"link": "https://tiktok.com/@shop.demo/video/1", "quantity": "500"}, None),
    ]
    for service, form, status in wanted:
        quote = await client.post(f"/services/{service}/quote", form)
        placed = await client.post("/orders", {"draft": quote.body["draft"]})
        order = await shop.app.services.people.order(placed.body["order"]["id"])
        if status is not None and order is not None and order.panel_order_id is not None:
            shop.sim.set_order(order.panel_order_id, status=status[0], remains=status[1])
            await shop.app.tracker.refresh(order)


# Telegram draws its MainButton below the page, outside it: the screenshots show where it is
# and what it says with a bar drawn the way Telegram draws it (the page itself never has one).
MAIN_BUTTON = """(() => {
    document.getElementById("telegram-main-button")?.remove();
    const main = __tg.main;
    if (!main.isVisible) return;
    const bar = document.createElement("div");
    bar.id = "telegram-main-button";
    bar.textContent = main.text;
    Object.assign(bar.style, {
        position: "fixed", left: "0", right: "0", bottom: "0", height: "56px",
        display: "flex", alignItems: "center", justifyContent: "center",
        background: main.color, color: main.textColor, fontWeight: "500", fontSize: "16px",
        fontFamily: "-apple-system, system-ui, sans-serif", zIndex: "10",
    });
    document.body.appendChild(bar);
})()"""


async def shoot(app: MiniAppPage, out: Path, name: str, *, whole: bool = False) -> None:
    """The screen as the phone shows it, or `whole`, the whole page scrolled through."""
    await app.page.wait_for_load_state("networkidle")
    await app.page.evaluate("document.activeElement && document.activeElement.blur()")
    await app.page.evaluate(MAIN_BUTTON)
    await app.page.screenshot(path=str(out / f"{name}.png"), full_page=whole)
    await app.page.evaluate("document.getElementById('telegram-main-button')?.remove()")


async def tour(browser: Browser, shop: ShopBot, ann: Person, out: Path, dark: bool) -> None:
    theme = "dark" if dark else "light"
    assert shop.app.web is not None
    app = await open_mini_app(browser, shop.app.web.url, init_data_for(ann), dark=dark)
    page = app.page
    await page.get_by_test_id("category-row").first.wait_for()
    await shoot(app, out, f"catalog-{theme}")
    await page.fill("#search", "youtube views")
    await page.locator(".section-title").filter(has_text="found").wait_for()
    await shoot(app, out, f"search-{theme}")
    await page.get_by_test_id("service-row").filter(has_text="Non Drop").click()
    await page.fill("#link", LINK)
    await page.fill("#quantity", "2500")
    await app.wait_main_button("Order ·")
    await shoot(app, out, f"service-{theme}")
    await app.press_main()
    await page.get_by_text("Check your order").wait_for()
    await shoot(app, out, f"confirm-{theme}")
    await app.press_back()
    await app.press_back()
    await page.fill("#search", "")
    await page.get_by_test_id("to-orders").click()
    await page.get_by_test_id("order-card").first.wait_for()
    await shoot(app, out, f"orders-{theme}")
    await page.get_by_test_id("order-card").first.locator("button").click()
    await page.get_by_test_id("refresh").wait_for()
    await shoot(app, out, f"order-{theme}")
    await app.press_back()
    await app.press_back()
    await page.get_by_test_id("to-balance").click()
    await page.get_by_test_id("method-stars").wait_for()
    await shoot(app, out, f"balance-{theme}")
    await page.get_by_test_id("method-stars").click()
    await page.get_by_role("radio").nth(1).click()
    await app.wait_main_button("Pay")
    await shoot(app, out, f"topup-{theme}")
    await app.press_back()
    await page.get_by_test_id("method-bank").click()
    await page.get_by_role("radio").first.click()
    await app.wait_main_button("Pay")
    await app.press_main()
    await page.locator(".qr img").wait_for()
    await shoot(app, out, f"bank-{theme}")
    await app.press_back()
    await app.press_back()
    await shop.app.services.resellers.revoke_key(ann.user_id)  # each theme makes its own
    await page.get_by_test_id("to-api").click()
    await app.wait_main_button("Create a key")
    await shoot(app, out, f"api-none-{theme}")
    await app.press_main()
    await page.get_by_test_id("new-key").wait_for()
    await shoot(app, out, f"api-{theme}", whole=True)  # the settings below the key too
    await page.context.close()
    expired = init_data_for(ann, auth_date=1)
    calm = await open_mini_app(browser, shop.app.web.url, expired, dark=dark)
    await calm.page.get_by_test_id("calm-action").wait_for()
    await shoot(calm, out, f"reopen-{theme}")
    await calm.page.context.close()


async def main(out: Path) -> None:
    async with world() as shared:
        with tempfile.TemporaryDirectory() as folder:
            async with running_bot(
                shared,
                Path(folder),
                web_host="127.0.0.1",
                web_port=0,
                public_url=PUBLIC_URL,
                payments_demo=True,
                reseller_api="open",
            ) as shop:
                ann = await shop.customer(balance="42.5", first_name="Ann")
                assert shop.app.web is not None
                client = MiniAppClient(shop.app.web.url, init_data_for(ann))
                try:
                    await orders_to_show(shop, client)
                finally:
                    await client.close()
                async with chromium() as browser:
                    for dark in (False, True):
                        await tour(browser, shop, ann, out, dark)
    print(f"Screenshots saved in {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    folder = parser.parse_args().out
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(folder))
