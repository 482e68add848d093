"""Payments reaching the bot: Telegram's pre-checkout question and the successful payment.

This router comes right after the errors router: no step of any flow can swallow a payment.
The rules live in shop/payments.py; the person is told through the outbox, in the same
transaction as the credit.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import Message, PreCheckoutQuery

from shop.i18n import _
from shop.payments import AlreadyCredited, CheckoutProblem
from shop.services import Services
from storage.users import User

logger = logging.getLogger(__name__)


async def pre_checkout(query: PreCheckoutQuery, services: Services) -> None:
    """Telegram waits at most 10 seconds: a read, then the answer."""
    problem = await services.payments.check_checkout(
        query.from_user.id, query.invoice_payload, query.currency, query.total_amount
    )
    if problem is None:
        await query.answer(ok=True)
        return
    await query.answer(ok=False, error_message=checkout_error(problem))


def checkout_error(problem: CheckoutProblem) -> str:
    texts = {
        CheckoutProblem.UNKNOWN: _(
            "This invoice is not valid. Please open 💰 Balance → ⭐ Top up for a new one."
        ),
        CheckoutProblem.PAID: _("This invoice was paid already. Your balance has the money."),
        CheckoutProblem.MISMATCH: _(
            "The amount does not match this invoice. Please open 💰 Balance → ⭐ Top up "
            "for a new one."
        ),
    }
    return texts[problem]


async def successful_payment(message: Message, services: Services, person: User) -> None:
    payment = message.successful_payment
    assert payment is not None
    result = await services.payments.credit_payment(
        person.id,
        payment.invoice_payload,
        payment.currency,
        payment.total_amount,
        payment.telegram_payment_charge_id,
    )
    # Credited or not matched: the person is told through the outbox, written in the same
    # transaction as the credit. A repeated delivery of the same payment says nothing again.
    if isinstance(result, AlreadyCredited):
        logger.info("Top-up %s: its payment was delivered again", result.topup_id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, F.successful_payment)
    return router
