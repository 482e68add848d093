"""A person's orders: the history as cards, an order's page with the chat's card, and asking
the panel again, a refill or a cancel, with the chat's once-only rules (shop/order_requests.py).
Only the person's own orders open: another's id is a 404 like one that does not exist."""

from __future__ import annotations

from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json
from miniapp.front import PanelError, Storefront
from miniapp.gate import Route
from miniapp.inputs import ID, page_number, path_id
from shop import texts
from shop.cancels import CancelAlreadyRequested, CancelNotOffered, CancelRequested
from shop.i18n import _
from shop.order_requests import RefillRefused
from shop.order_texts import cancel_outcome_text, cancel_question, refill_requested
from storage.orders import OrderRecord
from storage.users import User

ORDERS_PAGE = 20


class Orders:
    def __init__(self, front: Storefront) -> None:
        self.front = front

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/orders", self.orders),
            Route("GET", f"/orders/{ID}", self.order),
            Route("POST", f"/orders/{ID}/refresh", self.refresh, action=True),
            Route("POST", f"/orders/{ID}/refill", self.refill, action=True),
            Route("POST", f"/orders/{ID}/cancel", self.cancel, action=True),
        ]

    async def card(self, order: OrderRecord) -> Json:
        """The order as the history lists it (and as a placed order is shown)."""
        return views.order_card(
            order,
            await self.front.currency(),
            can_refill=await self.front.can_refill(order) if order.refill_allowed else False,
            can_cancel=self.front.can_cancel(order),
        )

    async def _detail(self, order: OrderRecord) -> Json:
        can_cancel = self.front.can_cancel(order)
        detail = views.order_detail(
            order,
            await self.front.currency(),
            await self.front.latest_refill(order.id),
            can_refill=await self.front.can_refill(order),
            can_cancel=can_cancel,
        )
        detail["cancel_question"] = views.plain(cancel_question(order)) if can_cancel else None
        return detail

    async def _own_order(self, request: web.Request, person: User) -> OrderRecord:
        order = await self.front.own_order(person.id, path_id(request))
        if order is None:
            raise ApiError(404, "not_found", _("This order was not found."))
        return order

    async def orders(self, request: web.Request, person: User) -> Json:
        found = await self.front.orders(person.id, page_number(request), ORDERS_PAGE)
        return views.page_of(found, [await self.card(order) for order in found.items])

    async def order(self, request: web.Request, person: User) -> Json:
        return await self._detail(await self._own_order(request, person))

    async def refresh(self, request: web.Request, person: User) -> Json:
        order = await self._own_order(request, person)
        try:
            order = await self.front.refresh(order)
        except PanelError:
            raise ApiError(503, "panel", texts.panel_unavailable()) from None
        return await self._detail(order)

    async def refill(self, request: web.Request, person: User) -> Json:
        order = await self._own_order(request, person)
        result = await self.front.request_refill(order)
        refused = isinstance(result, RefillRefused)
        return {
            "ok": not refused,
            "message": result.reason if isinstance(result, RefillRefused) else refill_requested(),
            "order": await self._detail(order),
        }

    async def cancel(self, request: web.Request, person: User) -> Json:
        order = await self._own_order(request, person)
        if not self.front.can_cancel(order):
            made = order.cancel_requested_at is not None
            stale = CancelAlreadyRequested(order) if made else CancelNotOffered(order)
            return {
                "ok": False,
                "message": cancel_outcome_text(stale),
                "order": await self._detail(order),
            }
        result = await self.front.request_cancel(order)
        return {
            "ok": isinstance(result, CancelRequested),
            "message": cancel_outcome_text(result),
            "order": await self._detail(result.order),
        }
