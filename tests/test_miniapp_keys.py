"""The reseller API's key in the Mini App's settings (RESELLER_API on): the same service and words
as the chat's /api (tests/test_reseller_chat.py). A key is shown in the one answer that creates
it and works at once with the API v2; afterwards only its hint is ever sent, and neither the key
nor its callback secret reaches the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.harness import ShopBot, World
from tests.reseller_kit import KEY, PUBLIC_URL, api_url, api_world, post, selling_shop
from tests.webapp import Clients, MiniAppClient

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with api_world() as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def shop(world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    async with selling_shop(world, tmp_path) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def clients(shop: ShopBot) -> AsyncIterator[Clients]:
    async with Clients(shop) as made:
        yield made


def row(screen: dict[str, object], label: str) -> str:
    rows = screen["rows"]
    assert isinstance(rows, list)
    return next(str(r["value"]) for r in rows if r["label"] == label)


async def balance_with(shop: ShopBot, key: str) -> object:
    return (await post(api_url(shop), {"key": key, "action": "balance"}))[1]


async def test_a_key_made_here_works_at_once_and_is_shown_once(
    shop: ShopBot, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    person = await shop.customer(balance="7")
    client = clients.of(person)
    assert (await client.get("/start")).body["reseller_api"] is True
    screen = (await client.get("/keys")).body
    assert screen["has_key"] is False and row(screen, "Key") == "none yet."
    assert row(screen, "Endpoint") == f"{PUBLIC_URL}/api/v2"
    made = await client.post("/keys", {})
    assert made.status == 200 and made.headers["Cache-Control"] == "no-store"
    key, secret = made.body["new"]["key"], made.body["new"]["secret"]
    assert KEY.fullmatch(key) and KEY.fullmatch(secret) and made.body["has_key"] is True
    assert await balance_with(shop, key) == {"balance": "7", "currency": "USD"}

    # Reopened: the hint, never the key; the chat's /api says the same.
    again = (await client.get("/keys")).body
    assert key not in str(again) and secret not in str(again)
    hint = f"{key[:4]}…{key[-4:]}"
    assert row(again, "Key").startswith(f"{hint} (created ")
    assert hint in (await shop.ask(person, "/api")).content

    # A create from an old screen never replaces the key; a confirmed new one does.
    stale = await client.post("/keys", {})
    assert stale.status == 409 and stale.body["message"] == "You have a key already."
    replaced = await client.post("/keys", {"replace": True})
    new_key = replaced.body["new"]["key"]
    assert new_key != key
    assert await balance_with(shop, key) == {"error": "Invalid API key"}
    assert await balance_with(shop, new_key) == {"balance": "7", "currency": "USD"}

    told = await client.post("/keys/notify", {"on": True})
    assert told.body["notify"] is True
    assert told.body["notify_text"] == "API orders are also told in this chat."
    assert "also told in this chat" in (await shop.ask(person, "/api")).content

    revoked = await client.post("/keys/revoke", {})
    assert revoked.body["has_key"] is False and revoked.body["message"] == "The key is revoked."
    assert await balance_with(shop, new_key) == {"error": "Invalid API key"}
    assert key not in caplog.text and new_key not in caplog.text  # even at DEBUG
    # The callback secret is stored as it is (it signs callbacks): aiosqlite's own DEBUG trace
    # of statements prints it with their parameters; no other line does.
    ours = [r.getMessage() for r in caplog.records if r.name != "aiosqlite"]
    assert not [line for line in ours if secret in line]


async def test_the_callback_address_is_checked_as_in_the_chat(
    shop: ShopBot, clients: Clients
) -> None:
    person = await shop.customer()
    client = clients.of(person)
    first = await client.post("/keys/callback", {"url": "https://hooks.example.com/x"})
    assert first.status == 409 and first.body["error"] == "no_key"
    await client.post("/keys", {})
    for url, words in (
        ("http://hooks.example.com/x", "The callback address must start with https://."),
        ("https://10.0.0.7/hook", "Callbacks go only to public addresses"),
        ("https://localhost/hook", "Callbacks go only to public addresses"),
        ("not a url", "That is not a web address. Send e.g. https://example.com/hook"),
    ):
        refused = await client.post("/keys/callback", {"url": url})
        assert refused.status == 422 and refused.body["errors"]["url"].startswith(words), url
        in_chat = (await shop.ask(person, f"/api callback {url}")).content
        assert words.split(" Send")[0] in in_chat  # the chat's words (its example is /api's)
    saved = await client.post("/keys/callback", {"url": " https://hooks.example.com/shop?x=1 "})
    assert saved.body["callback_url"] == "https://hooks.example.com/shop?x=1"
    assert saved.body["message"] == "✅ Status callbacks go to https://hooks.example.com/shop?x=1."
    account = await shop.app.services.resellers.account(person.user_id)
    assert account is not None and account.callback_url == "https://hooks.example.com/shop?x=1"
    off = await client.post("/keys/callback", {"url": ""})
    assert off.body["callback_url"] == "" and off.body["message"] == "✅ Status callbacks are off."
    bad = await client.post("/keys/callback", {"url": ["https://a.example"]})
    assert bad.status == 400 and bad.body["message"] == "url must be text"


async def keys_of(client: MiniAppClient) -> tuple[bool, dict[str, object]]:
    start = await client.get("/start")
    return start.body["reseller_api"], (await client.get("/keys")).body


async def test_without_the_api_or_a_grant_there_is_no_key_to_make(
    world: World, tmp_path: Path
) -> None:
    off = selling_shop(world, tmp_path / "off", reseller_api="off")
    async with off as shop, Clients(shop) as clients:
        client = clients.of(await shop.customer())
        offered, screen = await keys_of(client)
        assert offered is False and screen["access"] == "off"
        assert screen["closed"] == "🔌 This shop does not sell through an API."
        refused = await client.post("/keys", {})
        assert refused.status == 409 and refused.body["error"] == "closed"
    approved = selling_shop(world, tmp_path / "approved", reseller_api="approved")
    async with approved as shop, Clients(shop) as clients:
        person = await shop.customer()
        client = clients.of(person)
        offered, screen = await keys_of(client)
        assert offered is False and screen["access"] == "not_granted"
        assert str(person.user_id) in str(screen["closed"])
        assert "<code>" not in str(screen["closed"])
        assert (await client.post("/keys", {})).status == 409
        await shop.ask(shop.admin, f"/api_grant {person.user_id}")
        offered, screen = await keys_of(client)
        assert offered is True and screen["access"] == "allowed"
        assert (await client.post("/keys", {})).body["has_key"] is True
