"""Status callbacks: written with the change they announce, delivered at least once to the
reseller's URL, signed so that a receiver can verify them, retried with backoff, each
reseller's in order, never to a private, loopback or link-local address; and the chat stays
quiet about API orders unless the reseller asked. A real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.callback_sender import CallbackSender, PublicOnlyResolver, UnsafeAddress
from shop.resellers import address_allowed
from tests.harness import ShopBot, World, eventually
from tests.reseller_kit import Reseller, api_world, new_reseller, selling_shop

pytestmark = pytest.mark.asyncio(loop_scope="module")
LINK = "https://youtu.be/callback"


@dataclass
class Receiver:
    """A reseller's endpoint: answers `statuses` in turn (then 200), records what it got."""

    statuses: list[int] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def next(self, count: int) -> list[dict[str, Any]]:
        """Wait until `count` requests came; their bodies."""
        while len(self.got) < count:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 15)
        return [json.loads(body) for _, body in self.got[:count]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with api_world() as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="module")
async def shop(world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    async with selling_shop(world, tmp_path, reseller_callbacks_allow_loopback=True) as running:
        assert running.app.callbacks is not None
        running.app.callbacks.first_retry = 0.05  # retries within the test's time
        yield running


def sender(shop: ShopBot) -> CallbackSender:
    assert shop.app.callbacks is not None
    return shop.app.callbacks


async def placed(reseller: Reseller, link: str, quantity: int = 1000) -> int:
    answer = await reseller.call("add", service=1, link=link, quantity=quantity)
    return int(answer["order"])


async def finish(shop: ShopBot, order_id: int, status: str, remains: int = 0) -> None:
    order = await shop.app.services.people.order(order_id)
    assert order is not None and order.panel_order_id is not None
    shop.sim.set_order(order.panel_order_id, status=status, remains=remains)
    await shop.app.tracker.sync_once()


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a reseller's receiver does: HMAC-SHA256 of the raw body, compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-Signature", ""), expected)


async def test_signed_callbacks_on_every_status_change(shop: ShopBot, receiver: Receiver) -> None:
    reseller = await new_reseller(shop, balance="20")
    await shop.app.services.resellers.set_callback_url(reseller.user_id, receiver.url)
    first = await placed(reseller, LINK + "1")
    second = await placed(reseller, LINK + "2")
    order = await shop.app.services.people.order(first)
    assert order is not None and order.panel_order_id is not None
    shop.sim.set_order(order.panel_order_id, status="In progress", remains=600)
    await shop.app.tracker.sync_once()
    await finish(shop, first, "Completed")
    await finish(shop, second, "Partial", remains=250)
    bodies = await receiver.next(3)
    assert {"start_count"} <= set(bodies[0])  # the panel's, whatever it is
    for body in bodies:
        del body["start_count"]
    assert bodies == [
        {"order": first, "charge": "3.25", "status": "In progress", "remains": "600",
         "currency": "USD"},
        {"order": first, "charge": "3.25", "status": "Completed", "remains": "0",
         "currency": "USD"},
        {"order": second, "charge": "2.4375", "status": "Partial", "remains": "250",
         "currency": "USD"},
    ]  # fmt: skip
    for headers, raw in receiver.got:
        assert verified(reseller.key.callback_secret, headers, raw)
        assert not verified("another secret", headers, raw)
        assert headers["Content-Type"] == "application/json"
    # Nothing in the chat about API orders: the reseller has not asked for it.
    messages = [c for c in shop.fake.calls if c.message and c.message.chat_id == reseller.user_id]
    assert not [c for c in messages if f"#{first}" in (c.message.text or "")]  # type: ignore[union-attr]
    assert await reseller.balance() == Decimal(20) - Decimal("3.25") - Decimal("2.4375")


async def test_a_failing_receiver_gets_it_again_in_order(shop: ShopBot, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    reseller = await new_reseller(shop, balance="20")
    await shop.app.services.resellers.set_callback_url(reseller.user_id, receiver.url)
    first = await placed(reseller, LINK + "3")
    second = await placed(reseller, LINK + "4")
    await finish(shop, first, "Completed")
    await finish(shop, second, "Canceled", remains=1000)
    bodies = await receiver.next(4)
    # The first callback twice refused, then taken; the second waited its turn.
    assert [(b["order"], b["status"]) for b in bodies] == [
        (first, "Completed"), (first, "Completed"), (first, "Completed"), (second, "Canceled"),
    ]  # fmt: skip

    async def delivered() -> bool:
        row = await shop.app.db.fetchone(
            "SELECT COUNT(*) FROM notifications WHERE channel = 'callback' AND sent_at IS NULL"
            " AND dropped IS NULL"
        )
        return row is not None and row[0] == 0

    await eventually(delivered)


async def test_the_chat_tells_api_orders_when_asked(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="20")
    await shop.app.services.resellers.set_notify(reseller.user_id, True)
    order = await placed(reseller, LINK + "5")
    since = shop.mark()
    await finish(shop, order, "Completed")
    await shop.sent_to(reseller.user_id, f"Order #{order} is completed", since)


async def test_admin_refund_and_resolve_call_back_too(shop: ShopBot, receiver: Receiver) -> None:
    reseller = await new_reseller(shop, balance="20")
    await shop.app.services.resellers.set_callback_url(reseller.user_id, receiver.url)
    order = await placed(reseller, LINK + "6")
    await finish(shop, order, "Completed")
    await receiver.next(1)
    await shop.app.services.credits.refund_order(order, Decimal("1.625"))  # half
    bodies = await receiver.next(2)
    assert bodies[1]["status"] == "Partial" and bodies[1]["remains"] == "500"
    assert bodies[1]["charge"] == "1.625"


class StandInDns(AbstractResolver):
    """Names to addresses, as a DNS would answer (nothing leaves this machine)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        address = self.names[host]
        return [
            ResolveResult(
                hostname=host, host=address, port=port, family=socket.AF_INET, proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]  # fmt: skip

    async def close(self) -> None:
        return None


async def test_callbacks_never_go_to_a_private_address(world: World, tmp_path: Path) -> None:
    receiver = Receiver()
    async with selling_shop(world, tmp_path) as shop:  # loopback not allowed: production
        dns = StandInDns(
            {"hooks.example.com": "127.0.0.1", "metadata.example.com": "169.254.169.254"}
        )
        sender(shop).dns = dns
        resellers = shop.app.services.resellers
        for host in ("hooks.example.com", "metadata.example.com"):
            reseller = await new_reseller(shop, balance="10")
            # A public-looking name, accepted when set: checked again where it resolves to.
            await resellers.set_callback_url(reseller.user_id, f"https://{host}/hook")
            order = await placed(reseller, f"{LINK}/{host}")
            await finish(shop, order, "Completed")

            async def dropped(user_id: int = reseller.user_id) -> bool:
                row = await shop.app.db.fetchone(
                    "SELECT dropped FROM notifications WHERE channel = 'callback' AND chat_id = ?",
                    (user_id,),
                )
                return row is not None and row[0] is not None and "private" in row[0]

            await eventually(dropped)
        assert dns.asked == ["hooks.example.com", "metadata.example.com"]
    assert receiver.got == []


async def test_the_address_rules() -> None:
    for refused in (
        "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.169.254", "0.0.0.0",  # noqa: S104
        "100.64.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
        "224.0.0.1", "255.255.255.255", "198.18.0.1",
    ):  # fmt: skip
        assert not address_allowed(ipaddress.ip_address(refused)), refused
    for allowed in ("8.8.8.8", "2001:4860:4860::8888", "93.184.216.34"):
        assert address_allowed(ipaddress.ip_address(allowed)), allowed
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)
    resolver = PublicOnlyResolver(False, StandInDns({"a.example": "10.9.8.7"}))
    with pytest.raises(UnsafeAddress):
        await resolver.resolve("a.example")
