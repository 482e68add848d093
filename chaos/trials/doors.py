"""Hostile clients at every web door of the real bot process: the Telegram webhook, Crypto Pay's
and SePay's webhooks, all on its own web server (webhook mode, WEB_PORT).

Each of `size` rounds opens new requests (a bank transfer request, a Crypto Pay invoice paid on
the simulator) and sends, over raw TCP (tests/raw_http.py): the real webhooks split across
writes with pauses and chunked with 200 KB of padding (credited), each sent again (not credited
twice); chunked bodies over the limit (413); JSON nested 100,000 deep; numbers like 1e30,
10^25, "1e999999", NaN, 2^63, negative and zero; a wrong type at every field (400); a transfer
three times its request (held for admins, not credited); updates that are not updates (400),
with the bot's stop right after them. Held per request: the expected status, never a 500. At
the end: the money credited is exactly the real payments', once each; the stop is prompt; no
traceback and no ERROR in the bot's log; the money invariants.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.webhook import webhook_path
from chaos.core import Context, Shop, TrialResult
from payments_api.cryptopay import CryptoPayClient, signature
from payments_api.paths import secret_path
from simulators.cryptopay import CryptoPaySimulator
from storage.db import Database
from storage.payments import Method, NewPayment, PaymentRepository
from storage.settings import SettingsRepository
from tests import raw_http
from tests.fake_telegram import Person
from tests.ports import free_port

WEBHOOK_SECRET = "chaos-doors-secret"  # noqa: S105 - a test's own
SEPAY_KEY = "chaos-doors-sepay"
CRYPTO_TOKEN = "chaos-doors-crypto"  # noqa: S105
PAD = 200 * 1024
OVER_PAYMENTS = 300 * 1024  # over the payment webhooks' 256 KB
OVER_UPDATES = 1100 * 1024  # over the update path's 1 MB
ASKED_USD = Decimal(10)
ASKED_VND = Decimal(250_000)
EXTREME_AMOUNTS: tuple[Any, ...] = (
    10**25, 2**63, 9_223_372_036_855, 9_223_372_036_854, -250_000, 0, "1e999999", "NaN", "lots",
    None, True, [1],
)  # fmt: skip
RAW_NUMBERS = ("1e30", "1e999999", "NaN", "Infinity", "-Infinity", "1" * 50)
WRONG_SEPAY_FIELDS: tuple[tuple[str, Any], ...] = (
    ("id", None), ("id", [1]), ("id", -1), ("transferType", "both"), ("content", 5),
    ("code", ["SMM"]), ("gateway", {}), ("referenceCode", 2), ("transactionDate", 20260101),
)  # fmt: skip
WRONG_INVOICE_FIELDS: tuple[tuple[str, Any], ...] = (
    ("invoice_id", "x"), ("invoice_id", 2**63), ("invoice_id", 0), ("status", 1),
    ("amount", "1e999999"), ("amount", "NaN"), ("amount", [10]), ("fiat", 10),
    ("payload", {"p": 1}), ("paid_amount", "lots"),
)  # fmt: skip


@dataclass
class Doors:
    telegram: str
    cryptopay: str
    sepay: str


def settings(port: int, crypto: CryptoPaySimulator) -> dict[str, str]:
    base = f"http://127.0.0.1:{port}"
    return {
        "WEBHOOK_URL": base,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "PUBLIC_URL": base,
        "CRYPTO_PAY_TOKEN": CRYPTO_TOKEN,
        "CRYPTO_PAY_URL": crypto.url,
        "CRYPTO_PAY_POLL_SECONDS": "3600",  # the webhooks tell; polling would hide a lost one
        "BANK_BIN": "970436",
        "BANK_ACCOUNT": "0071000123456",
        "BANK_ACCOUNT_NAME": "NGUYEN VAN AN",
        "SEPAY_API_KEY": SEPAY_KEY,
    }


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    crypto = CryptoPaySimulator(token=CRYPTO_TOKEN)
    await crypto.start()
    try:
        await run(ctx, size, result, crypto)
    finally:
        await crypto.stop()
    return result


async def run(ctx: Context, size: int, result: TrialResult, crypto: CryptoPaySimulator) -> None:
    port = free_port()
    shop = ctx.shop("doors", settings=settings(port, crypto))
    people = [ctx.person() for _ in range(size)]
    await shop.seed_customers(people, Decimal(0))
    async with shop.seeding() as db:
        await SettingsRepository(db).set("payrate_vnd", "25000")
        requests = [await bank_request(db, person, round_) for round_, person in enumerate(people)]
    invoices = await crypto_invoices(shop, crypto, people)
    await shop.start()
    base = f"http://127.0.0.1:{port}"
    doors = Doors(
        base + webhook_path(WEBHOOK_SECRET),
        base + "/pay/cryptopay/" + secret_path(CRYPTO_TOKEN, "cryptopay"),
        base + "/pay/sepay/" + secret_path(SEPAY_KEY, "sepay"),
    )
    for person, code, invoice_id in zip(people, requests, invoices, strict=True):
        await sepay_round(result, doors, code)
        await crypto.pay(invoice_id, notify=False)
        await crypto_round(result, doors, crypto.invoice(invoice_id))
        await telegram_round(result, doors, person)
    checks = await money_checks(shop, people, size)
    await shop.finish(result, checks)  # the stop right after the last hostile updates


async def bank_request(db: Database, person: Person, round_: int) -> str:
    code = f"SMMD{round_:05d}"[:9]
    await PaymentRepository(db).create(
        NewPayment(Method.BANK, person.user_id, ASKED_USD, "USD", ASKED_VND, "VND", code)
    )
    return code


async def crypto_invoices(
    shop: Shop, crypto: CryptoPaySimulator, people: list[Person]
) -> list[int]:
    """An open Crypto Pay invoice of 10 USD for each person, as the bot would have opened it."""
    client = CryptoPayClient(crypto.url, CRYPTO_TOKEN)
    ids = []
    try:
        async with shop.seeding() as db:
            repo = PaymentRepository(db)
            for index, person in enumerate(people):
                payment = await repo.create(
                    NewPayment(Method.CRYPTO, person.user_id, ASKED_USD, "USD", ASKED_USD, "USD",
                               f"CPD{index:06d}")
                )  # fmt: skip
                invoice = await client.create_invoice(
                    amount=ASKED_USD, fiat="USD", accepted_assets=["USDT"], description="chaos",
                    payload=f"payment:{payment.id}", expires_in=3600,
                )  # fmt: skip
                expires = int(time.time()) + 3600
                await repo.attach_invoice(
                    payment.id, str(invoice.invoice_id), invoice.pay_url, expires
                )
                ids.append(invoice.invoice_id)
    finally:
        await client.close()
    return ids


async def send(
    result: TrialResult,
    case: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    expected: int,
    *,
    chunked: bool = False,
    whole: bool = False,
) -> None:
    """Send `body` chunked, or in one write (`whole`), or split across three with pauses."""
    parts = raw_http.chunks(body) if chunked else [body] if whole else raw_http.split(body)
    try:
        status, answer = await raw_http.post(url, parts, headers, chunked=chunked)
    except (OSError, AssertionError) as error:
        result.record(case, [f"no answer: {type(error).__name__}: {error}"])
        return
    problem = None
    if status != expected:
        problem = f"HTTP {status} (expected {expected}): {answer[:120]!r}"
    result.record(case, [problem] if problem else [])


async def send_all(
    result: TrialResult,
    url: str,
    cases: list[tuple[str, bytes]],
    headers: Callable[[bytes], dict[str, str]],
    expected: int,
    *,
    whole: bool = False,
) -> None:
    """Send independent requests (case, body) at once, as a hostile client would."""
    await asyncio.gather(
        *(send(result, case, url, body, headers(body), expected, whole=whole)
          for case, body in cases)
    )  # fmt: skip


# ---- SePay --------------------------------------------------------------------------------------


def transfer(amount: Any, content: str, sepay_id: int) -> dict[str, Any]:
    return {
        "id": sepay_id,
        "gateway": "Vietcombank",
        "transactionDate": "2026-01-01 10:00:00",
        "accountNumber": "0071000123456",
        "code": None,
        "content": content,
        "transferType": "in",
        "transferAmount": amount,
        "accumulated": 19_077_000,
        "subAccount": None,
        "referenceCode": f"FT{sepay_id}",
        "description": content,
    }


_sepay_ids = iter(range(7_000_000, 8_000_000))


async def sepay_round(result: TrialResult, doors: Doors, code: str) -> None:
    auth = {"Authorization": f"Apikey {SEPAY_KEY}"}
    url = doors.sepay
    real = json.dumps(transfer(250_000, f"nap tien {code}", next(_sepay_ids))).encode()
    await send(result, "sepay: split across writes", url, real, auth, 200)
    await send(result, "sepay: the same again (a retry)", url, real, auth, 200, chunked=True)
    padded = b" " * PAD + json.dumps(transfer(100_000, code, next(_sepay_ids))).encode()
    await send(result, "sepay: chunked, 200 KB", url, padded, auth, 200, chunked=True)
    over = b" " * OVER_PAYMENTS + real
    await send(result, "sepay: chunked, over the limit", url, over, auth, 413, chunked=True)
    amounts = [
        (f"sepay: transferAmount {str(amount)[:24]}",
         json.dumps(transfer(amount, code, next(_sepay_ids))).encode())
        for amount in EXTREME_AMOUNTS
    ]  # fmt: skip
    template = json.dumps(transfer(123_457, code, next(_sepay_ids)))
    amounts += [
        (f"sepay: transferAmount {number[:24]} (raw)", template.replace("123457", number).encode())
        for number in RAW_NUMBERS
    ]
    await send_all(result, url, amounts, lambda _: auth, 400, whole=True)
    wrong = [
        (f"sepay: {field} {value!r}",
         json.dumps(transfer(250_000, code, next(_sepay_ids)) | {field: value}).encode())
        for field, value in WRONG_SEPAY_FIELDS
    ]  # fmt: skip
    wrong.append(("sepay: nested 100,000 deep", raw_http.NESTED))
    await send_all(result, url, wrong, lambda _: auth, 400)
    # Three times what was asked: recorded and held for admins (200), never credited by itself.
    held = json.dumps(transfer(750_000, code, next(_sepay_ids))).encode()
    await send(result, "sepay: three times the request", url, held, auth, 200)


# ---- Crypto Pay ---------------------------------------------------------------------------------


def paid_update(invoice: dict[str, Any], **changes: Any) -> bytes:
    update = {"update_id": 1, "update_type": "invoice_paid", "request_date": "2026-01-01",
              "payload": {**invoice, **changes}}  # fmt: skip
    return json.dumps(update).encode()


def signed(body: bytes) -> dict[str, str]:
    return {"crypto-pay-api-signature": signature(CRYPTO_TOKEN, body)}


async def crypto_round(result: TrialResult, doors: Doors, invoice: dict[str, Any]) -> None:
    url = doors.cryptopay
    over = b" " * OVER_PAYMENTS + paid_update(invoice)
    await send(result, "cryptopay: chunked, over the limit", url, over, signed(over), 413,
               chunked=True)  # fmt: skip
    refused = [("cryptopay: nested 100,000 deep", raw_http.NESTED)]
    refused += [
        (f"cryptopay: {field} {value!r}", paid_update(invoice, **{field: value}))
        for field, value in WRONG_INVOICE_FIELDS
    ]
    refused += [
        (f"cryptopay: amount {raw} (raw)", paid_update(invoice).replace(b'"10"', raw.encode()))
        for raw in ("NaN", "1e999999")
    ]
    await send_all(result, url, refused, signed, 400)
    # Well formed, not its price: admins told, 200.
    wrong_price = [
        (f"cryptopay: amount {amount}", paid_update(invoice, amount=amount))
        for amount in ("0", "-10", str(2**63))
    ]
    await send_all(result, url, wrong_price, signed, 200)
    real = paid_update(invoice)
    await send(result, "cryptopay: split across writes", url, real, signed(real), 200)
    padded = b" " * PAD + real
    await send(result, "cryptopay: chunked, 200 KB, again", url, padded, signed(padded), 200,
               chunked=True)  # fmt: skip


# ---- the Telegram webhook -----------------------------------------------------------------------


_update_ids = iter(range(800_000_000, 900_000_000))


def update_of(person: Person, text: str) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "message": {"message_id": next(_update_ids), "date": int(time.time()),
                    "chat": person.chat, "from": person.user, "text": text},
    }  # fmt: skip


async def telegram_round(result: TrialResult, doors: Doors, person: Person) -> None:
    url, secret = doors.telegram, {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    whole = json.dumps(update_of(person, "/start")).encode()
    await send(result, "telegram: split across writes", url, whole, secret, 200)
    padded = b" " * PAD + json.dumps(update_of(person, "/balance")).encode()
    await send(result, "telegram: chunked, 200 KB", url, padded, secret, 200, chunked=True)
    over = b" " * OVER_UPDATES + whole
    await send(result, "telegram: chunked, over 1 MB", url, over, secret, 413, chunked=True)
    hostile = [(f"telegram: {name}", body) for name, body in hostile_updates(person)]
    await send_all(result, url, hostile, lambda _: secret, 400)


def hostile_updates(person: Person) -> Iterable[tuple[str, bytes]]:
    good = update_of(person, "/start")
    message = good["message"]
    yield "nested 100,000 deep", raw_http.NESTED
    yield "update_id 1e999999", b'{"update_id": 1e999999, "message": {}}'
    yield "update_id NaN", b'{"update_id": NaN, "message": {}}'
    for name, update in [
        ("a message with only text", {"update_id": good["update_id"], "message": {"text": "x"}}),
        ("update_id as text", {**good, "update_id": "7"}),
        ("chat id as text", {**good, "message": {**message, "chat": {"id": "x"}}}),
        ("date as text", {**good, "message": {**message, "date": "today"}}),
        ("text as a number", {**good, "message": {**message, "text": 5}}),
        ("from as a list", {**good, "message": {**message, "from": [1]}}),
    ]:
        yield name, json.dumps(update).encode()


# ---- the money ----------------------------------------------------------------------------------


async def money_checks(shop: Shop, people: list[Person], size: int) -> list[str]:
    """Each person: 10 (the split transfer) + 4 (the 200 KB one) + 10 (Crypto Pay) = 24.00,
    credited once each; the transfers three times their request wait for admins."""
    db = await shop.observer()
    problems = []
    for person in people:
        balance = await db.fetchval("SELECT balance FROM users WHERE id = ?", (person.user_id,))
        if Decimal(balance) / 1_000_000 != 24:
            problems.append(f"user {person.user_id}: balance {Decimal(balance) / 10**6}, not 24")
    rows = await db.fetchall("SELECT kind, COUNT(*) FROM ledger GROUP BY kind")
    kinds = {row[0]: row[1] for row in rows}
    if kinds.get("topup_bank") != 2 * size or kinds.get("topup_crypto") != size:
        problems.append(f"top-up rows {kinds}, expected {2 * size} bank and {size} crypto")
    held = await db.fetchval("SELECT COUNT(*) FROM bank_transfers WHERE status = 'unmatched'")
    if held != size:
        problems.append(f"{held} transfers wait for admins, expected {size}")
    return problems
