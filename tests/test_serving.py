"""Serving: the webhook's checks, a stop right after a 200, switching modes, /healthz, /metrics.

The bot runs as in production (its aiohttp server on 127.0.0.1) against the fake Telegram,
which posts updates to it in webhook mode as Telegram does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.healthz import HealthCheck, PanelView
from bot.webhook import SECRET_HEADER, SECRET_SETTING, webhook_path
from storage.db import Database
from storage.orders import Stage
from storage.settings import SettingsRepository
from tests.fake_telegram import TEST_TOKEN, FakeTelegram
from tests.harness import ShopBot, World, running_bot, text_of
from tests.test_e2e_ordering import confirm_card, confirm_order
from tests.test_e2e_payments import paid_topup

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = "s3cret_for-tests"
TOKEN = "metrics-token-for-tests"


async def http(
    method: str, url: str, *, data: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=data, headers=headers or {}) as response,
    ):
        return response.status, await response.text()


def update_url(shop: ShopBot) -> str:
    assert shop.app.web is not None and shop.app.webhook is not None
    return shop.app.web.url + webhook_path(shop.app.webhook.secret)


def handled(shop: ShopBot) -> float:
    """Updates the dispatcher has handled so far (the metrics' count)."""
    registry = shop.app.metrics.registry
    return sum(
        registry.get_sample_value("shopbot_update_seconds_count", {"type": kind}) or 0.0
        for kind in ("message", "callback_query", "pre_checkout_query")
    )


def webhook_of(fake: FakeTelegram) -> tuple[str, str | None]:
    return fake.webhook_url, fake.webhook_secret


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


# ---- webhook ----------------------------------------------------------------------------------


async def test_updates_without_the_secret_are_refused_before_the_dispatcher(
    shared_world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(shared_world, tmp_path, "webhook", webhook_secret=SECRET) as shop:
        assert shared_world.fake.webhook_secret == SECRET
        assert SECRET not in shared_world.fake.webhook_url  # the path is derived, not the secret
        ann = await shop.customer()  # delivered by the fake, with the header: answered
        await shop.wait_idle()
        before, calls = handled(shop), len(shop.fake.calls)
        update = json.dumps({"update_id": 10**9, "message": {"text": "/start"}}).encode()
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            status, _ = await http("POST", update_url(shop), data=update, headers=headers)
            assert status == 403
        assert handled(shop) == before
        assert len(shop.fake.calls) == calls  # nothing was answered to anyone
        assert "Hello" in (await shop.ask(ann, "/start")).content
    no_tracebacks(caplog)


async def test_bad_requests_get_400_413_405_never_a_traceback(
    shared_world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(shared_world, tmp_path, "webhook", webhook_secret=SECRET) as shop:
        url, secret = update_url(shop), {SECRET_HEADER: SECRET}
        before = handled(shop)
        for body in (b"{not json", b"[]", b'{"update_id": "1"}', b'{"update_id": 1, "message": 5}'):
            assert (await http("POST", url, data=body, headers=secret))[0] == 400, body
        huge = json.dumps({"update_id": 1, "message": {"text": "x" * (1024 * 1024)}}).encode()
        assert (await http("POST", url, data=huge, headers=secret))[0] == 413
        assert (await http("GET", url, headers=secret))[0] == 405
        assert (await http("PUT", url, headers=secret))[0] == 405
        guess = url.rsplit("/", 1)[0] + "/guess"
        assert (await http("POST", guess, headers=secret))[0] == 404
        assert handled(shop) == before
        ann = await shop.customer()  # and the bot goes on answering
        assert "Hello" in (await shop.ask(ann, "/start")).content
    no_tracebacks(caplog)


async def test_an_update_answered_200_is_handled_though_a_stop_follows(
    shared_world: World, tmp_path: Path
) -> None:
    """The panel takes a second to answer; the bot is stopped as soon as Telegram has its 200:
    the order is still placed, its result sent, and only then the database closes."""
    fake, sim = shared_world.fake, shared_world.sim
    try:
        async with running_bot(shared_world, tmp_path, "webhook") as shop:
            eve, _ = await confirm_card(shop)
            await shop.wait_idle()
            posted = len(fake.webhook_posts)
            sim.latency_seconds = 1.0
            await eve.click("✅ Confirm")
            await fake.wait_for(
                lambda: any(status == 200 for _, status in fake.webhook_posts[posted:]) or None
            )
            assert "placed" not in text_of(eve.last_message)  # the panel has not answered yet
    finally:
        sim.latency_seconds = 0.0
    assert "placed" in text_of(eve.last_message)
    database = Database(tmp_path / "bot.sqlite3")
    await database.connect()
    try:
        stage = await database.fetchval(
            "SELECT status FROM orders WHERE user_id = ?", (eve.user_id,)
        )
    finally:
        await database.close()
    assert stage == Stage.PENDING


async def test_a_generated_secret_is_kept_and_polling_deletes_the_webhook(
    shared_world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = shared_world.fake
    async with running_bot(shared_world, tmp_path, "webhook") as shop:
        secret = fake.webhook_secret
        assert secret and len(secret) >= 32
        assert await SettingsRepository(shop.app.db).get(SECRET_SETTING) == secret
        ann = await shop.customer()
    await ann.send("while the bot is down")  # kept by Telegram until a bot takes it
    async with running_bot(shared_world, tmp_path, "webhook") as shop:
        assert fake.webhook_secret == secret  # the same one, from the database
        await shop.expect(ann, "🔎")  # the update queued meanwhile was posted, as a search
    async with running_bot(shared_world, tmp_path) as shop:  # polling again
        assert webhook_of(fake) == ("", None)
        assert "Hello" in (await shop.ask(ann, "/start")).content
    assert all(secret not in record.getMessage() for record in caplog.records)


# ---- health --------------------------------------------------------------------------------


async def test_healthz_in_polling_mode_when_web_port_is_set(
    shared_world: World, tmp_path: Path
) -> None:
    async with running_bot(
        shared_world, tmp_path, web_port=0, web_host="127.0.0.1", metrics_token=TOKEN
    ) as shop:
        assert shop.app.web is not None and shop.app.webhook is None
        await shop.customer()
        status, body = await http("GET", shop.app.web.url + "/healthz")
        assert status == 200
        report = json.loads(body)
        assert report["status"] == "ok" and report["problems"] == []
        assert report["mode"] == "polling" and report["database"] == {"writable": True}
        [panel] = report["panels"]
        assert panel["name"] == "main" and panel["last_error"] is None
        assert 0 <= panel["last_answer_seconds_ago"] < 60
        assert report["outbox"]["backlog"] >= 0 and report["version"]
        for secret in (TEST_TOKEN, "demo", TOKEN, shared_world.sim.url):
            assert secret not in body
        assert (await http("POST", shop.app.web.url + "/healthz"))[0] == 405


class Stored:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    async def set(self, key: str, value: str) -> None:
        if self.error:
            raise self.error


class Outbox:
    def __init__(self, backlog: int, oldest: int | None) -> None:
        self.figures = (backlog, oldest)

    async def backlog(self) -> tuple[int, int | None]:
        return self.figures


def routed(*names: str) -> Any:
    async def panels() -> frozenset[str]:
        return frozenset(names)

    return panels


def health(**changes: Any) -> HealthCheck:
    parts: dict[str, Any] = {
        "settings": Stored(),
        "outbox": Outbox(3, int(time.time()) - 5),
        "panels": lambda: [PanelView("main", time.time() - 1, None)],
        "routed_panels": routed("main"),
        "payments": lambda: [],
        "tracker_age": lambda: 30.0,
        "tracker_late_seconds": 300.0,
        "mode": "webhook",
    }
    return HealthCheck(**(parts | changes))


async def test_healthz_names_what_is_wrong() -> None:
    assert (await health().report())["problems"] == []
    broken = health(
        settings=Stored(sqlite3.OperationalError("database or disk is full")),
        outbox=Outbox(50, int(time.time()) - 3600),
        panels=lambda: [
            PanelView("main", time.time() - 400, "cannot reach the panel (ClientConnectorError)"),
            PanelView("backup", time.time() - 400, None),  # quiet, but it answered its last call
        ],
        tracker_age=lambda: 900.0,
    )
    report = await broken.report()
    assert report["status"] == "failing"
    problems = " | ".join(report["problems"])
    assert "database" in problems and "panel main" in problems and "backup" not in problems
    assert "tracker" in problems
    # A late outbox: people are told late, but the shop still sells.
    assert "outbox" not in problems and "outbox" in " | ".join(report["degraded"])
    assert report["panels"][0]["last_error"] == "cannot reach the panel (ClientConnectorError)"
    late = await health(outbox=Outbox(50, int(time.time()) - 3600)).report()
    assert (late["status"], late["problems"]) == ("degraded", [])
    # A panel silent since the start (never answered) counts from the start.
    fresh = health(panels=lambda: [PanelView("main", None, "the panel did not answer in time")])
    assert (await fresh.report())["problems"] == []


# ---- metrics --------------------------------------------------------------------------------


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_what_happened(shared_world: World, tmp_path: Path) -> None:
    fake, sim = shared_world.fake, shared_world.sim
    async with running_bot(shared_world, tmp_path, "webhook", metrics_token=TOKEN) as shop:
        assert shop.app.web is not None
        url = shop.app.web.url + "/metrics"
        assert (await http("GET", url))[0] == 401
        assert (await http("GET", url, headers={"Authorization": "Bearer wrong"}))[0] == 401

        ann, _ = await confirm_card(shop)
        placed = await confirm_order(shop, ann)
        assert "placed" in text_of(placed)
        bob, _ = await confirm_card(shop)
        panel_balance = sim.balance
        sim.set_balance(0)  # the panel refuses: failed, refunded
        try:
            await confirm_order(shop, bob)
        finally:
            sim.set_balance(panel_balance)
        await paid_topup(shop, ann, "10.00 USD", f"charge-metrics-{tmp_path.name}")
        order = (await shop.app.books.orders.for_user(ann.user_id))[0]
        assert order.panel_order_id is not None
        sim.set_order(order.panel_order_id, status="Completed", remains=0)
        await shop.app.tracker.sync_once()  # the panel's charge is now known
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await shop.ask(ann, "/start")  # answered a second later, after the 429
        await shop.sent_to(ann.chat_id, "Payment received", 0)
        await shop.wait_idle()

        status, text = await http("GET", url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        found = samples(text)
    assert value(found, "shopbot_update_seconds_count", type="message") >= 6
    assert value(found, "shopbot_update_seconds_count", type="callback_query") >= 8
    assert value(found, "shopbot_orders_placed_total") == 1
    assert value(found, "shopbot_orders_failed_total") == 1
    assert value(found, "shopbot_orders_unconfirmed") == 0
    assert value(found, "shopbot_refunds_total", of="order") == 1
    assert value(found, "shopbot_refunded_amount_total", of="order") == 3.25
    assert value(found, "shopbot_topups_total", method="stars") == 1
    assert value(found, "shopbot_topup_amount_total", method="stars") == 10
    assert value(found, "shopbot_panel_charges_total", panel="main") == 2.5  # 1,000 at 2.50
    ok = value(found, "shopbot_panel_requests_total", panel="main", action="add", outcome="ok")
    refused = value(
        found, "shopbot_panel_requests_total", panel="main", action="add", outcome="refused"
    )
    assert (ok, refused) == (1, 1)
    assert value(found, "shopbot_panel_request_seconds_count", panel="main", action="status") >= 1
    assert value(found, "shopbot_telegram_too_many_requests_total", method="sendMessage") == 1
    assert value(found, "shopbot_notifications_total", outcome="sent") >= 1
    assert ("shopbot_outbox_backlog", ()) in found


async def test_tracker_cycles_are_timed_and_aged(shared_world: World, tmp_path: Path) -> None:
    async with running_bot(shared_world, tmp_path, web_port=0, web_host="127.0.0.1") as shop:
        app, cycled = shop.app, asyncio.Event()
        observe = app.tracker.on_cycle
        assert observe is not None

        def cycle(seconds: float) -> None:
            observe(seconds)
            cycled.set()

        app.tracker.on_cycle = cycle
        assert app.tracker_age() is None  # not started: the health check does not ask
        app.start_tracker()
        await cycled.wait()
        age = app.tracker_age()
        assert age is not None and age < 60
        count = app.metrics.registry.get_sample_value("shopbot_tracker_cycle_seconds_count")
        assert count == 1
        assert app.web is not None
        report = json.loads((await http("GET", app.web.url + "/healthz"))[1])
        assert report["tracker"]["last_cycle_seconds_ago"] < 60


async def test_the_update_path_is_derived_from_the_secret() -> None:
    path = webhook_path(SECRET)
    assert re.fullmatch(r"/telegram/[0-9a-f]{32}", path) and SECRET not in path
    assert path == webhook_path(SECRET) and path != webhook_path(SECRET + "x")
