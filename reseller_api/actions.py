"""The API's actions: each reads its parameters, calls the same shop service the chat calls,
and answers in the family's shape. An order placed here is the chat's order: the same draft
checks (shop/service_drafts.py), quote, one charge through the ledger, routes and failover
(`Ordering.place`, `Products.place`); only `via_api` tells them apart.

Every refusal names what is wrong in the family's words (reseller_api/answers.py); nothing is
charged unless an order was written.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from provider.models import ServiceType
from reseller_api import answers as say
from shop.cancels import (
    CancelAlreadyRequested,
    CancelNotOffered,
    CancelRefused,
    CancelRequested,
    CancelUnclear,
)
from shop.checkout import (
    AlreadyPlaced,
    Held,
    LinkBusy,
    NotEnoughBalance,
    OutOfStock,
    Placed,
    Placement,
    PriceChanged,
    Refused,
    ServiceGone,
)
from shop.dripfeed import lists_dripfeed
from shop.order_input import InputError, Problem
from shop.order_requests import RefillRefusal, RefillRefused, RefillRequested
from shop.order_views import money, order_view, product_order_view, refill_status
from shop.products import RequireMissing, RequireNotAllowed, product_draft_from_fields
from shop.service_drafts import FieldError, MissingField, NoDripfeed, draft_from_fields
from shop.services import Services
from storage.orders import OrderKind, OrderRecord, OrderSnapshot
from storage.users import User

logger = logging.getLogger(__name__)

Answer = Any  # what json.dumps writes: a dict or a list
Fields = Mapping[str, str]
T = TypeVar("T")
OfferT = TypeVar("OfferT")


class Refusal(Exception):
    """The whole request is refused with the family's `{"error": message}`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def one_id(text: str | None) -> int | None:
    """An id as a script sends it: digits (no sign, no spaces inside), below SQLite's limit."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def id_list(text: str) -> list[str]:
    """`1,2,3` -> the ids as sent (each answered under its own text); at most 100."""
    ids = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not ids:
        raise Refusal(say.MISSING)
    if len(ids) > say.MAX_IDS:
        raise Refusal(say.TOO_MANY_IDS)
    return ids


def json_id(text: str) -> int | str:
    """An id in a list answer: a number when it is one (as the family writes them)."""
    number = one_id(text)
    return text if number is None else number


def needed(fields: Fields, name: str) -> str:
    value = fields.get(name)
    if value is None or not value.strip():
        raise Refusal(say.MISSING)
    return value


def asked_ids(fields: Fields, plural: str, singular: str) -> tuple[bool, list[str]]:
    """Whether a request names a list of ids (`orders=1,2,3`), and the ids as sent; or the
    one id of `order=1`."""
    many = plural in fields
    return many, id_list(fields[plural]) if many else [needed(fields, singular)]


def one_or_all(
    rows: list[dict[str, Any]], many: bool, key: str, shown: Callable[[Any], Any] = lambda v: v
) -> Answer:
    """The rows, for a list of ids; for one id its value alone (`shown`), or its error as the
    whole request's refusal."""
    if many:
        return rows
    value = rows[0][key]
    if isinstance(value, dict):
        raise Refusal(value["error"])
    return {key: shown(value)}


async def offered(
    fields: Fields, name: str, find: Callable[[int], Awaitable[OfferT | None]], refusal: str
) -> OfferT:
    """The offer of what the field `name` names, or the request refused with `refusal`."""
    item_id = one_id(needed(fields, name))
    offer = None if item_id is None else await find(item_id)
    if offer is None:
        raise Refusal(refusal)
    return offer


class Numbered(Protocol):
    @property
    def id(self) -> int: ...


N = TypeVar("N", bound=Numbered)


async def by_sent_id(
    raw_ids: list[str], fetch: Callable[[list[int]], Awaitable[Sequence[N]]]
) -> dict[str, N]:
    """What `fetch` finds of these ids (the caller's own), by the id as sent."""
    wanted = {raw: one_id(raw) for raw in raw_ids}
    found = {item.id: item for item in await fetch([i for i in wanted.values() if i is not None])}
    return {raw: found[i] for raw, i in wanted.items() if i is not None and i in found}


def field_refusal(field: str, error: InputError) -> str:
    """A draft field's problem in the family's words."""
    label = field.capitalize()
    if field in ("quantity", "comments"):  # comments: one a unit
        label = "Quantity"
    if error.problem in (Problem.TOO_SMALL, Problem.NOT_POSITIVE, Problem.TOO_FEW_LINES):
        return say.less_than_minimal(label, error.minimum)
    if error.problem in (Problem.TOO_LARGE, Problem.TOO_MANY_LINES):
        return say.more_than_maximum(label, error.maximum)
    if field in ("quantity", "runs", "interval"):
        return say.INCORRECT_REQUEST  # not a whole number
    return f"Incorrect {field}"


def refused_words(result: Refused) -> str:
    """The panel refused the order (the money is back): why, as a reseller may read it."""
    if result.panel_out_of_funds or result.service_unavailable:
        return say.SERVICE_NOT_ACTIVE
    return result.reason.strip()[: say.MAX_PANEL_MESSAGE] or say.SERVICE_NOT_ACTIVE


def placed(result: Placement) -> Answer:
    """`{"order": N}` for an order that exists (a held one too: its status says Pending)."""
    match result:
        case Placed(order=order) | Held(order=order) | AlreadyPlaced(order=order):
            return {"order": order.id}
        case NotEnoughBalance():
            raise Refusal(say.NO_FUNDS)
        case LinkBusy():
            raise Refusal(say.ACTIVE_ORDER)
        case Refused():
            raise Refusal(refused_words(result))
        case ServiceGone():
            raise Refusal(say.INCORRECT_SERVICE)
        case OutOfStock():
            raise Refusal(say.OUT_OF_STOCK)
        case PriceChanged():  # no price is given with a request: never happens
            raise Refusal(say.TRY_LATER)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the key belongs to."""

    user: User


Action = Callable[[Caller, Fields], Awaitable[Answer]]


class Actions:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.table: dict[str, Action] = {
            "services": self.services,
            "add": self.add,
            "status": self.status,
            "refill": self.refill,
            "refill_status": self.refill_status,
            "cancel": self.cancel,
            "balance": self.balance,
            "products": self.products,
            "add_product_order": self.add_product_order,
            "product_order_status": self.product_order_status,
        }

    async def run(self, action: str, caller: Caller, fields: Fields) -> Answer:
        handler = self.table.get(action.strip().lower())
        if handler is None:
            return say.error(say.INCORRECT_REQUEST)
        try:
            return await handler(caller, fields)
        except Refusal as refusal:
            return say.error(refusal.message)

    # ---- the account --------------------------------------------------------------------------

    async def balance(self, caller: Caller, fields: Fields) -> Answer:
        services = self._services
        balance = await services.people.balance(caller.user.id)
        return {"balance": money(balance), "currency": await services.catalog.currency()}

    async def services(self, caller: Caller, fields: Fields) -> Answer:
        listed = await self._services.ordering.price_list(caller.user.id)
        return [
            {
                "service": item.service.id,
                "name": item.service.name,
                "type": item.kind.value,
                "category": item.service.category,
                "rate": money(item.rate),
                "min": str(1 if item.kind is ServiceType.PACKAGE else item.service.min_quantity),
                "max": str(1 if item.kind is ServiceType.PACKAGE else item.service.max_quantity),
                "refill": item.service.refill,
                "cancel": item.service.cancel,
                "dripfeed": lists_dripfeed(item.service),
            }
            for item in listed
        ]

    # ---- service orders -----------------------------------------------------------------------

    async def add(self, caller: Caller, fields: Fields) -> Answer:
        services = self._services
        offer = await offered(fields, "service", services.catalog.offer, say.INCORRECT_SERVICE)
        try:
            draft = draft_from_fields(offer, fields)
        except MissingField:
            raise Refusal(say.MISSING) from None
        except FieldError as problem:
            if problem.error.problem is Problem.TOTAL_TOO_LARGE:
                maximum = offer.service.max_quantity
                raise Refusal(say.more_than_maximum("Total quantity", maximum)) from None
            raise Refusal(field_refusal(problem.field, problem.error)) from None
        except NoDripfeed:
            raise Refusal(say.DRIPFEED_DISABLED) from None
        draft.via_api = True
        draft.one_per_link = services.resellers.one_order_per_link
        return placed(await services.ordering.place(caller.user, draft))

    async def _own_orders(self, caller: Caller, raw_ids: list[str]) -> dict[str, OrderRecord]:
        """The caller's orders among these ids, by the id as sent."""
        return await by_sent_id(raw_ids, partial(self._services.people.own_orders, caller.user.id))

    async def _statuses(
        self,
        caller: Caller,
        fields: Fields,
        kind: OrderKind,
        view: Callable[[OrderSnapshot, str], dict[str, Any]],
    ) -> Answer:
        currency = await self._services.catalog.currency()
        many, raw_ids = asked_ids(fields, "orders", "order")
        own = partial(self._services.people.own_snapshots, caller.user.id)
        orders = await by_sent_id(raw_ids, own)
        answer: dict[str, Any] = {}
        for raw in raw_ids:
            order = orders.get(raw)
            if order is None or order.kind is not kind:
                answer[raw] = say.error(say.INCORRECT_ORDER)
            else:
                answer[raw] = view(order, currency)
        if many:
            return answer
        single = answer[raw_ids[0]]
        if "error" in single:
            raise Refusal(single["error"])
        return single

    async def status(self, caller: Caller, fields: Fields) -> Answer:
        return await self._statuses(caller, fields, OrderKind.SERVICE, order_view)

    async def refill(self, caller: Caller, fields: Fields) -> Answer:
        many, raw_ids = asked_ids(fields, "orders", "order")
        outcomes = await self._on_service_orders(caller, raw_ids, self._refill_one)
        rows = [
            {"order": json_id(raw), "refill": got if isinstance(got, int) else say.error(got)}
            for raw, got in outcomes
        ]
        return one_or_all(rows, many, "refill", str)

    async def _on_service_orders(
        self, caller: Caller, raw_ids: list[str], act: Callable[[OrderRecord], Awaitable[T]]
    ) -> list[tuple[str, T | str]]:
        """`act` on each of the caller's service orders these ids name, in the ids' order; an
        id that names none gets INCORRECT_ORDER."""
        orders = await self._own_orders(caller, raw_ids)
        outcomes: list[tuple[str, T | str]] = []
        for raw in raw_ids:
            order = orders.get(raw)
            if order is None or order.kind is not OrderKind.SERVICE:
                outcomes.append((raw, say.INCORRECT_ORDER))
            else:
                outcomes.append((raw, await act(order)))
        return outcomes

    async def _refill_one(self, order: OrderRecord) -> int | str:
        """Our refill id, or why not in the family's words."""
        result = await self._services.order_requests.request_refill(order)
        if isinstance(result, RefillRequested):
            return result.refill_id
        assert isinstance(result, RefillRefused)
        match result.why:
            case RefillRefusal.NOT_OFFERED:
                return say.REFILL_DISABLED
            case RefillRefusal.NOT_COMPLETED | RefillRefusal.PENDING:
                return say.NOT_ELIGIBLE_FOR_REFILL
            case RefillRefusal.UNAVAILABLE:
                return say.TRY_LATER
            case RefillRefusal.REFUSED:
                return result.panel_message[: say.MAX_PANEL_MESSAGE] or say.NOT_ELIGIBLE_FOR_REFILL

    async def refill_status(self, caller: Caller, fields: Fields) -> Answer:
        many, raw_ids = asked_ids(fields, "refills", "refill")
        own = partial(self._services.order_requests.refills_of, caller.user.id)
        refills = await by_sent_id(raw_ids, own)
        rows: list[dict[str, Any]] = []
        for raw in raw_ids:
            refill = refills.get(raw)
            status: Any = (
                say.error(say.INCORRECT_REFILL) if refill is None else refill_status(refill)
            )
            rows.append({"refill": json_id(raw), "status": status})
        return one_or_all(rows, many, "status")

    async def cancel(self, caller: Caller, fields: Fields) -> Answer:
        """`orders` (the family's; a lone `order` too): per id `{"order": N, "cancel": 1}` or
        `{"order": N, "cancel": {"error": ...}}`. The refund follows the order's status."""
        raw = fields["orders"] if "orders" in fields else needed(fields, "order")
        outcomes = await self._on_service_orders(caller, id_list(raw), self._cancel_one)
        return [
            {"order": json_id(raw_id), "cancel": 1 if why is None else say.error(why)}
            for raw_id, why in outcomes
        ]

    async def _cancel_one(self, order: OrderRecord) -> str | None:
        """None when the panel took the request; else why not, in the family's words."""
        if not order.cancel_allowed:
            return say.CANCEL_DISABLED
        result = await self._services.order_requests.request_cancel(order)
        match result:
            case CancelRequested():
                return None
            case CancelRefused(reason=reason):
                return reason[: say.MAX_PANEL_MESSAGE] or say.NOT_ELIGIBLE_FOR_CANCEL
            case CancelUnclear():
                return say.TRY_LATER
            case CancelAlreadyRequested() | CancelNotOffered():
                return say.NOT_ELIGIBLE_FOR_CANCEL

    # ---- products -----------------------------------------------------------------------------

    async def products(self, caller: Caller, fields: Fields) -> Answer:
        listed = await self._services.products.price_list(caller.user.id)
        items = []
        for offer in listed:
            product = offer.product
            in_stock = product.in_stock and offer.route is not None and offer.route.in_stock
            item: dict[str, Any] = {
                "product": product.id,
                "name": product.name,
                "rate": money(offer.unit_price),
                "min": str(product.min_quantity),
                "max": str(product.max_quantity),
                "category": product.category,
                "status": "In stock" if in_stock else "Out of stock",
                "type": product.type or "Auto",
            }
            if product.require:
                item["require"] = product.require
            if product.inventory is not None:
                item["inventory"] = product.inventory
            items.append(item)
        return items

    async def add_product_order(self, caller: Caller, fields: Fields) -> Answer:
        services = self._services
        offer = await offered(fields, "product", services.products.offer, say.INCORRECT_PRODUCT)
        needed(fields, "quantity")
        try:
            draft = product_draft_from_fields(offer, fields)
        except InputError as error:
            raise Refusal(field_refusal("quantity", error)) from None
        except RequireMissing:
            raise Refusal(say.MISSING) from None
        except RequireNotAllowed:
            raise Refusal("Incorrect require: 1 to 1000 characters") from None
        draft.via_api = True
        return placed(await services.products.place(caller.user, draft))

    async def product_order_status(self, caller: Caller, fields: Fields) -> Answer:
        return await self._statuses(caller, fields, OrderKind.PRODUCT, product_order_view)
