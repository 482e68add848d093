"""The Mini App in a real browser for the tests and `make screenshots`: Debian's Chromium driven
by Playwright, Telegram's script replaced by tests/telegram_stub.js with init data the test
signed. Nothing leaves 127.0.0.1: Telegram's script URL is answered by the stub, and Chromium
is started without its background networking.

When the browser cannot start, the tests are skipped, except in CI (the CI variable is set):
there they fail, so a broken browser never passes unnoticed.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    async_playwright,
)

from tests.fake_telegram import Person
from tests.webapp import sign_init_data, user_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
STUB = Path(__file__).with_name("telegram_stub.js").read_text(encoding="utf-8")
PHONE: ViewportSize = {"width": 360, "height": 740}

# Telegram's own colours (iOS client), for the light and dark screens.
LIGHT = {
    "bg_color": "#ffffff",
    "secondary_bg_color": "#efeff4",
    "section_bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#8e8e93",
    "link_color": "#007aff",
    "accent_text_color": "#007aff",
    "button_color": "#007aff",
    "button_text_color": "#ffffff",
    "destructive_text_color": "#ff3b30",
    "section_separator_color": "#c8c7cc",
    "section_header_text_color": "#6d6d72",
    "subtitle_text_color": "#8e8e93",
}
DARK = {
    "bg_color": "#000000",
    "secondary_bg_color": "#1c1c1d",
    "section_bg_color": "#2c2c2e",
    "text_color": "#ffffff",
    "hint_color": "#98989e",
    "link_color": "#3e88f7",
    "accent_text_color": "#3e88f7",
    "button_color": "#3e88f7",
    "button_text_color": "#ffffff",
    "destructive_text_color": "#eb5545",
    "section_separator_color": "#545458",
    "section_header_text_color": "#8d8e93",
    "subtitle_text_color": "#98989e",
}


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """The system Chromium; skips the tests when it cannot start (fails them in CI)."""
    async with async_playwright() as playwright:
        try:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:
            if os.environ.get("CI"):
                pytest.fail(f"Chromium did not start in CI: {error}")
            pytest.skip(f"no browser here ({error}); apt-get install chromium")
        try:
            yield browser
        finally:
            await browser.close()


def stub_script(init_data: str, theme: dict[str, str], scheme: str) -> str:
    config = {"initData": init_data, "themeParams": theme, "colorScheme": scheme}
    return f"window.__TG_CONFIG = {json.dumps(config)};\n{STUB}"


@dataclass
class MiniAppPage:
    """One open Mini App: the page, and what went wrong in it (console errors, CSP, dialogs)."""

    page: Page
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    async def main_button(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.page.evaluate(
            "({text: __tg.main.text, visible: __tg.main.isVisible, active: __tg.main.isActive,"
            " progress: __tg.main.isProgressVisible})"
        )
        return state

    async def wait_main_button(self, fragment: str, *, active: bool = True) -> None:
        """Until Telegram's MainButton shows `fragment` (and can be pressed, or not)."""
        await self.page.wait_for_function(
            "([fragment, active]) => __tg.main.isVisible && __tg.main.text.includes(fragment)"
            " && __tg.main.isActive === active",
            arg=[fragment, active],
        )

    async def press_main(self, times: int = 1) -> None:
        await self.page.evaluate(f"for (let i = 0; i < {times}; i++) __tg.pressMain()")

    async def press_back(self) -> None:
        await self.page.evaluate("__tg.pressBack()")

    async def record(self) -> dict[str, Any]:
        record: dict[str, Any] = await self.page.evaluate("__tg.record")
        return record

    async def no_horizontal_scroll(self) -> bool:
        fits: bool = await self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
        return fits


async def open_mini_app(
    browser: Browser,
    base_url: str,
    init_data: str,
    *,
    dark: bool = False,
    viewport: ViewportSize | None = None,
) -> MiniAppPage:
    """A new phone-sized page with the Mini App open, as Telegram opens it."""
    context = await browser.new_context(
        viewport=viewport or PHONE,
        device_scale_factor=2,
        color_scheme="dark" if dark else "light",
        service_workers="block",
    )
    page = await context.new_page()
    opened = MiniAppPage(page)
    script = stub_script(init_data, DARK if dark else LIGHT, "dark" if dark else "light")

    async def telegram(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/javascript", body=script)

    async def elsewhere(route: Route) -> None:  # nothing may leave this machine
        opened.problems.append(f"request outside: {route.request.url}")
        await route.abort()

    await context.route(TELEGRAM_SCRIPT, telegram)
    await context.route(
        lambda url: (
            not url.startswith(base_url) and url != TELEGRAM_SCRIPT and not url.startswith("data:")
        ),
        elsewhere,
    )

    def console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            opened.problems.append(f"{message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: opened.problems.append(f"page error: {error}"))

    async def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        await d.dismiss()

    page.on("dialog", dialog)
    await page.goto(f"{base_url}/app/")
    return opened


def init_data_for(person: Person, language: str = "en", **signing: Any) -> str:
    return sign_init_data(user_of(person, language), **signing)
