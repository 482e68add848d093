"""The Mini App's JSON API, under /app/api/ on the bot's web server.

Every call carries the raw init data Telegram signed (`Authorization: tma <initData>`): the
person is the one it names (miniapp/auth.py), never an id from the request. Then, in order: the
person's rate (429 past a burst), the chat's ban (403 with the chat's words), their language
for every word of the answer. Bodies are read whole or refused (miniapp/reading.py). Every
answer is JSON, a failure included: {"error": code, "message": words}; no traceback ever.

Ordering follows the chat's confirm: a quote keeps the person's one pending draft and returns
its key; the order call names the key (miniapp/drafts.py), under the shop's draft lock.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import LabeledPrice
from aiogram.utils.web_app import parse_webapp_init_data
from aiohttp import web

from miniapp import views
from miniapp.auth import AuthProblem, Unauthorized, init_data_of, visitor
from miniapp.drafts import PendingDrafts
from miniapp.front import BadQuery, PanelError, Storefront
from miniapp.reading import BadBody, read_json
from miniapp.texts import page_texts
from payments_api import vietqr
from shop import payment_texts, texts
from shop.cancels import CancelAlreadyRequested, CancelNotOffered, CancelRequested
from shop.catalog import search_terms
from shop.checkout import (
    AlreadyPlaced,
    Held,
    LinkBusy,
    NotEnoughBalance,
    OutOfStock,
    Placed,
    PlaceResult,
    PriceChanged,
    Refused,
    ServiceGone,
)
from shop.crypto_topups import NotOpened
from shop.formatting import format_money, format_number, plain_number
from shop.i18n import _, in_language, supported_language
from shop.manual_topups import MAX_PROOF_TEXT, ProofTaken
from shop.order_form import (
    BadInput,
    ServiceForm,
    check_product_form,
    check_service_form,
    search_problem,
)
from shop.order_requests import RefillRefused
from shop.order_texts import (
    cancel_outcome_text,
    cancel_question,
    product_card_text,
    product_confirm_text,
    refill_requested,
    result_text,
    service_confirm_text,
)
from shop.payments import STARS_CURRENCY, payload_for
from shop.products import ProductDraft
from shop.rate_limit import RateBuckets
from shop.service_drafts import OrderDraft
from shop.topup_input import check_method_amount, check_stars_amount, range_text
from storage.catalog import ServiceRecord
from storage.orders import OrderRecord
from storage.payments import Method
from storage.users import User

logger = logging.getLogger(__name__)

Json = dict[str, Any]
Handler = Callable[[web.Request, User], Awaitable[Json]]

CATEGORIES_PAGE = 50
LIST_PAGE = 30  # services, search results, products
ORDERS_PAGE = 20
MOVEMENTS = 20
MAX_PAGE = 100_000
MAX_FIELD_CHARS = 200_000  # a field's text (comments); the body's own cap is below it anyway
# A burst for the first screen and a search typed quickly, then a steady rate; placing orders,
# opening top-ups and asking the panel have their own, slower rate.
REQUESTS = (40.0, 10.0)
ACTIONS = (10.0, 1.0)


class ApiError(Exception):
    """An answer other than 200: its status and JSON."""

    def __init__(self, status: int, error: str, message: str, **more: Any) -> None:
        super().__init__(error)
        self.status = status
        self.body: Json = {"error": error, "message": message, **more}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def answer(body: Json, status: int = 200) -> web.Response:
    response = web.json_response(body, status=status, dumps=dumps)
    response.headers["Cache-Control"] = "no-store"
    return response


def page_number(request: web.Request) -> int:
    raw = request.query.get("page", "0")
    if not raw.isdigit() or int(raw) > MAX_PAGE:
        raise ApiError(400, "bad_request", "page must be a whole number")
    return int(raw)


def path_id(request: web.Request) -> int:
    return int(request.match_info["id"])  # the route admits 1-18 digits only


def text_field(body: Json, name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        raise ApiError(400, "bad_request", f"{name} must be text")
    return value


def service_form(body: Json) -> ServiceForm:
    dripfeed = body.get("dripfeed", False)
    if not isinstance(dripfeed, bool):
        raise ApiError(400, "bad_request", "dripfeed must be true or false")
    fields = ("link", "quantity", "comments", "list", "suggest", "search", "runs", "interval")
    return ServiceForm(dripfeed=dripfeed, **{name: text_field(body, name) for name in fields})


def language_hint(authorization: str | None) -> str:
    """The language to say "open it again" in, from init data that failed its check: used for
    nothing but choosing the words."""
    try:
        user = parse_webapp_init_data(init_data_of(authorization)).user
    except Exception:  # anything unreadable: English
        return supported_language(None)
    return supported_language(user.language_code if user else None)


def outcome(result: PlaceResult | OutOfStock) -> str:
    match result:
        case Placed():
            return "placed"
        case AlreadyPlaced():
            return "already"
        case Refused():
            return "refused"
        case Held():
            return "held"
        case NotEnoughBalance():
            return "not_enough"
        case ServiceGone():
            return "gone"
        case OutOfStock():
            return "sold_out"
        case LinkBusy():  # only the reseller API asks for one order per link
            return "link_busy"


class Api:
    def __init__(self, front: Storefront, bot: Bot, token: str, max_age: float) -> None:
        self.front = front
        self._bot = bot
        self._token = token
        self._max_age = max_age
        self.drafts = PendingDrafts()
        self._requests = RateBuckets(*REQUESTS)
        self._actions = RateBuckets(*ACTIONS)

    def routes(self) -> list[web.RouteDef]:
        """The routes, relative to where the Mini App is mounted (/app)."""
        n = r"{id:\d{1,18}}"
        get, post, slow = web.get, web.post, True
        table: list[tuple[Callable[..., web.RouteDef], str, Handler, bool]] = [
            (get, "/start", self.start, False),
            (get, "/categories", self.categories, False),
            (get, f"/categories/{n}", self.category, False),
            (get, "/search", self.search, False),
            (get, f"/services/{n}", self.service, False),
            (post, f"/services/{n}/check", self.check_service, False),
            (post, f"/services/{n}/quote", self.quote_service, False),
            (get, "/product-categories", self.product_categories, False),
            (get, f"/product-categories/{n}", self.product_category, False),
            (get, f"/products/{n}", self.product, False),
            (post, f"/products/{n}/check", self.check_product, False),
            (post, f"/products/{n}/quote", self.quote_product, False),
            (post, "/orders", self.place, slow),
            (get, "/orders", self.orders, False),
            (get, f"/orders/{n}", self.order, False),
            (post, f"/orders/{n}/refresh", self.refresh, slow),
            (post, f"/orders/{n}/refill", self.refill, slow),
            (post, f"/orders/{n}/cancel", self.cancel, slow),
            (get, "/balance", self.balance, False),
            (get, "/topup", self.topup_methods, False),
            (post, "/topup", self.topup, slow),
            (post, f"/topup/{n}/proof", self.proof, slow),
        ]
        return [
            method(f"/api{path}", partial(self.serve, handler, action))
            for method, path, handler, action in table
        ]

    # ---- every call ---------------------------------------------------------------------------

    async def serve(self, handler: Handler, action: bool, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization")
        try:
            person_of = visitor(authorization, self._token, self._max_age)
        except Unauthorized as refused:
            return self._unauthorized(refused.problem, authorization)
        if not self._allowed(person_of.user_id, action):
            with in_language(supported_language(person_of.language_code)):
                too_fast = _("Too fast. Please wait a moment.")
            return answer({"error": "too_many", "message": too_fast}, 429)
        person = await self.front.person(person_of)
        with in_language(person.language):
            if person.banned:
                return answer(views.banned(texts.account_suspended()), 403)
            try:
                return answer(await handler(request, person))
            except ApiError as error:
                return answer(error.body, error.status)
            except BadBody as error:
                return answer({"error": "bad_request", "message": error.reason}, error.status)
            except Exception:
                logger.exception("Mini App call %s %s failed", request.method, request.path)
                failed = _("Something went wrong. Please try again.")
                return answer({"error": "internal", "message": failed}, 500)

    def _allowed(self, user_id: int, action: bool) -> bool:
        if self._requests.wait(user_id, 0) is None:
            return False
        return not action or self._actions.wait(user_id, 0) is not None

    def _unauthorized(self, problem: AuthProblem, authorization: str | None) -> web.Response:
        with in_language(language_hint(authorization)):
            texts_now = page_texts()
        return answer(
            {
                "error": "unauthorized",
                "reason": problem.value,
                "title": texts_now["reopen_title"],
                "message": texts_now["reopen_text"],
                "close": texts_now["close"],
            },
            401,
        )

    # ---- the first screen ---------------------------------------------------------------------

    async def start(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        categories = await self.front.categories(0, CATEGORIES_PAGE)
        products = await self.front.product_categories(0, CATEGORIES_PAGE)
        return {
            "language": person.language,
            "texts": page_texts(),
            "name": person.full_name,
            "balance": format_money(await self.front.balance(person.id), currency),
            "categories": views.page_of(categories, [views.category(c) for c in categories.items]),
            "product_categories": views.page_of(
                products, [views.product_category(c) for c in products.items]
            ),
        }

    # ---- the catalog --------------------------------------------------------------------------

    async def categories(self, request: web.Request, person: User) -> Json:
        found = await self.front.categories(page_number(request), CATEGORIES_PAGE)
        return views.page_of(found, [views.category(c) for c in found.items])

    async def category(self, request: web.Request, person: User) -> Json:
        category = await self.front.category(path_id(request))
        if category is None or category.service_count == 0:
            raise ApiError(404, "gone", _("This category is no longer available."))
        found = await self.front.services_in(category, page_number(request), LIST_PAGE)
        return {
            "category": views.category(category),
            **views.page_of(found, await self._service_rows(found.items)),
        }

    async def _service_rows(self, services: list[ServiceRecord]) -> list[Json]:
        offers = await self.front.offers(services)
        return [
            views.service_row(offers[s.id]) if s.id in offers else views.gone_row(s)
            for s in services
        ]

    async def search(self, request: web.Request, person: User) -> Json:
        query = request.query.get("q", "")
        try:
            terms = search_terms(query)
            found = await self.front.search(query, page_number(request), LIST_PAGE)
        except BadQuery as bad:
            return {"problem": search_problem(bad.problem), "items": [], "page": 0, "pages": 1}
        return {
            "terms": terms,
            "found": views.found_text(found.total),
            **views.page_of(found, await self._service_rows(found.items)),
        }

    async def service(self, request: web.Request, person: User) -> Json:
        offer = await self._offer(path_id(request))
        return views.service_page(offer)

    async def _offer(self, service_id: int) -> Any:
        offer = await self.front.offer(service_id)
        if offer is None:
            raise ApiError(404, "gone", _("This service is no longer available."))
        return offer

    async def check_service(self, request: web.Request, person: User) -> Json:
        offer = await self._offer(path_id(request))
        result = check_service_form(offer, service_form(await read_json(request)))
        price = None
        if result.quantity is not None:
            quote = await self.front.quote(person.id, result.draft)
            price = None if quote is None else quote.price
        return views.checked(result, offer, price, offer.currency)

    async def quote_service(self, request: web.Request, person: User) -> Json:
        offer = await self._offer(path_id(request))
        result = check_service_form(offer, service_form(await read_json(request)))
        draft = result.complete
        if draft is None:
            raise ApiError(422, "invalid", _("Please check the form."), errors=result.errors)
        quote = await self.front.quote(person.id, draft)
        if quote is None:
            raise ApiError(404, "gone", _("This service is no longer available."))
        draft.price = quote.price
        self.drafts.keep(person.id, draft)
        return views.confirm(service_confirm_text(draft, quote), quote, draft.key)

    # ---- products -----------------------------------------------------------------------------

    async def product_categories(self, request: web.Request, person: User) -> Json:
        found = await self.front.product_categories(page_number(request), CATEGORIES_PAGE)
        return views.page_of(found, [views.product_category(c) for c in found.items])

    async def product_category(self, request: web.Request, person: User) -> Json:
        category = await self.front.product_category(path_id(request))
        if category is None or category.service_count == 0:
            raise ApiError(404, "gone", _("This category is no longer available."))
        found = await self.front.products_in(category, page_number(request), LIST_PAGE)
        rows = [
            views.product_row(product, await self.front.product_offer(product.id))
            for product in found.items
        ]
        return {"category": views.product_category(category), **views.page_of(found, rows)}

    async def _product_offer(self, product_id: int) -> Any:
        offer = await self.front.product_offer(product_id)
        if offer is None:
            raise ApiError(404, "gone", _("This product is no longer available."))
        return offer

    async def product(self, request: web.Request, person: User) -> Json:
        offer = await self._product_offer(path_id(request))
        return views.product_page(offer, product_card_text(offer))

    async def check_product(self, request: web.Request, person: User) -> Json:
        offer = await self._product_offer(path_id(request))
        body = await read_json(request)
        result = check_product_form(
            offer.product, text_field(body, "quantity"), text_field(body, "require")
        )
        price = None
        if result.quantity is not None:
            quote = await self.front.product_quote(person.id, result.draft)
            price = None if quote is None else quote.price
        return views.checked(result, None, price, offer.currency)

    async def quote_product(self, request: web.Request, person: User) -> Json:
        offer = await self._product_offer(path_id(request))
        if not offer.product.in_stock:
            raise ApiError(409, "sold_out", _("Sorry, this product is out of stock."))
        body = await read_json(request)
        result = check_product_form(
            offer.product, text_field(body, "quantity"), text_field(body, "require")
        )
        draft = result.complete
        if draft is None:
            raise ApiError(422, "invalid", _("Please check the form."), errors=result.errors)
        quote = await self.front.product_quote(person.id, draft)
        if quote is None:
            raise ApiError(404, "gone", _("This product is no longer available."))
        draft.price = quote.price
        self.drafts.keep(person.id, draft)
        return views.confirm(product_confirm_text(draft, quote), quote, draft.key)

    # ---- placing ------------------------------------------------------------------------------

    async def place(self, request: web.Request, person: User) -> Json:
        """Place the person's pending draft named by `draft`, once: a second call with the same
        key (a double tap, a retry) answers the same order."""
        key = text_field(await read_json(request), "draft")
        if not key or len(key) > 64:
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
                return await self._price_changed(person, draft)
            self.drafts.drop(person.id, key)
        return await self._outcome(result)

    async def _placed_before(self, person: User, key: str) -> Json:
        placed = await self.front.placed_by_draft(key)
        if placed is None or placed.user_id != person.id:
            raise ApiError(
                409, "expired", _("This confirmation has expired. Please check the order again.")
            )
        return await self._outcome(AlreadyPlaced(placed))

    async def _price_changed(self, person: User, draft: OrderDraft | ProductDraft) -> Json:
        """Nothing was charged: the new price to confirm (the draft keeps its key)."""
        if isinstance(draft, OrderDraft):
            quote: Any = await self.front.quote(person.id, draft)
            card = None if quote is None else service_confirm_text(draft, quote)
        else:
            quote = await self.front.product_quote(person.id, draft)
            card = None if quote is None else product_confirm_text(draft, quote)
        if quote is None or card is None:
            self.drafts.drop(person.id, draft.key)
            raise ApiError(404, "gone", _("This service is no longer available."))
        draft.price = quote.price
        self.drafts.keep(person.id, draft)
        raise ApiError(
            409,
            "price_changed",
            _("⚠️ The price has changed since you checked it. Nothing was charged."),
            confirm=views.confirm(card, quote, draft.key),
        )

    async def _outcome(self, result: PlaceResult | OutOfStock) -> Json:
        order = getattr(result, "order", None)
        card = None if order is None else await self._card(order)
        kind = outcome(result)
        return {
            "outcome": kind,
            "ok": kind in {"placed", "already"},
            "message": views.plain(result_text(result)),
            "order": card,
        }

    # ---- orders -------------------------------------------------------------------------------

    async def _card(self, order: OrderRecord) -> Json:
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
        return views.page_of(found, [await self._card(order) for order in found.items])

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

    # ---- the balance and top-ups --------------------------------------------------------------

    async def balance(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        entries = await self.front.movements(person.id, MOVEMENTS)
        return {
            "balance": format_money(await self.front.balance(person.id), currency),
            "movements": [views.movement_row(entry, currency) for entry in entries],
        }

    async def topup_methods(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        rate = await self.front.stars_per_unit()
        methods: list[Json] = [
            {
                "method": "stars",
                "intro": _("Rate: 1 {currency} = {rate} ⭐").format(
                    currency=currency, rate=plain_number(rate)
                ),
                "presets": [
                    {
                        "amount": str(option.amount),
                        "label": format_money(option.amount, currency),
                        "extra": f"{format_number(option.stars)} ⭐",
                    }
                    for option in await self.front.stars_options()
                ],
            }
        ]
        for method in await self.front.methods():
            limits = self.front.limits(method)
            methods.append(
                {
                    "method": method.value,
                    "intro": range_text(limits, currency),
                    "presets": [
                        {"amount": str(a), "label": format_money(a, currency), "extra": ""}
                        for a in limits.shown_presets()
                    ],
                }
            )
        return {"currency": currency, "methods": methods}

    async def _method_offered(self, raw: str) -> Method | None:
        method = next((m for m in Method if m.value == raw), None)
        return method if method in await self.front.methods() else None

    async def topup(self, request: web.Request, person: User) -> Json:
        body = await read_json(request)
        raw_method, typed = text_field(body, "method"), text_field(body, "amount")
        currency = await self.front.currency()
        if raw_method == "stars":
            amount = self._amount(lambda: check_stars_amount(typed, currency))
            return await self._stars_invoice(person, amount, currency)
        method = await self._method_offered(raw_method)
        if method is None:
            raise ApiError(409, "unavailable", views.plain(payment_texts.method_unavailable()))
        limits = self.front.limits(method)
        amount = self._amount(lambda: check_method_amount(typed, limits, currency))
        if method is Method.CRYPTO:
            return await self._crypto_invoice(person, amount)
        if method is Method.BANK:
            return await self._bank_request(person, amount)
        return await self._manual_request(person, amount)

    @staticmethod
    def _amount(check: Callable[[], Decimal]) -> Decimal:
        try:
            return check()
        except BadInput as bad:
            raise ApiError(422, "invalid", bad.text, errors={"amount": bad.text}) from None

    async def _stars_invoice(self, person: User, amount: Decimal, currency: str) -> Json:
        topup = await self.front.new_stars_topup(person.id, amount)
        money = format_money(amount, currency)
        try:
            url = await self._bot.create_invoice_link(
                title=payment_texts.invoice_title(),
                description=payment_texts.invoice_description(money),
                payload=payload_for(topup.id),
                currency=STARS_CURRENCY,
                prices=[LabeledPrice(label=payment_texts.invoice_label(money), amount=topup.stars)],
            )
        except TelegramBadRequest as error:
            logger.warning("Telegram refused the invoice link of top-up %s: %s", topup.id, error)
            raise ApiError(502, "refused", views.plain(payment_texts.invoice_refused())) from None
        except TelegramAPIError as error:
            logger.warning("No invoice link for top-up %s: %s", topup.id, error)
            raise ApiError(503, "telegram", _("Something went wrong. Please try again.")) from None
        return {"kind": "invoice", "url": url}

    async def _crypto_invoice(self, person: User, amount: Decimal) -> Json:
        result = await self.front.crypto_invoice(person.id, amount)
        if result is None:
            raise ApiError(409, "unavailable", views.plain(payment_texts.method_unavailable()))
        if isinstance(result, NotOpened):
            raise ApiError(502, "not_opened", views.plain(payment_texts.crypto_not_opened()))
        text = payment_texts.crypto_invoice_text(result.payment, self.front.crypto_assets())
        return {
            "kind": "link",
            "url": result.pay_url,
            "label": views.plain(payment_texts.crypto_pay_label(result.payment)),
            "text": views.plain(text),
        }

    async def _bank_request(self, person: User, amount: Decimal) -> Json:
        opened = await self.front.bank_request(person.id, amount)
        account = self.front.bank_account()
        if opened is None or account is None:
            raise ApiError(409, "unavailable", views.plain(payment_texts.method_unavailable()))
        payment, qr_payload = opened
        bin_, number, name = account
        text = payment_texts.bank_transfer_text(payment, vietqr.bank_name(bin_), number, name)
        qr = base64.b64encode(vietqr.png(qr_payload)).decode()
        return {
            "kind": "bank",
            "qr": f"data:image/png;base64,{qr}",
            "code": payment.code,
            "rows": views.rows(text),
        }

    async def _manual_request(self, person: User, amount: Decimal) -> Json:
        opened = await self.front.manual_request(person.id, amount)
        if opened is None:
            raise ApiError(409, "unavailable", views.plain(payment_texts.method_unavailable()))
        payment, instructions = opened
        return {
            "kind": "manual",
            "payment": payment.id,
            "code": payment.code,
            "text": views.plain(payment_texts.manual_request_text(payment, instructions)),
            "proof_max": format_number(MAX_PROOF_TEXT),
        }

    async def proof(self, request: web.Request, person: User) -> Json:
        text = text_field(await read_json(request), "text").strip()
        if not text or len(text) > MAX_PROOF_TEXT:
            words = _("Write the transfer's details as text (1 to {max} characters).").format(
                max=format_number(MAX_PROOF_TEXT)
            )
            raise ApiError(422, "invalid", words, errors={"text": words})
        result = await self.front.manual_proof(person.id, path_id(request), text)
        if isinstance(result, ProofTaken):
            return {"ok": True, "message": views.plain(payment_texts.proof_taken(result.payment))}
        payment = None if result is None else result.payment
        return {"ok": False, "message": views.plain(payment_texts.request_closed(payment))}
