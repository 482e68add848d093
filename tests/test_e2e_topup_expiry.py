"""Bank and card top-up requests expire, end to end: the person is told in their language, the
message that offered to pay is taken out of the chat, and what comes later (a transfer, a proof)
reaches the admins instead of being credited by itself. Time is moved by back-dating a
request's `expires_at`; the bot's own background pass does the rest (woken, not waited for)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from simulators.cryptopay import CryptoPaySimulator
from storage.payments import Payment, PaymentStatus
from tests.harness import World, eventually, text_of
from tests.test_e2e_topups import (
    CARD_TEXT,
    Payments,
    open_bank_request,
    payments_bot,
    request_card_topup,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crypto_sim() -> AsyncIterator[CryptoPaySimulator]:
    sim = CryptoPaySimulator(token="crypto-expiry-token-42")
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
        yield payments


async def time_is_up(pay: Payments, payment: Payment) -> None:
    """The request's time ran out a second ago, and the bot's expiry pass is woken."""
    async with pay.shop.app.db.transaction() as tx:
        await tx.execute(
            "UPDATE payments SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 1 "
            "WHERE id = ?",
            (payment.id,),
        )
    expiry = pay.shop.app.services.topups.expiry
    assert expiry is not None
    expiry.wake.set()


async def test_a_card_request_expires_and_a_late_proof_still_reaches_the_admins(
    pay: Payments,
) -> None:
    shop = pay.shop
    ann = await shop.customer()
    request = await request_card_topup(pay, ann, "25.00 USD")
    offer = next(m for m in ann.messages if f"Top-up {request.code}" in m.content)
    assert "Valid for 24 hours" in offer.content
    await time_is_up(pay, request)
    told = await shop.expect(ann, "Your card top-up request")
    assert request.code in told.content and "25.00 USD" in told.content
    assert (await pay.latest_payment(ann)).status is PaymentStatus.EXPIRED

    async def offer_retired() -> bool:
        message = next(m for m in ann.messages if m.message_id == offer.message_id)
        return CARD_TEXT not in message.content

    await eventually(offer_retired)
    retired = next(m for m in ann.messages if m.message_id == offer.message_id)
    assert "has expired: do not pay it" in retired.content
    assert ["📎 Send the proof"] in retired.buttons
    expiry = shop.app.services.topups.expiry
    assert expiry is not None and await expiry.expire_due() == 0  # once only
    # She had paid in time: the proof still goes to the admins, who decide as always.
    prompt = await shop.press(ann, "📎 Send the proof")
    assert "has expired: send a proof only if you paid it already" in text_of(prompt)
    since = shop.mark()
    await ann.send_photo()
    await shop.expect(ann, "is with the shop's admins")
    await shop.sent_to(shop.admin.chat_id, f"Card top-up {request.code}", since)
    await shop.press(shop.admin, "✅ Approve")
    await shop.expect(ann, "was approved")
    assert await pay.balance(ann) == 25


async def test_the_person_is_told_in_their_language(pay: Payments) -> None:
    shop = pay.shop
    topups = shop.app.services.topups
    assert topups.bank is not None and topups.manual is not None
    vy, ivan = await shop.customer(language_code="vi"), await shop.customer(language_code="ru")
    bank_request = await topups.bank.open_request(vy.user_id, Decimal(10))
    card_request = await topups.manual.open_request(ivan.user_id, Decimal(10))
    assert bank_request is not None
    for person, request, word in [(vy, bank_request, "hết hạn"), (ivan, card_request, "истёк")]:
        await time_is_up(pay, request)
        told = await shop.expect(person, "💰")  # the notice says where to open a new one
        assert word in told.content and request.code in told.content, told.content


async def test_a_transfer_for_an_expired_bank_request_waits_for_an_admin(pay: Payments) -> None:
    shop = pay.shop
    bob = await shop.customer()
    qr, request = await open_bank_request(pay, bob, "10.00 USD")
    assert "Valid for 24 hours" in qr.content
    await time_is_up(pay, request)
    told = await shop.expect(bob, "Your bank transfer request")
    assert request.code in told.content and "nothing is lost" in told.content

    async def qr_deleted() -> bool:
        return all(m.message_id != qr.message_id for m in bob.messages)

    await eventually(qr_deleted)
    since = shop.mark()
    assert await pay.sepay.transfer(250_000, request.code) == (200, {"success": True})
    card = await shop.sent_to(shop.admin.chat_id, "Bank transfer for an expired request", since)
    assert request.code in text_of(card) and "held because its request had expired" in text_of(card)
    assert card.buttons == [["➕ Credit a person", "🙈 Ignore"]]
    assert await pay.balance(bob) == 0
    await shop.press(shop.admin, "➕ Credit a person")
    await shop.admin.send(str(bob.user_id))
    await shop.expect(shop.admin, "Done")
    await shop.expect(bob, "Bank transfer received")
    assert await pay.balance(bob) == 10  # at the request's own rate
    assert (await pay.latest_payment(bob)).status is PaymentStatus.PAID


async def notices(pay: Payments, code: str) -> int:
    count: int = await pay.shop.app.db.fetchval(
        "SELECT COUNT(*) FROM notifications WHERE text LIKE ? AND text LIKE ?",
        ("%has expired%", f"%{code}%"),
    )
    return count


async def test_a_transfer_and_the_expiry_racing_apply_one_outcome(pay: Payments) -> None:
    shop = pay.shop
    expiry = shop.app.services.topups.expiry
    assert expiry is not None
    cid = await shop.customer()
    # Its time is up, but no pass has marked it yet: the transfer and a pass come at once.
    _, late = await open_bank_request(pay, cid, "10.00 USD")
    async with shop.app.db.transaction() as tx:
        await tx.execute(
            "UPDATE payments SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 1 "
            "WHERE id = ?",
            (late.id,),
        )
    body = pay.sepay.body(250_000, late.code)
    answers = await asyncio.gather(pay.sepay.send(body), expiry.expire_due(), expiry.expire_due())
    assert answers[0] == (200, {"success": True})
    await shop.wait_idle()
    assert await notices(pay, late.code) == 1
    assert await pay.balance(cid) == 0
    held = await shop.app.db.fetchone(
        "SELECT status, held_because FROM bank_transfers WHERE sepay_id = ?", (str(body["id"]),)
    )
    assert held is not None and tuple(held) == ("unmatched", "its request had expired")
    # In time, the same race credits it, and nothing expires.
    _, timely = await open_bank_request(pay, cid, "5.00 USD")
    await asyncio.gather(pay.sepay.transfer(125_000, timely.code), expiry.expire_due())
    await shop.expect(cid, "Bank transfer received")
    assert await pay.balance(cid) == 5 and await notices(pay, timely.code) == 0
