"""A person asks the panel to cancel an order: at most once, and never refunded here.

The request is written (`cancel_requested_at`) in a transaction before the panel is called, so a
second press, or a second path, sees it made and the panel is asked once. The panel's answer only
says whether it took the request: the money comes back when the tracker sees the order Canceled
(everything) or Partial (the undelivered share), through the ledger, once. An unclear answer
leaves the request made but unconfirmed; it is never sent again by itself, and admins are told
once, with the order and the panel (the alert written in the transaction that notes it).

Orders not yet final are taken (docs/panel-api.md, simulators/panel/): a pending one ends
Canceled, one already in progress ends Partial and keeps what was delivered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from provider.client import PanelClient
from provider.errors import PanelRefused, PanelUnavailable
from provider.models import ItemError
from shop import texts
from shop.books import Books
from storage.orders import OrderKind, OrderRecord, Stage

logger = logging.getLogger(__name__)

CANCELABLE_STAGES = frozenset({Stage.PENDING, Stage.PROCESSING, Stage.IN_PROGRESS})
NOT_TAKEN = "the provider did not take the request"  # a falsy answer with no words of its own


@dataclass(frozen=True, slots=True)
class CancelRequested:
    """The panel took the request; its next status says Canceled (or Partial)."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class CancelRefused:
    """The panel refused: its words are on the order (`cancel_error`)."""

    order: OrderRecord
    reason: str


@dataclass(frozen=True, slots=True)
class CancelUnclear:
    """No clear answer: the request stands as made, unconfirmed; check the order later."""

    order: OrderRecord


@dataclass(frozen=True, slots=True)
class CancelAlreadyRequested:
    order: OrderRecord


@dataclass(frozen=True, slots=True)
class CancelNotOffered:
    """The service takes no cancel requests, or the order is no longer open."""

    order: OrderRecord


CancelResult = (
    CancelRequested | CancelRefused | CancelUnclear | CancelAlreadyRequested | CancelNotOffered
)


def can_cancel(order: OrderRecord) -> bool:
    """Whether the order card offers ✖️ Cancel order."""
    return (
        order.kind is OrderKind.SERVICE
        and order.cancel_allowed
        and order.cancel_requested_at is None
        and order.panel_order_id is not None
        and order.stage in CANCELABLE_STAGES
    )


async def request_cancel(books: Books, panel: PanelClient, order: OrderRecord) -> CancelResult:
    """Claim the request in a transaction, then ask `panel` (the one holding the order) once."""
    async with books.db.transaction() as tx:
        claimed = await books.orders.claim_cancel(tx, order.id)
        current = await books.orders.get_in(tx, order.id)
    assert current is not None
    if not claimed:
        if current.cancel_requested_at is not None:
            return CancelAlreadyRequested(current)
        return CancelNotOffered(current)
    assert current.panel_order_id is not None  # claim_cancel takes placed orders only
    try:
        answers = await panel.cancel([current.panel_order_id])
    except PanelRefused as error:
        return await _refused(books, current, error.message)
    except PanelUnavailable as error:
        return await _unclear(books, current, str(error))
    answer = answers.get(current.panel_order_id)
    if answer is None:  # the panel's answer left this order out: we cannot know
        return await _unclear(books, current, "the panel's answer does not name the order")
    if isinstance(answer, ItemError) or answer is False:
        reason = answer.message if isinstance(answer, ItemError) else NOT_TAKEN
        return await _refused(books, current, reason)
    logger.info("Cancel of order %s taken by the panel", order.id)
    return CancelRequested(current)


async def _unclear(books: Books, order: OrderRecord, reason: str) -> CancelUnclear:
    logger.warning("Cancel of order %s on panel %s unclear: %s", order.id, order.panel, reason)
    async with books.db.transaction() as tx:
        if await books.orders.set_cancel_unclear(tx, order.id):
            await books.alerts.always(tx, texts.admin_cancel_unclear(order, reason))
    return CancelUnclear(order)


async def _refused(books: Books, order: OrderRecord, reason: str) -> CancelRefused:
    reason = reason.strip() or NOT_TAKEN
    async with books.db.transaction() as tx:
        await books.orders.set_cancel_error(tx, order.id, reason[:500])
        refused = await books.orders.get_in(tx, order.id)
    assert refused is not None
    logger.info("Cancel of order %s refused by the panel: %s", order.id, reason)
    return CancelRefused(refused, reason)
