"""/healthz tells a degraded shop from one that is down, over real HTTP: the running bot with a
second panel and Crypto Pay, against the panel and Crypto Pay simulators; and the container's
HEALTHCHECK command (`python -m bot.probe`) run against it.

Five minutes of silence cannot be waited for in a test: the panels and the payment method fail
for real (the simulators answer HTTP 500), then their records are dated back, as if the time
had passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from payments_api.cryptopay import CryptoPayUnavailable
from shop.checkout import Placed
from shop.service_drafts import OrderDraft
from simulators.cryptopay import CryptoPaySimulator
from simulators.panel import PANEL_PRESETS, PanelSimulator, make_panel
from tests.harness import ShopBot, World, free_port, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT = Path(__file__).resolve().parents[1]
LONG_AGO = 400.0  # seconds: past the 5 minutes a panel or a method may be silent


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def backup() -> AsyncIterator[PanelSimulator]:
    sim = make_panel("backup", tick_seconds=None)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-health-token-7")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def shop(
    shared_world: World, backup: PanelSimulator, crypto: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[ShopBot]:
    settings: dict[str, Any] = {
        "web_host": "127.0.0.1",
        "web_port": free_port(),
        "crypto_pay_token": crypto.token,
        "crypto_pay_url": crypto.url,
        "crypto_pay_poll_seconds": 3600,  # the tests poll when they mean to
    }
    async with running_bot(shared_world, tmp_path, **settings) as bot:
        await bot.app.catalog.add_panel("backup", backup.url, PANEL_PRESETS["backup"].key)
        bot.app.catalog.panels.named("backup").client._backoff = 0.01  # retries fast in tests
        yield bot
    shared_world.sim.clear_faults()
    backup.clear_faults()


async def healthz(shop: ShopBot) -> tuple[int, dict[str, Any]]:
    assert shop.app.web is not None
    async with (
        aiohttp.ClientSession() as session,
        session.get(shop.app.web.url + "/healthz") as response,
    ):
        return response.status, json.loads(await response.text())


async def probe(shop: ShopBot) -> int:
    """The container's HEALTHCHECK command against the running bot: its exit code."""
    assert shop.app.web is not None
    port = shop.app.web.url.rsplit(":", 1)[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.probe",
        cwd=ROOT, env=os.environ | {"WEB_PORT": port},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    return await process.wait()


async def silence(shop: ShopBot, sim: PanelSimulator, name: str) -> None:
    """The panel stops answering (HTTP 500), the bot's watch finds it, and 400 s pass."""
    sim.inject_fault("http500", 100)
    await shop.app.health.check()
    record = shop.app.catalog.panels.named(name).client.record
    assert record.last_error is not None
    record.last_answer_at = time.time() - LONG_AGO


async def test_a_silent_backup_panel_degrades_the_shop_which_still_sells(
    shop: ShopBot, shared_world: World, backup: PanelSimulator
) -> None:
    reply = await shop.ask(shop.admin, "/route 1 main:1 backup:101")
    assert reply.content.startswith("✅"), reply.content
    status, report = await healthz(shop)
    assert (status, report["status"], report["degraded"]) == (200, "ok", [])
    assert {p["name"]: p["holds_routes"] for p in report["panels"]} == {
        "main": True,
        "backup": True,
    }

    await silence(shop, backup, "backup")
    status, report = await healthz(shop)
    assert (status, report["status"], report["problems"]) == (200, "degraded", [])
    assert [line for line in report["degraded"] if line.startswith("panel backup")]
    assert await probe(shop) == 0  # degraded is healthy for the container

    # It still sells: an order goes to the main panel.
    person = await shop.customer(balance="10")
    user = await shop.app.services.people.person(person.user_id)
    assert user is not None
    draft = OrderDraft(service_id=1, link="https://youtu.be/health", quantity=1000)
    placed = await shop.app.services.ordering.place(user, draft)
    assert isinstance(placed, Placed) and placed.order.panel == "main"

    # The main panel falls silent too: no panel that holds routes answers, nothing can sell.
    await silence(shop, shared_world.sim, "main")
    status, report = await healthz(shop)
    assert (status, report["status"]) == (503, "failing")
    problems = " | ".join(report["problems"])
    assert "none of those that hold routes answers" in problems
    assert "panel main" in problems and "panel backup" in problems
    assert await probe(shop) == 1


async def test_a_silent_panel_that_holds_no_route_only_degrades(
    shop: ShopBot, backup: PanelSimulator
) -> None:
    """Backup was added (picked: nothing imported), so the main panel alone sells."""
    await silence(shop, backup, "backup")
    status, report = await healthz(shop)
    assert (status, report["status"]) == (200, "degraded")
    assert {p["name"]: p["holds_routes"] for p in report["panels"]} == {
        "main": True,
        "backup": False,
    }


async def test_crypto_pay_failing_degrades_the_shop_and_recovering_clears_it(
    shop: ShopBot, crypto: CryptoPaySimulator
) -> None:
    topups = shop.app.services.topups
    assert topups.crypto is not None
    person = await shop.customer()
    opened = await topups.crypto.open_invoice(person.user_id, Decimal(5))
    assert opened is not None and hasattr(opened, "pay_url")
    [method] = (await healthz(shop))[1]["payments"]
    assert method["name"] == "crypto" and method["last_error"] is None

    crypto.fail_next(502, count=1)
    with pytest.raises(CryptoPayUnavailable):
        await topups.crypto.poll_once()  # the polling loop logs this and carries on
    status, report = await healthz(shop)
    assert report["payments"][0]["last_error"] == "getInvoices: HTTP 502, not an API answer"
    assert (status, report["status"]) == (200, "ok")  # not for 5 minutes yet

    calls = topups.health.record("crypto")
    assert calls.failing_since is not None
    calls.failing_since -= LONG_AGO
    status, report = await healthz(shop)
    assert (status, report["status"], report["problems"]) == (200, "degraded", [])
    assert [line for line in report["degraded"] if line.startswith("payments crypto")]
    assert "crypto-health-token-7" not in json.dumps(report)
    assert await probe(shop) == 0

    await topups.crypto.poll_once()  # Crypto Pay answers again
    status, report = await healthz(shop)
    assert (status, report["status"], report["degraded"]) == (200, "ok", [])
