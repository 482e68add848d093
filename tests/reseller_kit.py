"""What the reseller API's tests share: a shop selling through its API v2 on its own web server
(the real bot, SQLite file, panel simulator over HTTP), a reseller with a key, and a client that
posts to the API as resellers' scripts do."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from shop.resellers import NewKey
from simulators.panel import PanelSimulator
from simulators.panel.catalog import backup_services, default_services
from tests.fake_telegram import FakeTelegram, Person
from tests.harness import ShopBot, World, running_bot

PUBLIC_URL = "https://shop.example"
KEY = re.compile(r"\b[0-9a-f]{32}\b")  # a key, or a callback secret, as /api shows them


def catalog() -> list[dict[str, Any]]:
    """The demo panel's services and the backup's (cancel and drip-feed on some), one panel."""
    return default_services() + backup_services()


@asynccontextmanager
async def api_world(**sim_options: Any) -> AsyncIterator[World]:
    async with FakeTelegram() as fake:
        sim = PanelSimulator(tick_seconds=None, services=catalog(), **sim_options)
        await sim.start()
        try:
            yield World(fake, sim)
        finally:
            await sim.stop()


@asynccontextmanager
async def selling_shop(shared: World, tmp_path: Path, **overrides: Any) -> AsyncIterator[ShopBot]:
    values: dict[str, Any] = {
        "reseller_api": "open",
        "web_host": "127.0.0.1",
        "web_port": 0,
        "public_url": PUBLIC_URL,
    }
    async with running_bot(shared, tmp_path, **(values | overrides)) as shop:
        yield shop


def api_url(shop: ShopBot) -> str:
    assert shop.app.web is not None
    return f"{shop.app.web.url}/api/v2"


class Reseller:
    """A person with a key, and the script that uses it."""

    def __init__(self, shop: ShopBot, person: Person, key: NewKey) -> None:
        self.shop = shop
        self.person = person
        self.key = key
        self.url = api_url(shop)

    @property
    def user_id(self) -> int:
        return self.person.user_id

    async def call(self, action: str, **fields: Any) -> Any:
        """POST form-encoded, as panels are called; the answer's JSON (HTTP 200 asserted)."""
        status, body = await post(self.url, {"key": self.key.key, "action": action, **fields})
        assert status == 200, (status, body)
        return body

    async def balance(self) -> Decimal:
        return await self.shop.balance(self.person)


async def post(url: str, fields: dict[str, Any]) -> tuple[int, Any]:
    form = {name: str(value) for name, value in fields.items()}
    async with aiohttp.ClientSession() as http, http.post(url, data=form) as response:
        return response.status, json.loads(await response.text())


async def new_reseller(shop: ShopBot, balance: str = "100") -> Reseller:
    person = await shop.customer(balance=balance)
    user = await shop.app.services.people.person(person.user_id)
    assert user is not None
    key = await shop.app.services.resellers.create_key(user)
    assert isinstance(key, NewKey)
    return Reseller(shop, person, key)


async def create_key(shop: ShopBot, person: Person) -> tuple[str, str]:
    """/api, then 🔑 Create a key: -> (key, callback secret) from the one message showing them."""
    screen = await shop.ask(person, "/api")
    assert "Key: none yet" in screen.content
    assert f"{PUBLIC_URL}/api/v2" in screen.content
    await person.click("🔑 Create a key")
    edited = await person.wait_reply()
    shown = await person.wait_reply()
    found = KEY.findall(shown.content)
    assert len(found) == 2, shown.content  # the key and the callback secret
    assert found[0] not in edited.content
    return found[0], found[1]
