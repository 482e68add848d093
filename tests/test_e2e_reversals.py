"""/reverse REF: admins take back a top-up of any method, end to end over the fake Telegram, the
Crypto Pay simulator and the SePay sender (the set-up of tests/test_e2e_topups.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from shop.referrals import referral_payload
from simulators.cryptopay import CryptoPaySimulator
from tests.fake_telegram import Person
from tests.harness import World, text_of
from tests.test_e2e_payments import checkout, last_invoice
from tests.test_e2e_payments import pay as pay_stars
from tests.test_e2e_topups import (
    Payments,
    open_bank_request,
    open_crypto_invoice,
    payments_bot,
    request_card_topup,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto_sim() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-reverse-token-42")
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def pay(
    shared_world: World, crypto_sim: CryptoPaySimulator, tmp_path: Path
) -> AsyncIterator[Payments]:
    async with payments_bot(shared_world, crypto_sim, tmp_path) as payments:
        await payments.shop.ask(payments.shop.admin, "/payrate vnd 25000")
        await payments.shop.ask(payments.deputy, "/start")
        yield payments


async def test_two_admins_reversing_a_bank_top_up_at_once_reverse_it_once(pay: Payments) -> None:
    shop = pay.shop
    rita = await shop.customer()
    joe = shop.person()
    await shop.ask(joe, f"/start {referral_payload(rita.user_id)}")
    _, request = await open_bank_request(pay, joe, "10.00 USD")
    await pay.sepay.transfer(250_000, request.code)
    await shop.expect(joe, "Bank transfer received")
    assert await pay.balance(joe) == 10 and await pay.balance(rita) == Decimal("0.5")

    previews = [
        await shop.ask(admin, f"/reverse {request.code}") for admin in (shop.admin, pay.deputy)
    ]
    for preview in previews:
        assert f"Bank (VietQR) request {request.code}" in text_of(preview)
        assert f"10.00 USD from user {joe.user_id} (balance 10.00 USD)" in text_of(preview)
        assert preview.buttons == [["↩️ Reverse 10.00 USD", "✖️ Keep it"]]
    since = shop.mark()
    queries = [await admin.click("↩️ Reverse 10.00 USD") for admin in (shop.admin, pay.deputy)]
    answers = await asyncio.gather(
        *(admin.wait_answer(q) for admin, q in zip((shop.admin, pay.deputy), queries, strict=True))
    )
    texts = sorted(str(answer.get("text")) for answer in answers)
    assert texts[0].startswith("Not reversed") and "reversed already by" in texts[0]
    assert texts[1] == "✅ Reversed."
    told = await shop.sent_to(joe.chat_id, "was reversed", since)
    assert request.code in text_of(told) and "10.00 USD" in text_of(told)
    await shop.sent_to(rita.chat_id, "taken back", since)
    assert await pay.balance(joe) == 0 and await pay.balance(rita) == 0
    assert await pay.ledger_rows("topup_reversed") == 1
    record = await shop.app.services.reversals.records.latest(1)
    assert record[0].named == request.code and record[0].admin_id in (
        shop.admin.user_id,
        pay.deputy.user_id,
    )
    assert record[0].referral_taken == Decimal("0.5")
    # Later: refused, saying who did it; SePay sending the transfer again credits nothing.
    again = await shop.ask(shop.admin, f"/reverse {request.code.lower()}")
    assert "Not reversible" in text_of(again) and "reversed already by" in text_of(again)
    await pay.sepay.transfer(
        250_000, request.code, transaction_id=await sepay_id_of(pay, request.id)
    )
    assert await pay.balance(joe) == 0


async def paid_in_stars(pay: Payments, person: Person, amount_label: str, charge_id: str) -> None:
    """Balance -> ⭐ Telegram Stars -> the amount -> paid (checkout and Telegram's message)."""
    shop = pay.shop
    await shop.ask(person, "/balance")
    await shop.press(person, "⭐ Telegram Stars")
    query = await person.click(amount_label, match="contains")
    payload, stars = last_invoice(shop, person, await person.wait_reply())
    await person.wait_answer(query)
    assert (await checkout(shop, person, payload, stars))["ok"] is True
    pay_stars(shop, person, payload, stars, charge_id)
    await shop.expect(person, "Payment received")


async def sepay_id_of(pay: Payments, payment_id: int) -> int:
    sepay_id: str = await pay.shop.app.db.fetchval(
        "SELECT sepay_id FROM bank_transfers WHERE payment_id = ?", (payment_id,)
    )
    return int(sepay_id)


async def test_a_reversal_is_refused_when_the_money_was_spent_and_kept_when_asked(
    pay: Payments,
) -> None:
    shop = pay.shop
    hal = await shop.customer()
    request = await request_card_topup(pay, hal, "25.00 USD")
    await hal.send_photo()
    await shop.expect(hal, "is with the shop's admins")
    await shop.expect(shop.admin, f"Card top-up {request.code}")
    await shop.press(shop.admin, "✅ Approve")
    await shop.expect(hal, "was approved")
    await shop.app.books.ledger.change(hal.user_id, Decimal(-20), "order", "spent-on-orders")
    refused = await shop.ask(shop.admin, f"/reverse {request.code}")
    assert "Not reversible" in text_of(refused)
    assert "has only 5.00 USD on their balance, less than the 25.00 USD" in text_of(refused)
    assert not refused.buttons
    # With the money there, the admin may still keep it.
    await shop.app.books.ledger.change(hal.user_id, Decimal(20), "credit", "back-again")
    await shop.ask(shop.admin, f"/reverse {request.code}")
    kept = await shop.press(shop.admin, "✖️ Keep it")
    assert "nothing was changed" in text_of(kept)
    assert await pay.balance(hal) == 25
    assert await pay.ledger_rows("topup_reversed", f"topup_manual:{request.code}") == 0


async def test_crypto_and_stars_top_ups_are_reversed_and_a_reversed_stars_one_is_not_refunded(
    pay: Payments,
) -> None:
    shop = pay.shop
    ivy = await shop.customer()
    invoice = await open_crypto_invoice(pay, ivy, "5.00 USD")
    await pay.crypto.pay(invoice["invoice_id"])
    await shop.expect(ivy, "Crypto payment received")
    code = (await pay.latest_payment(ivy)).code
    await shop.ask(shop.admin, f"/reverse {code}")
    done = await shop.press(shop.admin, "↩️ Reverse 5.00 USD")
    assert f"Reversed Crypto Pay request {code}" in text_of(done)
    assert f"5.00 USD from user {ivy.user_id} (balance now 0.00 USD)" in text_of(done)
    await shop.expect(ivy, "was reversed")

    await paid_in_stars(pay, ivy, "10.00 USD", "charge-reverse-1")
    preview = await shop.ask(shop.admin, "/reverse charge-reverse-1")
    assert "Stars payment charge-reverse-1" in text_of(preview)
    await shop.press(shop.admin, "↩️ Reverse 10.00 USD")
    await shop.expect(ivy, "was reversed")
    refund = await shop.ask(shop.admin, "/refund_stars charge-reverse-1")
    assert "reversed with /reverse already" in text_of(refund)
    assert await pay.balance(ivy) == 0
    assert await pay.ledger_rows("topup_refund") == 0


async def test_reverse_answers_what_is_wrong_with_its_reference(pay: Payments) -> None:
    shop = pay.shop
    kim = await shop.customer()
    unpaid = await open_crypto_invoice(pay, kim, "5.00 USD")
    code = (await pay.latest_payment(kim)).code
    for typed, answer in [
        ("/reverse", "Usage: /reverse REF"),
        ("/reverse SMM123 456", "Usage: /reverse REF"),
        ("/reverse <b>", "Usage: /reverse REF"),
        ("/reverse PAYZZZZZZ", "no top-up request has the reference PAYZZZZZZ"),
        ("/reverse #999999", "no bank transfer #999999"),
        ("/reverse no-such-charge", "no-such-charge is no request reference"),
        (f"/reverse {code}", "credited nothing"),
    ]:
        reply = await shop.ask(shop.admin, typed)
        assert answer in text_of(reply), (typed, text_of(reply))
        assert not reply.buttons
    assert unpaid["status"] == "active"
    # Customers do not have the command; a forged button does nothing.
    unknown = text_of(await shop.ask(kim, "/nonsense"))
    assert text_of(await shop.ask(kim, f"/reverse {code}")) == unknown
    query = await shop.admin.click_data("rx:go:wallet:1")
    assert "expired" in str((await shop.admin.wait_answer(query)).get("text"))
