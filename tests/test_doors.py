"""Every web door of the bot (the Telegram webhook, Crypto Pay's and SePay's webhooks) against
hostile clients, over real TCP to the bot's own web server (tests/raw_http.py): a body split
across writes with pauses, chunked bodies under and over the limit, JSON nested 100,000 deep,
numbers like 1e999999, NaN, 2^63, negative and zero, and a wrong type at every field. Each
checks the status, that the log has no traceback and no ERROR, and the ledger.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.payment_webhooks import webhook_paths
from bot.webhook import SECRET_HEADER, webhook_path
from payments_api.cryptopay import signature
from simulators.cryptopay import CryptoPaySimulator
from simulators.sepay import SePaySender
from tests import raw_http
from tests.fake_telegram import Person
from tests.harness import ShopBot, World, running_bot, text_of
from tests.raw_http import NESTED, NESTED_OBJECTS
from tests.test_e2e_topups import (
    SEPAY_KEY,
    Payments,
    open_bank_request,
    open_crypto_invoice,
    settings_for,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECRET = "doors-secret-for-tests"
PAD = 200 * 1024  # whitespace before the JSON: a large body, still under 256 KB
OVER_PAYMENT_LIMIT = 300 * 1024
OVER_UPDATE_LIMIT = 1100 * 1024


@dataclass
class Doors:
    pay: Payments
    telegram: str
    cryptopay: str
    sepay: str

    @property
    def shop(self) -> ShopBot:
        return self.pay.shop

    @property
    def crypto(self) -> CryptoPaySimulator:
        return self.pay.crypto

    async def ledger(self) -> tuple[int, int]:
        """(rows, sum in micro-units) of the whole ledger."""
        row = await self.shop.app.db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM ledger"
        )
        assert row is not None
        return row[0], row[1]

    async def transfers(self) -> int:
        count: int = await self.shop.app.db.fetchval("SELECT COUNT(*) FROM bank_transfers")
        return count


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto_sim() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-doors-token")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def doors(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Doors]:
    """The bot in webhook mode with Crypto Pay and bank transfers on, all on its own server."""
    served = settings_for(crypto_sim) | {"webhook_secret": SECRET}
    async with running_bot(shared_world, tmp_path, "webhook", **served) as shop:
        assert shop.app.web is not None
        base = shop.app.web.url
        paths = webhook_paths(shop.app.services)
        sender = SePaySender(base + paths["sepay"], SEPAY_KEY)
        deputy = shared_world.fake.person(user_id=900_000_002, first_name="Deputy")
        pay = Payments(shop, crypto_sim, sender, deputy)
        await shop.ask(shop.admin, "/payrate vnd 25000")
        try:
            yield Doors(
                pay, base + webhook_path(SECRET), base + paths["cryptopay"], base + paths["sepay"]
            )
        finally:
            await sender.close()


def clean_log(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback and nothing at ERROR: every refusal is a short warning."""
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage()[:200] for r in bad]


def padded(data: dict[str, Any], pad: int = PAD) -> bytes:
    return b" " * pad + json.dumps(data).encode()


# ---- the Telegram webhook --------------------------------------------------------------------


_update_ids = iter(range(500_000_000, 600_000_000))


def message_update(person: Person, text: str) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "chat": person.chat,
            "from": person.user,
            "text": text,
        },
    }


async def test_the_telegram_webhook_reads_whole_bodies_however_they_arrive(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    shop, url, secret = doors.shop, doors.telegram, {SECRET_HEADER: SECRET}
    people = [shop.person() for _ in range(3)]
    # Split across writes, chunked, chunked and large: each is one whole update, handled.
    for person, body, chunked in [
        (people[0], json.dumps(message_update(people[0], "/start")).encode(), False),
        (people[1], json.dumps(message_update(people[1], "/start")).encode(), True),
        (people[2], padded(message_update(people[2], "/start")), True),
    ]:
        since = shop.mark()
        parts = raw_http.split(body) if len(body) < PAD else raw_http.chunks(body)
        status, _ = await raw_http.post(url, parts, secret, chunked=chunked)
        assert status == 200
        await shop.sent_to(person.chat_id, "Hello", since)
    await shop.wait_idle()
    huge = padded(message_update(people[0], "/start"), OVER_UPDATE_LIMIT)
    status, _ = await raw_http.post(url, raw_http.chunks(huge), secret, chunked=True)
    assert status == 413
    assert len(shop.app.in_flight) == 0
    clean_log(caplog)


async def test_deeply_nested_or_out_of_range_json_gets_400_at_the_telegram_webhook(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    shop, url, secret = doors.shop, doors.telegram, {SECRET_HEADER: SECRET}
    for body in (NESTED, NESTED_OBJECTS, b'{"update_id": 1e999999}', b'{"update_id": NaN}'):
        status, answer = await raw_http.post(url, raw_http.split(body), secret)
        assert status == 400 and answer.startswith(b"Bad Request: "), body[:30]
    assert len(shop.app.in_flight) == 0
    ann = await shop.customer()  # and the bot goes on answering
    assert "Hello" in (await shop.ask(ann, "/start")).content
    clean_log(caplog)


async def test_a_body_that_is_not_an_update_gets_400_and_never_holds_a_stop(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    shop, url, secret = doors.shop, doors.telegram, {SECRET_HEADER: SECRET}
    ann = shop.person()
    good = message_update(ann, "/start")
    message = good["message"]
    wrong: list[dict[str, Any]] = [
        {"update_id": 7, "message": {"text": "x"}},  # the README's example: no chat, no date
        {**good, "update_id": "7"},
        {**good, "update_id": 7.5},
        {**good, "update_id": True},
        {**good, "message": 5},
        {**good, "message": {**message, "chat": {"id": "x", "type": "private"}}},
        {**good, "message": {**message, "chat": 12}},
        {**good, "message": {**message, "from": {"id": 1.5, "is_bot": False, "first_name": "A"}}},
        {**good, "message": {**message, "from": {"id": 1, "is_bot": "maybe", "first_name": "A"}}},
        {**good, "message": {**message, "date": "yesterday"}},
        {**good, "message": {**message, "message_id": [1]}},
        {**good, "message": {**message, "text": 5}},
        {**good, "message": {**message, "entities": "bold"}},
        {**good, "callback_query": {"id": 5, "from": ann.user, "chat_instance": "c"}},
    ]
    for update in wrong:
        status, answer = await raw_http.post(url, [json.dumps(update).encode()], secret)
        assert status == 400, update
        assert b"not a Telegram update" in answer
        assert len(shop.app.in_flight) == 0  # nothing accepted: a stop now waits for nothing
    # Numbers at the edges of what an update_id can be are updates: handled, then forgotten.
    for update_id in (0, -1, 2**63):
        update = message_update(ann, "/start") | {"update_id": update_id}
        status, _ = await raw_http.post(url, [json.dumps(update).encode()], secret)
        assert status == 200
    # Fractions are read exactly (never float) and still make an update: a shared location.
    located = message_update(ann, "")
    del located["message"]["text"]
    located["message"]["location"] = {"latitude": 55.755826, "longitude": 37.6173}
    status, _ = await raw_http.post(url, [json.dumps(located).encode()], secret)
    assert status == 200
    assert not await shop.app.in_flight.wait(15.0)
    assert len(shop.app.in_flight) == 0
    clean_log(caplog)


# ---- Crypto Pay ------------------------------------------------------------------------------


def signed(token: str, body: bytes) -> dict[str, str]:
    return {"crypto-pay-api-signature": signature(token, body)}


def paid_update(invoice: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "update_id": 1,
        "update_type": "invoice_paid",
        "request_date": "2026-01-01T00:00:00.000Z",
        "payload": {**invoice, **changes},
    }


async def test_crypto_pay_reads_a_signed_body_whole_however_it_arrives(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    pay, url, token = doors.pay, doors.cryptopay, doors.crypto.token
    ann, bob = await doors.shop.customer(), await doors.shop.customer()
    first = await open_crypto_invoice(pay, ann, "10.00 USD")
    second = await open_crypto_invoice(pay, bob, "25.00 USD")
    await doors.crypto.pay(first["invoice_id"], notify=False)
    await doors.crypto.pay(second["invoice_id"], notify=False)
    # One split across writes with pauses, another chunked and large: each credited.
    body = json.dumps(paid_update(doors.crypto.invoice(first["invoice_id"]))).encode()
    status, _ = await raw_http.post(url, raw_http.split(body), signed(token, body))
    assert status == 200
    assert await pay.balance(ann) == 10
    large = padded(paid_update(doors.crypto.invoice(second["invoice_id"])))
    status, _ = await raw_http.post(url, raw_http.chunks(large), signed(token, large), chunked=True)
    assert status == 200
    # Over the limit, chunked: 413, before any signature is looked at.
    huge = padded(paid_update(doors.crypto.invoice(first["invoice_id"])), OVER_PAYMENT_LIMIT)
    status, _ = await raw_http.post(url, raw_http.chunks(huge), signed(token, huge), chunked=True)
    assert status == 413
    for again in (body, large):  # delivered again: credited already
        assert (await raw_http.post(url, [again], signed(token, again)))[0] == 200
    assert await pay.balance(ann) == 10 and await pay.balance(bob) == 25
    assert await pay.ledger_rows("topup_crypto") == 2
    clean_log(caplog)


async def test_crypto_pay_refuses_hostile_signed_bodies_with_400(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    pay, url, token = doors.pay, doors.cryptopay, doors.crypto.token
    ann = await doors.shop.customer()
    opened = await open_crypto_invoice(pay, ann, "10.00 USD")
    await doors.crypto.pay(opened["invoice_id"], notify=False)
    invoice = doors.crypto.invoice(opened["invoice_id"])
    hostile: list[bytes] = [NESTED, NESTED_OBJECTS, b"[]", b"{not json"]
    hostile += [
        json.dumps(paid_update(invoice, **{field: value})).encode()
        for field, value in [
            ("invoice_id", "x"), ("invoice_id", 2**63), ("invoice_id", -1), ("invoice_id", 0),
            ("invoice_id", None), ("status", 1), ("amount", "1e999999"), ("amount", "NaN"),
            ("amount", [10]), ("amount", None), ("fiat", 10), ("payload", {"p": 1}),
            ("paid_amount", "lots"), ("paid_asset", 5),
        ]
    ]  # fmt: skip
    hostile += [
        json.dumps(paid_update(invoice)).replace('"10"', "NaN").encode(),
        json.dumps(paid_update(invoice)).replace('"10"', "1e999999").encode(),
    ]
    # Independent refusals, sent at once: each still split across writes with pauses.
    answers = await asyncio.gather(
        *(raw_http.post(url, raw_http.split(body), signed(token, body)) for body in hostile)
    )
    for body, (status, answer) in zip(hostile, answers, strict=True):
        assert status == 400, body[:80]
        assert json.loads(answer)["ok"] is False
    # Amounts well formed but not the invoice's price: not credited (admins are told), 200.
    for amount in ("0", "-10", str(2**63), "10.000001"):
        body = json.dumps(paid_update(invoice, amount=amount)).encode()
        status, _ = await raw_http.post(url, [body], signed(token, body))
        assert status == 200, amount
    assert await doors.ledger() == (0, 0)
    clean_log(caplog)


# ---- SePay -----------------------------------------------------------------------------------


async def test_sepay_reads_a_transfer_whole_however_it_arrives(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    pay, url, auth = doors.pay, doors.sepay, {"Authorization": f"Apikey {SEPAY_KEY}"}
    eve, fay = await doors.shop.customer(), await doors.shop.customer()
    _, first = await open_bank_request(pay, eve, "10.00 USD")
    _, second = await open_bank_request(pay, fay, "25.00 USD")
    # One split across writes with pauses, another chunked and large: each credited.
    body = json.dumps(pay.sepay.body(250_000, first.code)).encode()
    assert (await raw_http.post(url, raw_http.split(body), auth))[0] == 200
    assert await pay.balance(eve) == 10
    large = padded(pay.sepay.body(625_000, second.code))
    assert (await raw_http.post(url, raw_http.chunks(large), auth, chunked=True))[0] == 200
    # Over the limit, chunked: 413, nothing recorded.
    huge = padded(pay.sepay.body(250_000, first.code), OVER_PAYMENT_LIMIT)
    status, _ = await raw_http.post(url, raw_http.chunks(huge), auth, chunked=True)
    assert status == 413
    assert await doors.transfers() == 2
    for again in (body, large):  # SePay retries: recorded, not credited twice
        assert (await raw_http.post(url, [again], auth))[0] == 200
    assert await pay.balance(eve) == 10 and await pay.balance(fay) == 25
    assert await pay.ledger_rows("topup_bank") == 2
    clean_log(caplog)


async def test_sepay_refuses_what_no_transfer_can_be_with_400(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    pay, url, auth = doors.pay, doors.sepay, {"Authorization": f"Apikey {SEPAY_KEY}"}
    eve = await doors.shop.customer()
    _, request = await open_bank_request(pay, eve, "10.00 USD")
    good = pay.sepay.body(250_000, request.code)
    hostile: list[bytes] = [NESTED, NESTED_OBJECTS, b"[1]", b"{not json", b"\xff"]
    hostile += [
        json.dumps({**good, field: value}).encode()
        for field, value in [
            ("transferAmount", "1e999999"), ("transferAmount", "NaN"), ("transferAmount", 10**25),
            ("transferAmount", 2**63), ("transferAmount", 9_223_372_036_855),
            ("transferAmount", 9_223_372_036_854), ("transferAmount", -250_000),
            ("transferAmount", 0), ("transferAmount", "lots"), ("transferAmount", None),
            ("transferAmount", True), ("transferAmount", [1]), ("transferAmount", 0.0000001),
            ("id", None), ("id", True), ("id", [1]), ("id", -1), ("id", ""), ("id", 2**64),
            ("transferType", "both"), ("transferType", None), ("content", 5),
            ("content", ["SMM"]), ("code", 1), ("gateway", {}), ("accountNumber", 1),
            ("referenceCode", 2), ("transactionDate", 20260101),
        ]
    ]  # fmt: skip
    hostile += [
        json.dumps(good).replace("250000", number).encode()
        for number in ("1e30", "1e999999", "NaN", "Infinity", "-Infinity", "1" * 50)
    ]
    # Independent refusals, sent at once: each still split across writes with pauses.
    answers = await asyncio.gather(
        *(raw_http.post(url, raw_http.split(body), auth) for body in hostile)
    )
    for body, (status, answer) in zip(hostile, answers, strict=True):
        assert status == 400, body[:120]
        assert json.loads(answer)["success"] is False and json.loads(answer)["message"]
    assert await doors.ledger() == (0, 0) and await doors.transfers() == 0
    assert (await pay.sepay.send(good))[0] == 200  # and the real one is credited
    assert await pay.balance(eve) == 10
    clean_log(caplog)


async def test_a_transfer_far_above_its_request_waits_for_an_admin(
    doors: Doors, caplog: pytest.LogCaptureFixture
) -> None:
    pay, shop = doors.pay, doors.shop
    gus, hal = await shop.customer(), await shop.customer()
    _, small = await open_bank_request(pay, gus, "10.00 USD")  # 250,000 VND asked
    since = shop.mark()
    body = pay.sepay.body(750_000, small.code)  # three times what was asked
    assert await pay.sepay.send(body) == (200, {"success": True})
    card = await shop.sent_to(shop.admin.chat_id, "far above its request", since)
    assert small.code in text_of(card) and "750,000 VND" in text_of(card)
    assert card.buttons == [["➕ Credit a person", "🙈 Ignore"]]
    assert await pay.balance(gus) == 0
    assert await pay.sepay.send(body) == (200, {"success": True})  # SePay retries: once held
    assert await doors.transfers() == 1
    await shop.press(shop.admin, "➕ Credit a person")
    await shop.admin.send(str(gus.user_id))
    await shop.expect(shop.admin, "Done")
    await shop.expect(gus, "Bank transfer received")
    assert await pay.balance(gus) == 30  # at the request's own rate
    assert (await pay.latest_payment(gus)).credited == 30
    # Within twice the request, but crediting more than the method's maximum (10,000 USD).
    _, big = await open_bank_request_of(pay, hal, "9000")
    since = shop.mark()
    assert await pay.sepay.transfer(275_000_000, big.code) == (200, {"success": True})
    await shop.sent_to(shop.admin.chat_id, big.code, since)
    await shop.press(shop.admin, "🙈 Ignore")
    assert await pay.balance(hal) == 0
    # Below twice what was asked and the maximum: credited by itself, as before.
    _, fair = await open_bank_request(pay, hal, "10.00 USD")
    await pay.sepay.transfer(375_000, fair.code)
    await shop.expect(hal, "Bank transfer received")
    assert await pay.balance(hal) == 15
    assert await pay.ledger_rows("topup_bank") == 2
    clean_log(caplog)


async def open_bank_request_of(pay: Payments, person: Person, amount: str) -> tuple[Any, Any]:
    """A bank request for an amount typed by the person (no button for it)."""
    await pay.shop.ask(person, "/balance")
    await pay.shop.press(person, "🏦 Bank transfer")
    await pay.shop.press(person, "✏️ Other amount")
    await person.send(amount)
    qr = await pay.shop.expect(person, "Bank transfer SMM")
    return qr, await pay.latest_payment(person)
