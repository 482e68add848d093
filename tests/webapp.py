"""What Telegram does for a Mini App, done by the tests: init data signed with the bot's token
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app), and a
client that calls the Mini App's API with it, as the page does."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from simulators.panel.catalog import default_services
from tests.fake_telegram import TEST_TOKEN, Person

if TYPE_CHECKING:  # the bench signs init data without a bot in its process
    from tests.harness import ShopBot

PUBLIC_URL = "https://shop.example.test"  # what Telegram would open; the tests call the server
XSS = "<img src=x onerror=alert(1)>"
DRIP = 90  # Default, drip-feed and cancel: 10..10,000
NASTY = 91  # a name that is HTML


def catalog() -> list[dict[str, Any]]:
    """The simulator's seed catalog, with a drip-feed service and one whose name is HTML."""
    return [
        *default_services(),
        {"service": DRIP, "name": "Instagram Followers [Drip]", "type": "Default",
         "category": "Instagram", "rate": "0.95", "min": "10", "max": "10000",
         "refill": True, "cancel": True, "dripfeed": True},
        {"service": NASTY, "name": XSS, "type": "Default", "category": "Instagram",
         "rate": "1", "min": "10", "max": "1000", "description": "<b>bold</b><br>next line"},
    ]  # fmt: skip


def sign_init_data(
    user: dict[str, Any],
    *,
    token: str = TEST_TOKEN,
    auth_date: float | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    """Init data as Telegram passes it to a Mini App: url-encoded fields and their hash."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time() if auth_date is None else auth_date)),
        **(extra or {}),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def user_of(person: Person, language: str = "en") -> dict[str, Any]:
    """The `user` field Telegram puts in the init data for this person."""
    return {
        "id": person.user_id,
        "first_name": person.user["first_name"],
        "username": person.user.get("username"),
        "language_code": language,
        "allows_write_to_pm": True,
    }


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class MiniAppClient:
    """The page's calls, from a test: `await client.get("/start")`."""

    def __init__(self, base_url: str, init_data: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.init_data = init_data
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        await self._session.close()

    async def call(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> Reply:
        headers = {"Authorization": f"tma {self.init_data}"} if self.init_data else {}
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self._session.request(
            method, f"{self.base_url}/app/api{path}", data=data, headers=headers
        ) as response:
            payload = await response.json(content_type=None)
            return Reply(response.status, payload, dict(response.headers))

    async def get(self, path: str) -> Reply:
        return await self.call("GET", path)

    async def post(self, path: str, body: Any = None, *, raw: bytes | None = None) -> Reply:
        return await self.call("POST", path, body, raw=raw)


class Clients:
    """Clients of one running shop's Mini App, each signed as Telegram signs a person's
    (`of`) or with init data as given (`raw`); closed together."""

    def __init__(self, shop: ShopBot) -> None:
        self.shop = shop
        self.opened: list[MiniAppClient] = []

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(self, *_: object) -> None:
        for client in self.opened:
            await client.close()

    def of(self, person: Person, language: str = "en", **signing: Any) -> MiniAppClient:
        return self.raw(sign_init_data(user_of(person, language), **signing))

    def raw(self, init_data: str) -> MiniAppClient:
        assert self.shop.app.web is not None
        client = MiniAppClient(self.shop.app.web.url, init_data)
        self.opened.append(client)
        return client
