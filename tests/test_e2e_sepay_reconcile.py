"""SePay reconciliation end to end: the SePay simulator keeps the account's transactions, posts
some as webhooks and lists them all on its transactions API; the bot polls the API (called here
when a test means it, as the background loop would) and credits what the webhook missed, once."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.payment_webhooks import webhook_paths
from payments_api.sepay import SePayApi, SePayApiError
from shop.bank_reconcile import SePayReconciler
from simulators.cryptopay import CryptoPaySimulator
from simulators.sepay import VIETNAM, SePaySender
from tests.harness import World, running_bot, text_of
from tests.test_e2e_topups import SEPAY_KEY, Payments, open_bank_request, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SEPAY_TOKEN = "sepay-api-token-test-77"
LONG_AGO = 400.0  # seconds: past the 5 minutes a payment method may fail before it degrades


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto_sim() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-reconcile-token-42")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@asynccontextmanager
async def reconciling_bot(
    shared: World, crypto: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Payments]:
    sender = SePaySender("", SEPAY_KEY, account_number="0071000123456")
    api_url = await sender.start_api(SEPAY_TOKEN)
    served = settings_for(crypto) | {
        "web_host": "127.0.0.1",
        "web_port": 0,  # any free port: read from the server once it listens
        "sepay_api_token": SEPAY_TOKEN,
        "sepay_api_url": api_url,
        "sepay_poll_seconds": 3600,  # the tests poll when they mean to
    }
    try:
        async with running_bot(shared, tmp_path, **served) as shop:
            assert shop.app.web is not None
            sender.webhook_url = shop.app.web.url + webhook_paths(shop.app.services)["sepay"]
            deputy = shared.fake.person(user_id=900_000_002, first_name="Deputy")
            await shop.ask(shop.admin, "/payrate vnd 25000")
            payments = Payments(shop, crypto, sender, deputy)
            await first_poll_done(payments)
            yield payments
    finally:
        await sender.close()


@pytest_asyncio.fixture(loop_scope="module")
async def pay(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Payments]:
    async with reconciling_bot(shared_world, crypto_sim, tmp_path) as payments:
        yield payments


def reconciler_of(pay: Payments) -> SePayReconciler:
    reconciler = pay.shop.app.services.topups.reconciler
    assert reconciler is not None
    return reconciler


async def first_poll_done(pay: Payments) -> None:
    """The loop polls once as the bot starts; the tests poll after it."""
    calls = reconciler_of(pay).calls
    await pay.shop.fake.wait_for(lambda: calls.last_ok_at or calls.last_error, 15.0)


async def healthz(pay: Payments) -> dict[str, Any]:
    web = pay.shop.app.web
    assert web is not None
    async with aiohttp.ClientSession() as session, session.get(web.url + "/healthz") as answer:
        assert answer.status == 200
        report: dict[str, Any] = json.loads(await answer.text())
        return report


def sepay_of(report: dict[str, Any]) -> dict[str, Any]:
    return next(method for method in report["payments"] if method["name"] == "sepay")


async def test_a_transfer_the_webhook_never_delivered_is_credited_once(
    pay: Payments, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop = pay.shop
    ann = await shop.customer()
    _, request = await open_bank_request(pay, ann, "10.00 USD")
    missed = pay.sepay.record(250_000, f"chuyen tien {request.code}")  # SePay never posted it
    assert not missed.webhook_sent
    found = await reconciler_of(pay).poll_once()
    assert (found.new, found.credited, found.complete) == (1, 1, True)
    told = await shop.expect(ann, "Bank transfer received")
    assert "250,000 VND" in told.content and "10.00 USD" in told.content
    await reconciler_of(pay).poll_once()  # seen again: left alone
    assert await pay.sepay.send(pay.sepay.webhook_body(missed)) == (200, {"success": True})
    assert await pay.balance(ann) == 10
    assert await pay.ledger_rows("topup_bank", str(missed.id)) == 1
    # Each poll asked for the shop's account, from just below what it had seen.
    assert all(call["account_number"] == "0071000123456" for call in pay.sepay.api_calls)
    assert int(pay.sepay.api_calls[-1]["since_id"]) <= missed.id
    assert SEPAY_TOKEN not in caplog.text


async def test_a_transfer_delivered_by_both_is_credited_once(pay: Payments) -> None:
    shop = pay.shop
    bob = await shop.customer()
    _, first = await open_bank_request(pay, bob, "10.00 USD")
    assert await pay.sepay.transfer(250_000, first.code) == (200, {"success": True})
    await shop.expect(bob, "Bank transfer received")
    await reconciler_of(pay).poll_once()  # the webhook came first
    _, second = await open_bank_request(pay, bob, "5.00 USD")
    body = pay.sepay.body(125_000, second.code)
    # The webhook and a poll at once, then the webhook again (SePay retries).
    await asyncio.gather(pay.sepay.send(body), reconciler_of(pay).poll_once())
    await pay.sepay.send(body)
    await shop.expect(bob, "Bank transfer received")
    assert await pay.balance(bob) == 15
    assert await pay.ledger_rows("topup_bank", str(body["id"])) == 1


async def test_an_unknown_code_found_by_the_poll_reaches_the_admins_once(pay: Payments) -> None:
    shop = pay.shop
    since = shop.mark()
    unknown = pay.sepay.record(500_000, "tien nap SMMZZZZZZ cho shop")
    pay.sepay.record(70_000, "tra tien dien", incoming=False)  # money going out: not ours
    pay.sepay.record(90_000, "SMMZZZZZZ", account_number="999888777")  # another account
    await reconciler_of(pay).poll_once()
    await reconciler_of(pay).poll_once()
    card = await shop.sent_to(shop.admin.chat_id, f"SePay id {unknown.id}", since)
    assert "no known code" in text_of(card) and card.buttons == [
        ["➕ Credit a person", "🙈 Ignore"]
    ]
    await shop.wait_idle()
    cards = [
        call
        for call in shop.fake.calls[since:]
        if call.message is not None
        and f"SePay id {unknown.id}" in text_of(call.message)
        and call.message.chat_id == shop.admin.chat_id
    ]
    assert len(cards) == 1
    count: int = await shop.app.db.fetchval("SELECT COUNT(*) FROM bank_transfers")
    assert count == 1  # neither the outgoing one nor the other account's was recorded


async def test_a_long_list_is_walked_page_by_page(pay: Payments) -> None:
    shop = pay.shop
    reconciler = reconciler_of(pay)
    reconciler.page_size = 2  # SePay gives up to 5,000 a call; the walk is the same
    people = [await shop.customer() for _ in range(5)]
    start = dt.datetime.now(VIETNAM).replace(microsecond=0) - dt.timedelta(minutes=5)
    for second, person in enumerate(people):
        _, request = await open_bank_request(pay, person, "5.00 USD")
        # A second apart: the list is newest first, and a full page goes on below its oldest.
        pay.sepay.record(125_000, request.code, when=start + dt.timedelta(seconds=second))
    calls_before = len(pay.sepay.api_calls)
    found = await reconciler.poll_once()
    assert found.credited == 5 and found.complete
    for person in people:
        await shop.expect(person, "Bank transfer received")
        assert await pay.balance(person) == 5
    walked = pay.sepay.api_calls[calls_before:]
    assert len(walked) > 2 and any("transaction_date_max" in call for call in walked)


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        ("html", "HTTP 200, not JSON"),
        ("500", "HTTP 500"),
        ("timeout", "no answer in time"),
        ("empty", "empty body"),
    ],
)
async def test_the_api_failing_changes_nothing_and_shows_in_healthz(
    pay: Payments, failure: str, shown: str
) -> None:
    shop = pay.shop
    reconciler = reconciler_of(pay)
    cid = await shop.customer()
    _, request = await open_bank_request(pay, cid, "10.00 USD")
    pay.sepay.record(250_000, request.code)
    pay.sepay.fail_next(failure)
    if failure == "timeout":  # a client that gives up soon; the simulator holds the call
        await reconciler.api.close()
        reconciler.api = SePayApi(pay.sepay.api_url, SEPAY_TOKEN, timeout_seconds=0.2)
    with pytest.raises(SePayApiError, match=shown):
        await reconciler.poll_once()
    assert await pay.balance(cid) == 0
    assert await pay.ledger_rows("topup_bank") == 0
    method = sepay_of(await healthz(pay))
    assert shown in method["last_error"] and SEPAY_TOKEN not in json.dumps(method)
    assert reconciler.calls.failing_since is not None
    reconciler.calls.failing_since = time.time() - LONG_AGO
    report = await healthz(pay)
    assert report["status"] == "degraded"
    assert any(line.startswith("payments sepay: failing") for line in report["degraded"])
    # SePay answers again: the transfer is credited, and the shop is well.
    pay.sepay.release()
    await reconciler.api.close()
    reconciler.api = SePayApi(pay.sepay.api_url, SEPAY_TOKEN)
    await reconciler.poll_once()
    await shop.expect(cid, "Bank transfer received")
    assert sepay_of(await healthz(pay))["last_error"] is None


async def test_a_missed_transfer_for_an_expired_request_found_by_the_poll_waits_for_admins(
    pay: Payments,
) -> None:
    shop = pay.shop
    dan = await shop.customer()
    _, request = await open_bank_request(pay, dan, "10.00 USD")
    async with shop.app.db.transaction() as tx:  # its time ran out before the money came
        await tx.execute(
            "UPDATE payments SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 1 "
            "WHERE id = ?",
            (request.id,),
        )
    since = shop.mark()
    pay.sepay.record(250_000, request.code)
    await reconciler_of(pay).poll_once()
    card = await shop.sent_to(shop.admin.chat_id, "Bank transfer for an expired request", since)
    assert request.code in text_of(card)
    await shop.expect(dan, "Your bank transfer request")
    assert await pay.balance(dan) == 0
