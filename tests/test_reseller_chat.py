"""The API in the chat: /api (create a key, shown once; a new key; revoke; the chat
notifications switch; callbacks' URL), the owner's /api_grant, /api_revoke, /reseller and
/resellers, and a discount in the chat's own confirm card. The key is seen in one message only
and never in the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fake_telegram import Person
from tests.harness import ShopBot, World, text_of
from tests.reseller_kit import KEY, api_url, api_world, create_key, post, selling_shop

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with api_world() as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def shop(world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    async with selling_shop(world, tmp_path) as running:
        yield running


def messages_with(shop: ShopBot, person: Person, secret: str) -> int:
    return sum(
        1
        for call in shop.fake.calls
        if call.ok
        and call.message is not None
        and call.message.chat_id == person.chat_id
        and secret in text_of(call.message)
    )


async def test_a_key_from_the_chat_works_and_is_shown_once(
    shop: ShopBot, caplog: pytest.LogCaptureFixture
) -> None:
    person = await shop.customer(balance="7")
    key, secret = await create_key(shop, person)
    url = api_url(shop)
    assert await post(url, {"key": key, "action": "balance"}) == (
        200,
        {"balance": "7", "currency": "USD"},
    )
    screen = await shop.ask(person, "/api")
    assert f"{key[:4]}…{key[-4:]}" in screen.content and key not in screen.content
    assert "not told in this chat" in screen.content
    await shop.press(person, "🔔 Tell me in the chat too")
    account = await shop.app.services.resellers.account(person.user_id)
    assert account is not None and account.notify
    assert "also told in this chat" in person.last_message.content

    # A new key: asked first, then the old one stops at once.
    await shop.press(person, "🔄 New key")
    await person.click("Yes, a new key")
    await person.wait_reply()
    new_key = KEY.findall((await person.wait_reply()).content)[0]
    assert new_key != key
    assert (await post(url, {"key": key, "action": "balance"}))[1] == {"error": "Invalid API key"}
    assert (await post(url, {"key": new_key, "action": "balance"}))[1]["balance"] == "7"

    await shop.press(person, "🗑 Revoke key")
    revoked = await shop.press(person, "Yes, revoke it")
    assert (await post(url, {"key": new_key, "action": "balance"}))[1] == {
        "error": "Invalid API key"
    }
    assert "Key: none yet" in revoked.content
    for shown in (key, new_key, secret):
        assert messages_with(shop, person, shown) == 1
        assert shown not in caplog.text


async def test_callback_address(shop: ShopBot) -> None:
    person = await shop.customer()
    assert (
        "Create a key first"
        in (await shop.ask(person, "/api callback https://a.example/h")).content
    )
    await create_key(shop, person)
    for url, words in (
        ("http://hooks.example.com/x", "must start with https://"),
        ("https://10.0.0.7/hook", "public addresses"),
        ("https://127.0.0.1/hook", "public addresses"),
        ("https://[::1]/hook", "public addresses"),
        ("https://169.254.169.254/latest", "public addresses"),
        ("https://localhost/hook", "public addresses"),
        ("not a url", "not a web address"),
    ):
        assert words in (await shop.ask(person, f"/api callback {url}")).content, url
    reply = await shop.ask(person, "/api callback https://hooks.example.com/shop?x=1")
    assert "✅" in reply.content
    account = await shop.app.services.resellers.account(person.user_id)
    assert account is not None and account.callback_url == "https://hooks.example.com/shop?x=1"
    assert "hooks.example.com" in (await shop.ask(person, "/api")).content
    assert "off" in (await shop.ask(person, "/api callback off")).content
    account = await shop.app.services.resellers.account(person.user_id)
    assert account is not None and account.callback_url is None


async def test_the_owners_commands(shop: ShopBot) -> None:
    person = await shop.customer(balance="20", username="reseller_ann")
    key, _ = await create_key(shop, person)
    admin = shop.admin
    reply = await shop.ask(admin, f"/reseller {person.user_id} 10")
    assert "10% off" in reply.content
    assert "10%" in (await shop.ask(admin, "/reseller @reseller_ann")).content
    assert "not a percentage" in (await shop.ask(admin, f"/reseller {person.user_id} 150")).content
    assert "Usage" in (await shop.ask(admin, "/reseller")).content
    # The discount in the chat's own confirm card: 1,000 views at 3.25 less 10%.
    await shop.ask(person, "/start")
    await shop.open_service(person, "Youtube", "Youtube views")
    await shop.press(person, "🛒 Order")
    await shop.ask(person, "https://youtu.be/discount")
    card = await shop.ask(person, "1000")
    assert "2.925" in card.content
    await shop.press(person, "✅ Confirm")
    orders = await shop.app.services.people.recent_orders(person.user_id, 1)
    assert str(orders[0].price) == "2.925" and not orders[0].via_api

    listing = await shop.ask(admin, "/resellers")
    assert str(person.user_id) in listing.content
    assert f"{key[:4]}…{key[-4:]}" in listing.content
    assert "spent 2.925 USD" in listing.content and "10% off" in listing.content
    assert key not in listing.content

    reply = await shop.ask(admin, f"/api_revoke {person.user_id}")
    assert "stopped at once" in reply.content
    assert await post(api_url(shop), {"key": key, "action": "balance"}) == (
        200,
        {"error": "Invalid API key"},
    )
    assert "No such user" in (await shop.ask(admin, "/api_grant 42")).content
    assert (
        "may create an API key" in (await shop.ask(admin, f"/api_grant {person.user_id}")).content
    )


async def test_approved_mode_in_the_chat(world: World, tmp_path: Path) -> None:
    async with selling_shop(world, tmp_path, reseller_api="approved") as shop:
        person = await shop.customer()
        screen = await shop.ask(person, "/api")
        assert "approve" in screen.content and str(person.user_id) in screen.content
        assert not screen.buttons
        await shop.ask(shop.admin, f"/api_grant {person.user_id}")
        await create_key(shop, person)


def menu(shop: ShopBot, language: str = "") -> dict[str, str]:
    return {
        item["command"]: item["description"]
        for (scope, code), items in shop.fake.my_commands.items()
        if scope == "default" and code == language
        for item in items
    }


async def test_the_menu_offers_api_when_the_shop_sells_through_it(shop: ShopBot) -> None:
    await shop.app.set_commands()
    assert menu(shop)["api"] == "API key for resellers"
    assert menu(shop, "ru")["api"] == "Ключ API для реселлеров"


async def test_without_the_api_the_chat_says_so(world: World, tmp_path: Path) -> None:
    async with selling_shop(world, tmp_path, reseller_api="off") as shop:
        await shop.app.set_commands()
        assert "api" not in menu(shop) and "orders" in menu(shop)
        person = await shop.customer()
        assert "does not sell through an API" in (await shop.ask(person, "/api")).content
        customer = await shop.customer()
        unknown = await shop.ask(customer, "/resellers")
        assert "don't know" in unknown.content
