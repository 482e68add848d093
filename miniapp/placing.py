"""Ordering, as the chat's confirm: a form checked as the person types (each wrong field's words,
the live price), a quote that keeps the person's one pending draft and returns its key
(miniapp/drafts.py), and the order call that names the key and places it once, under the
shop's draft lock: a double tap, a retry or a second tab answers the same order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json
from miniapp.browsing import sold_offer, sold_product
from miniapp.drafts import PendingDrafts
from miniapp.front import Storefront
from miniapp.gate import Route
from miniapp.inputs import ID, body_of, path_id, product_form, service_form, text_field
from miniapp.orders import Orders
from shop import checkout
from shop.checkout import AlreadyPlaced, Bill, OutOfStock, PlaceResult, PriceChanged
from shop.i18n import _
from shop.order_form import Checked, check_product_form, check_service_form
from shop.order_texts import product_confirm_text, result_text, service_confirm_text
from shop.products import ProductDraft
from shop.service_drafts import OrderDraft
from storage.users import User

Draft = OrderDraft | ProductDraft
MAX_DRAFT_KEY = 64


def outcome(result: PlaceResult | OutOfStock) -> str:
    match result:
        case checkout.Placed():
            return "placed"
        case checkout.AlreadyPlaced():
            return "already"
        case checkout.Refused():
            return "refused"
        case checkout.Held():
            return "held"
        case checkout.NotEnoughBalance():
            return "not_enough"
        case checkout.ServiceGone():
            return "gone"
        case checkout.OutOfStock():
            return "sold_out"
        case checkout.LinkBusy():  # only the reseller API asks for one order per link
            return "link_busy"


def gone(draft: Draft) -> ApiError:
    if isinstance(draft, OrderDraft):
        return ApiError(404, "gone", _("This service is no longer available."))
    return ApiError(404, "gone", _("This product is no longer available."))


class Placing:
    def __init__(self, front: Storefront, orders: Orders) -> None:
        self.front = front
        self.orders = orders
        self.drafts = PendingDrafts()

    def routes(self) -> list[Route]:
        return [
            Route("POST", f"/services/{ID}/check", self.check_service),
            Route("POST", f"/services/{ID}/quote", self.quote_service),
            Route("POST", f"/products/{ID}/check", self.check_product),
            Route("POST", f"/products/{ID}/quote", self.quote_product),
            Route("POST", "/orders", self.place, action=True),
        ]

    # ---- checking and quoting -----------------------------------------------------------------

    async def check_service(self, request: web.Request, person: User) -> Json:
        offer = await sold_offer(self.front, path_id(request))
        result = check_service_form(offer, service_form(await body_of(request)))
        return views.checked(result, offer, await self._price(person, result), offer.currency)

    async def quote_service(self, request: web.Request, person: User) -> Json:
        offer = await sold_offer(self.front, path_id(request))
        result = check_service_form(offer, service_form(await body_of(request)))
        return await self._confirm(person, result)

    async def check_product(self, request: web.Request, person: User) -> Json:
        offer = await sold_product(self.front, path_id(request))
        result = check_product_form(offer.product, *product_form(await body_of(request)))
        return views.checked(result, None, await self._price(person, result), offer.currency)

    async def quote_product(self, request: web.Request, person: User) -> Json:
        offer = await sold_product(self.front, path_id(request))
        if not offer.product.in_stock:
            raise ApiError(409, "sold_out", _("Sorry, this product is out of stock."))
        result = check_product_form(offer.product, *product_form(await body_of(request)))
        return await self._confirm(person, result)

    async def _quoted(self, person: User, draft: Draft) -> tuple[Bill, str] | None:
        """What the draft costs the person now and the chat's confirm card for it; None when
        it is no longer sold."""
        if isinstance(draft, OrderDraft):
            quote = await self.front.quote(person.id, draft)
            return None if quote is None else (quote, service_confirm_text(draft, quote))
        bill = await self.front.product_quote(person.id, draft)
        return None if bill is None else (bill, product_confirm_text(draft, bill))

    async def _price(self, person: User, result: Checked[Any]) -> Decimal | None:
        """The live price, once the fields that set the quantity are right."""
        if result.quantity is None:
            return None
        quoted = await self._quoted(person, result.draft)
        return None if quoted is None else quoted[0].price

    async def _confirm(self, person: User, result: Checked[Any]) -> Json:
        draft = result.complete
        if draft is None:
            raise ApiError(422, "invalid", _("Please check the form."), errors=result.errors)
        return await self._keep(person, draft)

    async def _keep(self, person: User, draft: Draft) -> Json:
        """The draft, at its price now, becomes the person's one confirm: its screen."""
        quoted = await self._quoted(person, draft)
        if quoted is None:
            self.drafts.drop(person.id, draft.key)
            raise gone(draft)
        bill, card = quoted
        draft.price = bill.price
        self.drafts.keep(person.id, draft)
        return views.confirm(card, bill, draft.key)

    # ---- placing ------------------------------------------------------------------------------

    async def place(self, request: web.Request, person: User) -> Json:
        """Place the person's pending draft named by `draft`, once: a second call with the same
        key (a double tap, a retry) answers the same order."""
        key = text_field(await body_of(request), "draft")
        if not key or len(key) > MAX_DRAFT_KEY:
            raise ApiError(400, "bad_request", "draft must name a draft")
        async with self.front.draft_lock(key):
            draft = self.drafts.current(person.id, key)
            if draft is None:
                return await self._placed_before(person, key)
            result: PlaceResult | OutOfStock | PriceChanged
            if isinstance(draft, OrderDraft):
                result = await self.front.place(person, draft)
            else:
                result = await self.front.place_product(person, draft)
            if isinstance(result, PriceChanged):
                raise await self._price_changed(person, draft)
            self.drafts.drop(person.id, key)
        return await self._outcome(result)

    async def _placed_before(self, person: User, key: str) -> Json:
        placed = await self.front.placed_by_draft(key)
        if placed is None or placed.user_id != person.id:
            raise ApiError(
                409, "expired", _("This confirmation has expired. Please check the order again.")
            )
        return await self._outcome(AlreadyPlaced(placed))

    async def _price_changed(self, person: User, draft: Draft) -> ApiError:
        """Nothing was charged: the new price to confirm (the draft keeps its key)."""
        return ApiError(
            409,
            "price_changed",
            _("⚠️ The price has changed since you checked it. Nothing was charged."),
            confirm=await self._keep(person, draft),
        )

    async def _outcome(self, result: PlaceResult | OutOfStock) -> Json:
        order = getattr(result, "order", None)
        kind = outcome(result)
        return {
            "outcome": kind,
            "ok": kind in {"placed", "already"},
            "message": views.plain(result_text(result)),
            "order": None if order is None else await self.orders.card(order),
        }
