"""End-to-end harness: the real bot (SQLite file, panel client over HTTP) against the fake
Telegram and the panel simulator, both shared by the tests of a module. The bot takes its
updates by long polling, or (mode="webhook") from the fake posting them to its web server as
Telegram does; a module runs its tests both ways with `BOTH_MODES = True` (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from bot.app import App, create_app
from bot.config import Settings
from simulators.panel import PanelSimulator
from tests.fake_telegram import TEST_TOKEN, BotMessage, FakeTelegram, Person

Mode = Literal["polling", "webhook"]
ADMIN_ID = 900_000_001
POLLING_STOP_SECONDS = 5.0
_user_ids = itertools.count(700_000_001)


@dataclass
class World:
    """What a test module shares: one fake Telegram and one simulator."""

    fake: FakeTelegram
    sim: PanelSimulator


@asynccontextmanager
async def world() -> AsyncIterator[World]:
    async with FakeTelegram() as fake:
        sim = PanelSimulator(tick_seconds=None, fault_delay_seconds=3.0)
        await sim.start()
        try:
            yield World(fake, sim)
        finally:
            await sim.stop()


def text_of(message: BotMessage) -> str:
    """What the person reads in a message: its text, or its caption ("" if neither)."""
    return message.text or message.caption or ""


@dataclass
class ShopBot:
    app: App
    fake: FakeTelegram
    sim: PanelSimulator
    admin: Person

    def person(self, **kwargs: Any) -> Person:
        user_id = next(_user_ids)
        kwargs.setdefault("first_name", f"Person{user_id % 1000}")
        return self.fake.person(user_id=user_id, **kwargs)

    async def customer(self, balance: str = "0", **kwargs: Any) -> Person:
        """A person who has opened the bot, with `balance` on it."""
        person = self.person(**kwargs)
        await person.send("/start")
        await person.wait_reply()
        if Decimal(balance):
            await self.app.books.ledger.change(
                person.user_id, Decimal(balance), "credit", f"test-{person.user_id}"
            )
        return person

    async def balance(self, person: Person) -> Decimal:
        return await self.app.books.ledger.balance(person.user_id)

    async def ask(self, person: Person, text: str) -> BotMessage:
        await person.send(text)
        return await person.wait_reply()

    async def press(self, person: Person, label: str) -> BotMessage:
        query = await person.click(label)
        reply = await person.wait_reply()
        await person.wait_answer(query)
        return reply

    async def expect(self, person: Person, fragment: str, timeout: float = 15.0) -> BotMessage:  # noqa: ASYNC109
        """Skip the person's replies until one contains `fragment`."""
        while True:
            reply = await person.wait_reply(timeout)
            if fragment in reply.content:
                return reply

    async def open_service(self, person: Person, category: str, service: str) -> BotMessage:
        """Services -> the category whose button contains `category` -> the service whose
        button contains `service`, pressing Next when either is on a later page. -> the card"""
        if not any(message.find_button("🛒 Services") for message in person.messages):
            await self.press(person, "🏠 Menu")
        await self.press(person, "🛒 Services")
        for fragment in (category, service):
            while person.last_message.find_button(fragment, "contains") is None:
                assert person.last_message.find_button("Next ▶️"), f"no {fragment!r} on any page"
                await self.press(person, "Next ▶️")
            query = await person.click(fragment, match="contains")
            reply = await person.wait_reply()
            await person.wait_answer(query)
        return reply

    def mark(self) -> int:
        """A position in the fake's call log: `sent_to(..., since=mark)` looks after it."""
        return len(self.fake.calls)

    async def sent_to(
        self,
        chat_id: int,
        fragment: str,
        since: int,
        timeout: float = 15.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The first message sent or edited in `chat_id` after `since` containing `fragment`."""

        def found() -> BotMessage | None:
            for call in self.fake.calls[since:]:
                message = call.message
                if (
                    call.ok
                    and message is not None
                    and message.chat_id == chat_id
                    and fragment in text_of(message)
                ):
                    return message
            return None

        return await self.fake.wait_for(found, timeout, what=f"{fragment!r} in chat {chat_id}")

    async def wait_idle(self) -> None:
        """Wait until every update pushed so far has been handled by the bot."""
        if self.app.webhook is None:
            await self.fake.wait_for(lambda: self.fake.pending_polls > 0 or None, 15.0)
            return
        await self.fake.wait_for(lambda: self.fake.webhook_idle or None, 15.0)
        assert not await self.app.in_flight.wait(15.0), "updates still running after 15 s"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Wait for a condition that has no event to wait on (a row the notifier writes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_bot(
    shared: World, tmp_path: Path, mode: Mode = "polling", **overrides: Any
) -> AsyncIterator[ShopBot]:
    values: dict[str, Any] = {
        "bot_token": TEST_TOKEN,
        "telegram_api_url": shared.fake.base_url,
        "admin_ids": (ADMIN_ID,),
        "provider_url": shared.sim.url,
        "provider_key": "demo",
        "database_path": tmp_path / "bot.sqlite3",
        "status_poll_seconds": 3600,
        "markup_percent": Decimal(30),
        # The test people press and type far faster than anyone can: the flood limit would
        # only make them wait (tests/test_throttling.py holds the bot to the real one).
        "flood_burst": 1000,
        "flood_per_second": 1000,
    }
    if mode == "webhook":
        # Any free port: the webhook is set once the server listens and its port is known.
        values |= {"webhook_url": "http://127.0.0.1", "web_host": "127.0.0.1", "web_port": 0}
    settings = Settings(_env_file=None, **(values | overrides))
    async with create_app(settings) as app:
        app.panel._backoff = 0.01  # reads retry fast in tests
        await app.catalog.sync()
        await app.products.sync()
        app.start_background(catalog_sync=False, tracker=False)
        admin = shared.fake.person(user_id=ADMIN_ID, first_name="Owner")
        await app.serve()  # when WEB_PORT is set, or in webhook mode
        if mode == "webhook":
            assert app.web is not None
            await app.receive_by_webhook(app.web.url)  # the fake posts updates from now on
            yield ShopBot(app, shared.fake, shared.sim, admin)
            return  # leaving create_app stops the server, then finishes the updates in hand
        polling = asyncio.create_task(app.poll(handle_signals=False, polling_timeout=1))
        try:
            await shared.fake.wait_for(lambda: shared.fake.pending_polls > 0 or None, 10.0)
            yield ShopBot(app, shared.fake, shared.sim, admin)
        finally:
            await stop_polling(app, polling)


async def stop_polling(app: App, polling: asyncio.Task[None]) -> None:
    """Stop long polling, whatever state it is in; a stuck poll is cancelled, not waited on."""
    if not polling.done():
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await app.dispatcher.stop_polling()
    done, _ = await asyncio.wait({polling}, timeout=POLLING_STOP_SECONDS)
    if not done:
        polling.cancel()
        await asyncio.wait({polling})
