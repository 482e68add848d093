"""A draft of a service order and its quote: what a person entered, and what it would cost by
the route that would take it first."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from provider.models import OrderRequest, ServiceType
from shop.catalog import Offer, Route
from shop.checkout import Bill, Draft
from shop.dripfeed import total_quantity


class OrderDraft(Draft):
    service_id: int
    link: str = ""
    quantity: int = 0
    lines: list[str] = Field(default_factory=list)  # comments, or the Special (1DG) list
    suggest: list[str] = Field(default_factory=list)
    search: list[str] = Field(default_factory=list)
    runs: int | None = None  # drip-feed: `quantity` is then per run, paid for quantity x runs
    interval: int | None = None  # drip-feed: minutes between runs


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
