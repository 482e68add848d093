"""The reseller API's door: keys (a wrong, revoked, replaced or banned one is refused at once),
access modes, how requests may be sent (form, JSON, GET), what a bad request gets (never a
traceback, never a charge), rate limits, and the account's `balance` and `services`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from shop.resellers import Access, NewKey
from tests.harness import ShopBot, World
from tests.reseller_kit import (
    PUBLIC_URL,
    Reseller,
    api_url,
    api_world,
    new_reseller,
    post,
    selling_shop,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with api_world() as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def shop(world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    async with selling_shop(world, tmp_path) as running:
        yield running


async def test_a_wrong_key_is_invalid_whatever_the_action(shop: ShopBot) -> None:
    url = api_url(shop)
    for fields in (
        {"action": "balance"},
        {"key": "", "action": "balance"},
        {"key": "0" * 32, "action": "services"},
        {"key": "x" * 5000, "action": "add", "service": "1"},
    ):
        assert await post(url, fields) == (200, {"error": "Invalid API key"})


async def test_balance_and_currency(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="68.6868")
    assert await reseller.call("balance") == {"balance": "68.6868", "currency": "USD"}


async def test_services_list_this_resellers_price(shop: ShopBot) -> None:
    reseller = await new_reseller(shop)
    listed = {item["service"]: item for item in await reseller.call("services")}
    assert listed[1] == {
        "service": 1,
        "name": "Youtube views",
        "type": "Default",
        "category": "Youtube",
        "rate": "3.25",  # 2.5 + 30% markup
        "min": "200",
        "max": "10000",
        "refill": True,
        "cancel": False,
        "dripfeed": False,
    }
    assert listed[2]["type"] == "Custom Comments" and listed[11]["type"] == "Package"
    assert listed[11]["rate"] == "2.47" and listed[11]["min"] == listed[11]["max"] == "1"
    assert listed[101]["cancel"] is True and listed[101]["dripfeed"] is True
    # The owner's discount for this reseller, never below what the route costs.
    await shop.app.services.resellers.set_discount(reseller.user_id, Decimal(10))
    listed = {item["service"]: item for item in await reseller.call("services")}
    assert listed[1]["rate"] == "2.925"  # 3.25 less 10%
    await shop.app.services.resellers.set_discount(reseller.user_id, Decimal(50))
    listed = {item["service"]: item for item in await reseller.call("services")}
    assert listed[1]["rate"] == "2.5"  # 1.625 would be below the panel's 2.5


async def test_requests_as_form_json_or_get(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="5")
    expected = {"balance": "5", "currency": "USD"}
    async with aiohttp.ClientSession() as http:
        params = {"key": reseller.key.key, "action": "balance"}
        async with http.get(reseller.url, params=params) as response:
            assert (response.status, await response.json()) == (200, expected)
        async with http.post(reseller.url, json=params) as response:
            assert (response.status, await response.json()) == (200, expected)
        body = f"key={reseller.key.key}&action=balance"  # form without its content type
        async with http.post(reseller.url, data=body.encode()) as response:
            assert await response.json() == expected
        form = aiohttp.FormData({"key": reseller.key.key, "action": "balance"})
        form.add_field("note", "x")  # multipart
        async with http.post(reseller.url, data=form) as response:
            assert await response.json() == expected


async def test_bad_requests_get_a_clear_error_and_charge_nothing(
    shop: ShopBot, caplog: pytest.LogCaptureFixture
) -> None:
    reseller = await new_reseller(shop, balance="10")
    key = reseller.key.key
    bodies: list[tuple[bytes, str]] = [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (
            json.dumps({"key": key, "action": "add", "service": {"a": 1}}).encode(),
            "application/json",
        ),
        (b"\xff\xfe\x00", "text/plain"),
    ]
    async with aiohttp.ClientSession() as http:
        for body, content_type in bodies:
            headers = {"Content-Type": content_type}
            async with http.post(reseller.url, data=body, headers=headers) as response:
                assert response.status == 200
                assert await response.json() == {"error": "Incorrect request"}
        async with http.post(reseller.url, data=b"x" * (2 * 1024 * 1024)) as response:
            assert response.status == 413
            assert "error" in await response.json()
    assert await reseller.call("dance") == {"error": "Incorrect request"}
    assert await reseller.call("") == {"error": "Incorrect request"}
    for fields in (
        {"service": "1", "link": "https://youtu.be/x", "quantity": "9" * 400},
        {"service": "9" * 400, "link": "https://youtu.be/x", "quantity": "1000"},
        {"service": "-1", "link": "https://youtu.be/x", "quantity": "1000"},
        {"service": "1", "link": "https://youtu.be/x", "quantity": "1e9"},
        {"service": "1", "link": "https://youtu.be/x", "quantity": "NaN"},
    ):
        answer = await reseller.call("add", **fields)
        assert set(answer) == {"error"}, answer
    assert await reseller.balance() == Decimal(10)
    assert "Traceback" not in caplog.text
    assert key not in caplog.text


async def test_a_new_key_stops_the_old_one_at_once(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="1")
    old = reseller.key
    user = await shop.app.services.people.person(reseller.user_id)
    assert user is not None
    new = await shop.app.services.resellers.create_key(user)
    assert isinstance(new, NewKey) and new.key != old.key
    assert await post(reseller.url, {"key": old.key, "action": "balance"}) == (
        200,
        {"error": "Invalid API key"},
    )
    reseller.key = new
    assert await reseller.call("balance") == {"balance": "1", "currency": "USD"}
    # Revoked: refused at once; the account shows no key.
    assert await shop.app.services.resellers.revoke_key(reseller.user_id)
    assert await reseller.call("balance") == {"error": "Invalid API key"}
    account = await shop.app.services.resellers.account(reseller.user_id)
    assert account is not None and not account.has_key


async def test_a_banned_persons_key_stops_at_once(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="1")
    assert "balance" in await reseller.call("balance")
    user = await shop.app.services.people.person(reseller.user_id)
    assert user is not None
    await shop.app.services.console.set_banned(user, True)
    assert await reseller.call("balance") == {"error": "Invalid API key"}
    banned = await shop.app.services.people.person(reseller.user_id)
    assert banned is not None
    assert await shop.app.services.resellers.create_key(banned) is Access.BANNED
    await shop.app.services.console.set_banned(banned, False)
    assert "balance" in await reseller.call("balance")


async def test_approved_mode_needs_a_grant(world: World, tmp_path: Path) -> None:
    async with selling_shop(world, tmp_path, reseller_api="approved") as shop:
        person = await shop.customer(balance="3")
        resellers = shop.app.services.resellers
        user = await shop.app.services.people.person(person.user_id)
        assert user is not None
        assert await resellers.create_key(user) is Access.NOT_GRANTED
        await resellers.grant(person.user_id, True)
        key = await resellers.create_key(user)
        assert isinstance(key, NewKey)
        reseller = Reseller(shop, person, key)
        assert await reseller.call("balance") == {"balance": "3", "currency": "USD"}
        await resellers.grant(person.user_id, False)  # /api_revoke: the key stops at once
        assert await reseller.call("balance") == {"error": "Invalid API key"}
        assert resellers.endpoint == f"{PUBLIC_URL}/api/v2"


async def test_off_serves_no_api(world: World, tmp_path: Path) -> None:
    async with (
        selling_shop(world, tmp_path, reseller_api="off") as shop,
        aiohttp.ClientSession() as http,
        http.post(api_url(shop)) as response,
    ):
        assert response.status == 404


async def test_rate_limit_answers_429_with_a_json_error(world: World, tmp_path: Path) -> None:
    limits = {"reseller_api_rate": 0.001, "reseller_api_burst": 3}  # no refill in the test
    async with selling_shop(world, tmp_path, **limits) as shop:
        reseller = await new_reseller(shop, balance="1")
        for _ in range(3):
            assert "balance" in await reseller.call("balance")
        fields = {"key": reseller.key.key, "action": "balance"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(reseller.url, data=fields) as response,
        ):
            assert response.status == 429
            assert int(response.headers["Retry-After"]) >= 1
            assert await response.json() == {"error": "Too many requests. Please slow down."}
        # Another reseller has a bucket of their own.
        other = await new_reseller(shop, balance="2")
        assert "balance" in await other.call("balance")
        # Wrong keys are limited by address: guessing keys at speed is stopped.
        statuses = [
            (await post(reseller.url, {"key": f"guess{i}", "action": "balance"}))[0]
            for i in range(30)
        ]
        assert statuses[:20] == [200] * 20 and 429 in statuses[20:]
