"""Bank and card top-up requests expire, end to end: the person is told in their language, the
message that offered to pay is taken out of the chat, and what comes later (a transfer, a proof)
reaches the admins instead of being credited by itself. Time is moved by back-dating a
request's `expires_at`; the bot's own background pass does the rest (woken, not waited for)."""

from __future__ import annotations

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
