"""✖️ Cancel order on an order card: are you sure? Then one request to the panel holding it.

The refund is not made here: it follows the panel's Canceled (or Partial) status, which the
tracker applies once. The card is shown again with where the request stands.
"""

from __future__ import annotations

from aiogram import Router, html
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import CancelOrderCb
from handlers.common import show
from handlers.customer.orders import OwnOrder, order_not_found, show_card
from shop.cancels import (
    CancelAlreadyRequested,
    CancelNotOffered,
    CancelRefused,
    CancelRequested,
    CancelResult,
    CancelUnclear,
)
from shop.i18n import _
from shop.services import Services
from storage.orders import OrderRecord


def are_you_sure(order: OrderRecord) -> str:
    return _(
        "✖️ <b>Cancel order #{id}?</b>\n{service}\n\n"
        "The provider is asked to stop it. If it has not started, the whole price comes back to "
        "your balance; if delivery has started, the undelivered part does. The refund comes "
        "when the provider confirms the cancel."
    ).format(id=order.id, service=html.quote(order.service_name))


def outcome_text(result: CancelResult) -> str:
    match result:
        case CancelRequested():
            return _("Cancel requested. The refund follows when the provider cancels it.")
        case CancelRefused():
            return _("The provider refused to cancel this order.")
        case CancelUnclear():
            return _(
                "The provider did not answer clearly. The request stands; check the order later."
            )
        case CancelAlreadyRequested():
            return _("A cancel request for this order was already sent.")
        case CancelNotOffered():
            return _("This order can no longer be canceled.")


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
            callback_answer.text = outcome_text(stale)
            return
        await show(callback, are_you_sure(order), keyboards.confirm_cancel(order, page))
        return
    result = await services.order_requests.request_cancel(order)
    await show_card(callback, result.order, page, services)
    callback_answer.text = outcome_text(result)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(cancel_order, CancelOrderCb.filter(), OwnOrder())
    router.callback_query.register(order_not_found, CancelOrderCb.filter())
    return router
