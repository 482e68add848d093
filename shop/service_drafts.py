"""A draft of a service order and its quote: what a person entered, and what it would cost by
the route that would take it first. What each service type needs is checked here for every
door: step by step in the chat, a request's fields at once (`draft_from_fields`) in the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from pydantic import Field

from provider.models import OrderRequest, ServiceType
from shop.checkout import Bill, Draft
from shop.dripfeed import offers_dripfeed, parse_interval, parse_runs, total_quantity
from shop.offers import Offer, Route
from shop.order_input import (
    MAX_LIST_LINES,
    InputError,
    parse_lines,
    parse_link,
    parse_quantity,
)

T = TypeVar("T")


class OrderDraft(Draft):
    service_id: int
    link: str = ""
    quantity: int = 0
    lines: list[str] = Field(default_factory=list)  # comments, or the Special (1DG) list
    suggest: list[str] = Field(default_factory=list)
    search: list[str] = Field(default_factory=list)
    runs: int | None = None  # drip-feed: `quantity` is then per run, paid for quantity x runs
    interval: int | None = None  # drip-feed: minutes between runs
    # Refused (LinkBusy) while the person has an open order of this service for this link.
    one_per_link: bool = False


@dataclass(frozen=True, slots=True)
class Quote(Bill):
    offer: Offer
    quantity: int
    route: Route | None = None  # the route the price comes from, tried first

    @property
    def routes(self) -> list[Route]:
        """The routes in the order placing tries them: the quoted one, then the others."""
        if self.route is None:
            return list(self.offer.routes)
        return [self.route, *(r for r in self.offer.routes if r is not self.route)]


def effective_quantity(offer: Offer, draft: OrderDraft) -> int:
    """What the order is priced for: 1 package, one comment a line, every drip-feed run."""
    if offer.kind is ServiceType.PACKAGE:
        return 1
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        return len(draft.lines)
    return total_quantity(draft.quantity, draft.runs)


def order_request(offer: Offer, draft: OrderDraft) -> OrderRequest:
    return OrderRequest.for_type(
        offer.kind,
        offer.service.id,
        draft.link,
        quantity=draft.quantity,
        lines=draft.lines,
        suggest=draft.suggest,
        search=draft.search,
        runs=draft.runs,
        interval=draft.interval,
    )


def lines_bounds(offer: Offer, *, comments: bool) -> tuple[int, int]:
    """How many lines a list step takes: the comments as many as the service's range
    (one comment a unit), a Special list, suggested videos or search keywords 1..100."""
    if comments:
        return offer.service.min_quantity, offer.service.max_quantity
    return 1, MAX_LIST_LINES


class MissingField(ValueError):
    """A field the service's type needs was not given."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class FieldError(ValueError):
    """A field was given but is not allowed (`error` says why, as the chat's steps do)."""

    def __init__(self, field: str, error: InputError) -> None:
        super().__init__(field)
        self.field = field
        self.error = error


class NoDripfeed(ValueError):
    """Runs or an interval for a service that is not drip-fed."""


def draft_from_fields(offer: Offer, fields: Mapping[str, str]) -> OrderDraft:
    """A whole draft from one request's fields, checked by the chat's own rules: the link,
    then what the type needs (quantity; comments; the Special list; suggested videos and
    search keywords), then drip-feed's runs and interval when given. Raises MissingField,
    FieldError or NoDripfeed."""

    def given(name: str) -> str | None:
        value = fields.get(name)
        return value if value is not None and value.strip() else None

    def needed(name: str) -> str:
        value = given(name)
        if value is None:
            raise MissingField(name)
        return value

    def checked(name: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(needed(name))
        except InputError as error:
            raise FieldError(name, error) from None

    draft = OrderDraft(service_id=offer.service.id)
    draft.link = checked("link", parse_link)
    low, high = offer.service.min_quantity, offer.service.max_quantity
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        draft.lines = checked("comments", lambda text: parse_lines(text, low, high))
    elif offer.kind is not ServiceType.PACKAGE:
        draft.quantity = checked("quantity", lambda text: parse_quantity(text, low, high))
        one, most = lines_bounds(offer, comments=False)
        if offer.kind is ServiceType.SPECIAL:
            draft.lines = checked("list", lambda text: parse_lines(text, one, most))
        elif offer.kind is ServiceType.SPECIAL_1:
            draft.suggest = checked("suggest", lambda text: parse_lines(text, one, most))
            draft.search = checked("search", lambda text: parse_lines(text, one, most))
    if given("runs") is None and given("interval") is None:
        return draft
    if not offers_dripfeed(offer):
        raise NoDripfeed()
    draft.runs = checked("runs", lambda text: parse_runs(text, offer, draft.quantity))
    draft.interval = checked("interval", parse_interval)
    return draft
