"""Top-ups by Crypto Pay, by bank transfer (VietQR + SePay) and by card transfers admins approve,
end to end: the real bot over the fake Telegram, the Crypto Pay simulator and a SePay sender,
all over HTTP on 127.0.0.1. The payment webhooks are mounted on a small aiohttp app wired to the
running bot's services, as the bot's web server will mount them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.payment_webhooks import webhook_paths
from payments_api import vietqr
from shop.referrals import referral_payload
from simulators.cryptopay import CryptoPaySimulator
from simulators.sepay import SePaySender
from storage.payments import Payment, PaymentStatus
from tests.fake_telegram import BotMessage, Person
from tests.harness import ShopBot, World, eventually, free_port, running_bot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEPUTY_ID = 900_000_002
SEPAY_KEY = "sepay-test-key-42"
CARD_TEXT = "Card 4111 1111 1111 1111 (Vietcombank), Ann Smith"


@dataclass
class Payments:
    shop: ShopBot
    crypto: CryptoPaySimulator
    sepay: SePaySender
    deputy: Person

    async def balance(self, person: Person) -> Decimal:
        return await self.shop.balance(person)

    async def ledger_rows(self, kind: str, reference: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM ledger WHERE kind = ?"
        params: tuple[Any, ...] = (kind,)
        if reference is not None:
            sql, params = sql + " AND reference = ?", (kind, reference)
        count: int = await self.shop.app.db.fetchval(sql, params)
        return count

    async def latest_payment(self, person: Person) -> Payment:
        row = await self.shop.app.db.fetchone(
            "SELECT id FROM payments WHERE user_id = ? ORDER BY id DESC LIMIT 1",
            (person.user_id,),
        )
        assert row is not None
        payment = await self.shop.app.services.topups.payment(row["id"])
        assert payment is not None
        return payment


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto_sim() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-test-token-42")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def settings_for(crypto: CryptoPaySimulator) -> dict[str, Any]:
    return {
        "admin_ids": (900_000_001, DEPUTY_ID),
        "crypto_pay_token": crypto.token,
        "crypto_pay_url": crypto.url,
        "crypto_pay_poll_seconds": 3600,  # the tests poll when they mean to
        "bank_bin": "970436",
        "bank_account": "0071000123456",
        "bank_account_name": "NGUYEN VAN AN",
        "sepay_api_key": SEPAY_KEY,
        "manual_payment_text": CARD_TEXT,
    }


@asynccontextmanager
async def payments_bot(
    shared: World, crypto: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Payments]:
    port = free_port()  # the payment webhooks come to the bot's own web server
    served = settings_for(crypto) | {"web_host": "127.0.0.1", "web_port": port}
    async with running_bot(shared, tmp_path, **served) as shop:
        base = f"http://127.0.0.1:{port}"
        paths = webhook_paths(shop.app.services)
        crypto.webhook_url = base + paths["cryptopay"]
        sender = SePaySender(base + paths["sepay"], SEPAY_KEY)
        deputy = shared.fake.person(user_id=DEPUTY_ID, first_name="Deputy")
        try:
            yield Payments(shop, crypto, sender, deputy)
        finally:
            await sender.close()
            crypto.webhook_url = None


@pytest_asyncio.fixture(loop_scope="module")
async def pay(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Payments]:
    async with payments_bot(shared_world, crypto_sim, tmp_path) as payments:
        await payments.shop.ask(payments.shop.admin, "/payrate vnd 25000")
        yield payments


async def choose(pay: Payments, person: Person, method_label: str, amount_label: str) -> None:
    """Balance -> the method -> the amount button (the result is the next reply)."""
    await pay.shop.ask(person, "/balance")
    await pay.shop.press(person, method_label)
    await person.click(amount_label, match="contains")


async def open_crypto_invoice(pay: Payments, person: Person, amount: str) -> dict[str, Any]:
    await choose(pay, person, "💎 Crypto", amount)
    reply = await pay.shop.expect(person, "Invoice")
    button = reply.find_button("💎 Pay", "contains")
    assert button is not None and button["url"].startswith(pay.crypto.base_url)
    return pay.crypto.latest()


# ---- the balance screen ---------------------------------------------------------------------------


async def test_balance_offers_the_configured_methods_and_hides_one_without_a_rate(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> None:
    async with payments_bot(shared_world, crypto_sim, tmp_path) as pay:
        shop = pay.shop
        ann = await shop.customer()
        since = shop.mark()
        screen = await shop.ask(ann, "/balance")
        # The shop sells in USD and no VND rate is set: no bank transfers, and admins hear why.
        assert screen.buttons[:2] == [
            ["⭐ Telegram Stars", "💎 Crypto"],
            ["💳 Card transfer", "🎟 Promo code"],
        ]
        await shop.sent_to(shop.admin.chat_id, "/payrate vnd", since)
        bad = await shop.ask(shop.admin, "/payrate vnd lots")
        assert "not a rate" in text_of(bad) and "Usage" in text_of(bad)
        assert "Usage" in text_of(await shop.ask(shop.admin, "/payrate btc 5"))
        done = await shop.ask(shop.admin, "/payrate vnd 25000")
        assert "1 USD = 25,000 VND" in text_of(done)
        screen = await shop.ask(ann, "/balance")
        assert screen.buttons[:3] == [
            ["⭐ Telegram Stars", "💎 Crypto"],
            ["🏦 Bank transfer", "💳 Card transfer"],
            ["🎟 Promo code"],
        ]
        listed = await shop.ask(ann, "/topup")
        assert [row[0] for row in listed.buttons[:4]] == [
            "⭐ Telegram Stars", "💎 Crypto", "🏦 Bank transfer", "💳 Card transfer",
        ]  # fmt: skip
        stars = await shop.press(ann, "⭐ Telegram Stars")
        assert "1 USD = 50 ⭐" in text_of(stars)
        # Customers do not have the admin commands.
        unknown = await shop.ask(ann, "/nonsense")
        for command in ("/payments", "/payrate vnd 1"):
            assert text_of(await shop.ask(ann, command)) == text_of(unknown)


# ---- Crypto Pay -----------------------------------------------------------------------------------


async def test_a_crypto_invoice_paid_is_credited_once_however_it_is_learned(
    pay: Payments, caplog: pytest.LogCaptureFixture
) -> None:
    shop = pay.shop
    ann = await shop.customer()
    invoice = await open_crypto_invoice(pay, ann, "10.00 USD")
    assert (invoice["fiat"], invoice["amount"], invoice["accepted_assets"]) == (
        "USD", "10", ["USDT", "TON", "BTC"],
    )  # fmt: skip
    await pay.crypto.pay(invoice["invoice_id"], "TON", notify=False)
    # A forged webhook is refused and logged without its body.
    caplog.set_level(logging.INFO)
    assert await pay.crypto.deliver(invoice["invoice_id"], forged=True) == 401
    assert "bad signature" in caplog.text and invoice["hash"] not in caplog.text
    assert await pay.balance(ann) == 0
    # The webhook twice and polling, all at once.
    statuses = await asyncio.gather(
        pay.crypto.deliver(invoice["invoice_id"]),
        shop.app.services.topups.crypto.poll_once(),  # type: ignore[union-attr]
        pay.crypto.deliver(invoice["invoice_id"]),
    )
    assert statuses[0] == statuses[2] == 200
    told = await shop.expect(ann, "Crypto payment received")
    assert "2 TON" in told.content and "10.00 USD" in told.content
    await pay.crypto.deliver(invoice["invoice_id"])  # and once more later
    assert await pay.balance(ann) == 10
    assert await pay.ledger_rows("topup_crypto", str(invoice["invoice_id"])) == 1
    history = await shop.ask(ann, "/balance")
    assert "Top-up in crypto" in text_of(history)


async def test_a_crypto_invoice_paid_while_the_bot_was_down_is_credited_after_restart(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> None:
    async with payments_bot(shared_world, crypto_sim, tmp_path) as pay:
        bob = await pay.shop.customer()
        invoice = await open_crypto_invoice(pay, bob, "25.00 USD")
    await crypto_sim.pay(invoice["invoice_id"], notify=False)  # nobody listens now
    async with payments_bot(shared_world, crypto_sim, tmp_path) as pay:
        # The poller asks about open invoices as soon as the bot starts.
        await pay.shop.expect(bob, "Crypto payment received")
        assert await pay.balance(bob) == 25
        assert await pay.crypto.deliver(invoice["invoice_id"]) == 200  # a late webhook
        assert await pay.balance(bob) == 25


async def test_an_expired_invoice_tells_the_person_and_credits_nothing(pay: Payments) -> None:
    cid = await pay.shop.customer()
    invoice = await open_crypto_invoice(pay, cid, "5.00 USD")
    pay.crypto.expire(invoice["invoice_id"])
    crypto = pay.shop.app.services.topups.crypto
    assert crypto is not None
    assert await crypto.poll_once() == 1
    told = await pay.shop.expect(cid, "expired unpaid")
    assert "5.00 USD" in told.content
    assert (await pay.latest_payment(cid)).status is PaymentStatus.EXPIRED
    assert await crypto.poll_once() == 0  # closed: not asked about again
    with pytest.raises(ValueError, match="expired"):
        await pay.crypto.pay(invoice["invoice_id"])
    assert await pay.balance(cid) == 0


async def test_amounts_are_checked_and_forged_buttons_do_nothing(pay: Payments) -> None:
    shop = pay.shop
    dan = await shop.customer()
    await shop.ask(dan, "/balance")
    await shop.press(dan, "💎 Crypto")
    prompt = await shop.press(dan, "✏️ Other amount")
    assert "from 1.00 USD to 10,000.00 USD" in text_of(prompt)
    for typed, problem in [
        ("lots", "not an amount"),
        ("💰", "not an amount"),
        ("0.5", "out of range"),
        ("99999999999", "out of range"),
        ("1,000", "not an amount"),  # ambiguous
    ]:
        reply = await shop.ask(dan, typed)
        assert problem in text_of(reply) and "from 1.00 USD" in text_of(reply), typed
    await dan.send("12.5")
    reply = await shop.expect(dan, "Invoice")
    assert "12.50 USD" in reply.content
    assert pay.crypto.latest()["amount"] == "12.5"
    before = len(pay.crypto.invoices)
    for forged in ("pa:crypto:7", "pa:bitcoin:5", "pm:cash", "mp:999999", "rv:approve:1"):
        query = await dan.click_data(forged)
        answer = await dan.wait_answer(query)
        assert "expired" in str(answer.get("text")), forged
    assert len(pay.crypto.invoices) == before


# ---- bank transfers -------------------------------------------------------------------------------


async def open_bank_request(
    pay: Payments, person: Person, amount: str
) -> tuple[BotMessage, Payment]:
    await choose(pay, person, "🏦 Bank transfer", amount)
    qr = await pay.shop.expect(person, "Bank transfer SMM")
    return qr, await pay.latest_payment(person)


async def test_a_bank_transfer_is_credited_once_whatever_the_code_looks_like(
    pay: Payments,
) -> None:
    shop = pay.shop
    eve = await shop.customer()
    qr, payment = await open_bank_request(pay, eve, "10.00 USD")
    assert qr.photo is not None and qr.photo.content.startswith(b"\x89PNG")
    assert "250000" in qr.content and payment.code in qr.content and "0071000123456" in qr.content
    assert "Vietcombank" in qr.content and "NGUYEN VAN AN" in qr.content
    fields = vietqr.fields_of(shop.app.services.topups.bank.qr_payload(payment))  # type: ignore[union-attr]
    assert fields["54"] == "250000" and payment.code in fields["62"] and "970436" in fields["38"]

    spaced = (
        f"chuyen tien {payment.code[:3].lower()} {payment.code[3:6]}-{payment.code[6:].lower()}"
    )
    body = pay.sepay.body(250_000, spaced)
    assert await pay.sepay.send(body) == (200, {"success": True})
    told = await shop.expect(eve, "Bank transfer received")
    assert "250,000 VND" in told.content and "10.00 USD" in told.content
    assert "asked for" not in told.content
    assert await pay.sepay.send(body) == (200, {"success": True})  # SePay retries
    assert await pay.balance(eve) == 10
    assert await pay.ledger_rows("topup_bank", str(body["id"])) == 1
    # Money going out of the account, and a wrong API key, credit nothing.
    assert await pay.sepay.transfer(250_000, payment.code, incoming=False) == (
        200,
        {"success": True},
    )
    wrong = await pay.sepay.send(pay.sepay.body(250_000, payment.code), api_key="guess")
    assert wrong[0] == 401
    assert await pay.balance(eve) == 10


async def test_an_underpaid_and_an_overpaid_transfer_credit_what_was_transferred(
    pay: Payments,
) -> None:
    fay = await pay.shop.customer()
    _, payment = await open_bank_request(pay, fay, "10.00 USD")
    await pay.sepay.transfer(100_000, payment.code)
    told = await pay.shop.expect(fay, "Bank transfer received")
    assert "4.00 USD" in told.content and "asked for 250,000 VND" in told.content
    await pay.sepay.transfer(400_000, f"{payment.code} phan con lai")
    told = await pay.shop.expect(fay, "Bank transfer received")
    assert "16.00 USD" in told.content
    assert await pay.balance(fay) == 20
    paid = await pay.latest_payment(fay)
    assert paid.status is PaymentStatus.PAID and paid.credited == 20


async def test_a_transfer_with_no_known_code_waits_for_an_admin(pay: Payments) -> None:
    shop = pay.shop
    gus = await shop.customer()
    await shop.ask(pay.deputy, "/start")
    since = shop.mark()
    assert await pay.sepay.transfer(500_000, "tien nap SMMZZZZZZ cho shop") == (
        200, {"success": True},
    )  # fmt: skip
    card = await shop.sent_to(shop.admin.chat_id, "no known code", since)
    await shop.sent_to(pay.deputy.chat_id, "no known code", since)
    assert card.buttons == [["➕ Credit a person", "🙈 Ignore"]]
    await shop.press(shop.admin, "➕ Credit a person")
    wrong = await shop.ask(shop.admin, "123")
    assert "no user of this bot" in text_of(wrong)
    await shop.admin.send(str(gus.user_id))
    await shop.expect(shop.admin, "Done")
    await shop.expect(gus, "Bank transfer received")
    assert await pay.balance(gus) == 20  # 500,000 VND at 25,000
    for admin in (shop.admin, pay.deputy):
        edited = next(
            m for m in admin.messages if "no known code" in m.content and "500,000" in m.content
        )
        assert f"Credited to user {gus.user_id} by Owner" in edited.content and not edited.buttons
    # Another one is ignored, by the deputy this time.
    since = shop.mark()
    await pay.sepay.transfer(1_000, "hoan tien")
    await shop.sent_to(pay.deputy.chat_id, "1,000 VND", since)
    await shop.press(pay.deputy, "🙈 Ignore")
    edited = await shop.sent_to(shop.admin.chat_id, "Ignored by Deputy", since)
    assert not edited.buttons


# ---- card transfers admins approve ----------------------------------------------------------------


async def request_card_topup(pay: Payments, person: Person, amount: str) -> Payment:
    await choose(pay, person, "💳 Card transfer", amount)
    instructions = await pay.shop.expect(person, "Top-up PAY")
    assert CARD_TEXT in instructions.content
    return await pay.latest_payment(person)


async def test_two_admins_approving_at_once_credit_once(pay: Payments) -> None:
    shop = pay.shop
    hal = await shop.customer()
    await shop.ask(pay.deputy, "/start")
    payment = await request_card_topup(pay, hal, "25.00 USD")
    since = shop.mark()
    await hal.send_photo()
    await shop.expect(hal, "is with the shop's admins")
    for admin in (shop.admin, pay.deputy):
        await shop.sent_to(admin.chat_id, f"Card top-up {payment.code}", since)
    assert any(c.params["chat_id"] == DEPUTY_ID for c in shop.fake.calls_of("sendPhoto")[-2:])
    queries = [await admin.click("✅ Approve") for admin in (shop.admin, pay.deputy)]
    answers = [
        await admin.wait_answer(q)
        for admin, q in zip((shop.admin, pay.deputy), queries, strict=True)
    ]
    texts = sorted(str(a.get("text")) for a in answers)
    assert texts[0].startswith("Already decided by") and texts[1].startswith("✅ Done")
    await shop.expect(hal, "was approved")
    assert await pay.balance(hal) == 25
    assert await pay.ledger_rows("topup_manual", payment.code) == 1

    async def both_show_it() -> bool:
        cards = [
            next(m for m in admin.messages if f"Card top-up {payment.code}" in m.content)
            for admin in (shop.admin, pay.deputy)
        ]
        return all("Approved by" in c.content and not c.buttons for c in cards)

    await eventually(both_show_it)


async def test_a_rejection_carries_its_reason_and_later_presses_are_told(pay: Payments) -> None:
    shop = pay.shop
    ivy = await shop.customer()
    payment = await request_card_topup(pay, ivy, "5.00 USD")
    too_long = await shop.ask(ivy, "x" * 1001)
    assert "up to 1,000 characters" in text_of(too_long)
    since = shop.mark()
    await ivy.send("Paid from card *1234 at 10:15")
    await shop.expect(ivy, "is with the shop's admins")
    await shop.sent_to(shop.admin.chat_id, "Paid from card *1234", since)
    again = await ivy.click("📎 Send the proof")
    assert "sent already" in str((await ivy.wait_answer(again)).get("text"))
    await shop.press(shop.admin, "❌ Reject")
    await shop.admin.send("No payment arrived")
    await shop.expect(shop.admin, "Done")
    told = await shop.expect(ivy, "was not approved")
    assert "No payment arrived" in told.content and payment.code in told.content
    late = await shop.admin.click_data(f"rv:approve:{payment.id}")  # a button pressed late
    assert "Already decided by Owner (rejected)" in str(
        (await shop.admin.wait_answer(late)).get("text")
    )
    assert await pay.balance(ivy) == 0


# ---- for every method ----------------------------------------------------------------------------


async def test_banned_people_are_credited_and_referrers_earn_from_every_method(
    pay: Payments,
) -> None:
    shop = pay.shop
    rita = await shop.customer()
    joe = shop.person()
    await shop.ask(joe, f"/start {referral_payload(rita.user_id)}")
    invoice = await open_crypto_invoice(pay, joe, "10.00 USD")
    _, request = await open_bank_request(pay, joe, "10.00 USD")
    await shop.app.books.users.set_banned(joe.user_id, True)
    await pay.crypto.pay(invoice["invoice_id"])  # the webhook
    await pay.sepay.transfer(250_000, request.code)

    async def credited() -> bool:
        return await pay.balance(joe) == 20

    await eventually(credited)
    assert await pay.balance(rita) == 1  # 5% of each
    assert await pay.ledger_rows("referral", f"crypto:{invoice['invoice_id']}") == 1
    assert await pay.ledger_rows("referral") == 2
    listing = await shop.ask(shop.admin, "/payments")
    assert "Crypto Pay (offered)" in text_of(listing)
    assert f"{request.code} · user {joe.user_id} · 10.00 USD · paid" in text_of(listing)


async def test_the_demo_runs_every_method_on_simulators(
    shared_world: World, tmp_path: Path
) -> None:
    """PAYMENTS_DEMO=true (make run): a person pays on the simulator's page and is credited."""
    async with running_bot(shared_world, tmp_path, payments_demo=True) as shop:
        kim = await shop.customer()
        screen = await shop.ask(kim, "/balance")
        assert ["🏦 Bank transfer", "💳 Card transfer"] in screen.buttons  # a VND rate is set
        await shop.press(kim, "💎 Crypto")
        await kim.click("5.00 USD")
        invoice = await shop.expect(kim, "Invoice")
        button = invoice.find_button("💎 Pay 5.00 USD")
        assert button is not None
        async with aiohttp.ClientSession() as http, http.post(button["url"]) as page:
            assert "paid" in await page.text()
        await shop.expect(kim, "Crypto payment received")
        assert await shop.balance(kim) == 5
