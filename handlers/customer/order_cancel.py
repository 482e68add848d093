"""✖️ Cancel order on an order card: are you sure? Then one request to the panel holding it.

The refund is not made here: it follows the panel's Canceled (or Partial) status, which the
tracker applies once. The card is shown again with where the request stands.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import CancelOrderCb
from handlers.common import show
from handlers.customer.orders import OwnOrder, order_not_found, show_card
from shop.cancels import (
    CancelAlreadyRequested,
    CancelNotOffered,
)
from shop.order_texts import cancel_outcome_text, cancel_question
from shop.services import Services
from storage.orders import OrderRecord


async def cancel_order(
    callback: CallbackQuery,
    callback_data: CancelOrderCb,
    order: OrderRecord,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    page = callback_data.page
    if not callback_data.sure:
        if not services.order_requests.can_cancel(order):  # an old card: show how things stand now
            await show_card(callback, order, page, services)
            made = order.cancel_requested_at is not None
            stale = CancelAlreadyRequested(order) if made else CancelNotOffered(order)
            callback_answer.text = cancel_outcome_text(stale)
            return
        await show(callback, cancel_question(order), keyboards.confirm_cancel(order, page))
        return
    result = await services.order_requests.request_cancel(order)
    await show_card(callback, result.order, page, services)
    callback_answer.text = cancel_outcome_text(result)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(cancel_order, CancelOrderCb.filter(), OwnOrder())
    router.callback_query.register(order_not_found, CancelOrderCb.filter())
    return router
