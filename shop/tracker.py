"""Follows placed orders on the panel: statuses in batches, refunds applied once, people told.

Every poll takes the orders that are not final, asks the panel with multi-status (100 ids a
request, a few requests at once) and applies each chunk's answers in one transaction together
with the refunds and notifications they cause. A panel that does not answer changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from provider.client import MULTI_LIMIT, PanelClient
from provider.errors import PanelError
from provider.models import ItemError, OrderState, OrderStatus, ProductOrderState
from shop import texts
from shop.books import Books
from shop.catalog import Catalog
from shop.catalog_prices import DEFAULT_CURRENCY
from shop.dripfeed import order_total
from shop.formatting import format_money, format_number, quote
from shop.i18n import _, in_language
from shop.order_news import announce, tell
from shop.panels import Panels
from shop.pricing import refund_for_remains
from storage.db import Transaction
from storage.errors import DuplicateEntry
from storage.orders import OrderKind, OrderRecord, ProgressUpdate, Stage, TrackedOrder
from storage.refills import RefillStage

logger = logging.getLogger(__name__)

PANEL_STAGES = {
    OrderStatus.PENDING: Stage.PENDING,
    OrderStatus.PROCESSING: Stage.PROCESSING,
    OrderStatus.IN_PROGRESS: Stage.IN_PROGRESS,
    OrderStatus.COMPLETED: Stage.COMPLETED,
    OrderStatus.PARTIAL: Stage.PARTIAL,
    OrderStatus.CANCELED: Stage.CANCELED,
}
REFILL_STAGES = {
    OrderStatus.PENDING: RefillStage.PENDING,
    OrderStatus.PROCESSING: RefillStage.IN_PROGRESS,
    OrderStatus.IN_PROGRESS: RefillStage.IN_PROGRESS,
    OrderStatus.COMPLETED: RefillStage.COMPLETED,
    OrderStatus.REJECTED: RefillStage.REJECTED,
    OrderStatus.CANCELED: RefillStage.REJECTED,
}
PanelState = OrderState | ProductOrderState
# What a panel answers about many orders: each order's state, or its own error.
Answers = Mapping[int, PanelState | ItemError]
MAX_BACKOFF_SECONDS = 600.0
MISSING_ANSWERS_TO_REPORT = 3  # "Incorrect order ID" this many times in a row: tell admins


Progress = tuple[Stage, int | None, int | None, str | None]  # stage, start, remains, result
Compared = OrderRecord | TrackedOrder  # what a panel answer is compared with


def progress(order: Compared, state: PanelState) -> Progress:
    """The order as the panel now describes it; what the panel leaves out stays as it was."""
    start_count, result = None, None
    if isinstance(state, ProductOrderState):
        result = state.result or None
    else:
        start_count = state.start_count
    return (
        PANEL_STAGES.get(state.status, order.stage),
        order.start_count if start_count is None else start_count,
        order.remains if state.remains is None else state.remains,
        result or order.result,
    )


def changes(order: Compared, state: PanelState | ItemError) -> bool:
    """Whether an answer tells anything new (a per-id error always needs looking at)."""
    if isinstance(state, ItemError):
        return True
    return progress(order, state) != (order.stage, order.start_count, order.remains, order.result)


def progress_update(order: OrderRecord, state: PanelState) -> ProgressUpdate:
    stage, start_count, remains, result = progress(order, state)
    note = state.note if isinstance(state, ProductOrderState) else ""
    return ProgressUpdate(
        order_id=order.id,
        stage=stage,
        charge=state.charge,
        start_count=start_count,
        remains=remains,
        result=result,
        note=note or order.note,
        last_answer=json.dumps(state.model_dump(mode="json"), ensure_ascii=False)[:4000],
    )


@dataclass(slots=True)
class CycleReport:
    orders: int = 0
    changed: int = 0
    finished: int = 0


class Tracker:
    def __init__(
        self,
        books: Books,
        panels: Panels,
        catalog: Catalog,
        poll_seconds: float,
        stuck_hours: float = 24.0,
    ) -> None:
        self._db = books.db
        self._books = books
        self._panels = panels
        self._catalog = catalog
        self._poll_seconds = poll_seconds
        self._stuck_hours = stuck_hours
        self.currency = DEFAULT_CURRENCY
        # Watched from outside: when a whole cycle last ended (health), how long each took.
        self.last_cycle_at: float | None = None
        self.on_cycle: Callable[[float], None] | None = None

    async def run(self) -> None:
        """Poll forever; back off while the panel is down, never fail orders because of it."""
        failures = 0
        while True:
            started = time.monotonic()
            try:
                await self.sync_once()
                await self.sync_products_once()
                await self.sync_refills()
                await self.report_stuck()
                self._cycle_done(time.monotonic() - started)
                failures = 0
                delay = self._poll_seconds
            except PanelError as error:
                failures += 1
                delay = min(self._poll_seconds * 2**failures, MAX_BACKOFF_SECONDS)
                logger.warning("Status sync failed (%s); next try in %.0fs", error, delay)
            except Exception:
                logger.exception("Status sync crashed; next try in %.0fs", self._poll_seconds)
                delay = self._poll_seconds
            await asyncio.sleep(delay)

    def _cycle_done(self, seconds: float) -> None:
        self.last_cycle_at = time.time()
        if self.on_cycle is not None:
            self.on_cycle(seconds)

    async def sync_once(self) -> CycleReport:
        """One cycle over the open service orders, panel by panel: a panel that does not answer
        changes nothing, and does not stop the others (PanelError only when none answered)."""
        return await self._sync_kind(OrderKind.SERVICE, lambda client: client.statuses)

    async def sync_products_once(self) -> CycleReport:
        """The same over the open product orders, each asked of the panel that holds it."""
        return await self._sync_kind(
            OrderKind.PRODUCT, lambda client: client.product_order_statuses
        )

    async def _sync_kind(
        self,
        kind: OrderKind,
        fetch_of: Callable[[PanelClient], Callable[[list[int]], Awaitable[Answers]]],
    ) -> CycleReport:
        self.currency = await self._catalog.currency()
        orders = await self._books.orders.open_of_kind(kind)
        report = CycleReport(orders=len(orders))
        held: dict[str, list[TrackedOrder]] = {}
        for order in orders:
            held.setdefault(order.panel, []).append(order)
        failures: list[PanelError] = []
        for panel, its_orders in held.items():
            client = self._panels.client(panel)
            try:
                await self._sync(its_orders, fetch_of(client), report)
            except PanelError as error:
                logger.warning("Status sync of panel %s failed: %s", panel, error)
                failures.append(error)
        if failures and len(failures) == len(held):
            raise failures[0]
        return report

    async def _sync(
        self,
        orders: list[TrackedOrder],
        fetch: Callable[[list[int]], Awaitable[Answers]],
        report: CycleReport,
    ) -> None:
        """Ask one panel about its orders, 100 ids a request; apply each chunk's news."""
        if not orders:
            return
        by_panel_id = {order.panel_order_id: order for order in orders if order.panel_order_id}
        answers = await fetch(list(by_panel_id))
        ids = list(by_panel_id)
        for start in range(0, len(ids), MULTI_LIMIT):
            # Answers that change nothing cost no transaction at all.
            chunk = {
                panel_id: answers[panel_id]
                for panel_id in ids[start : start + MULTI_LIMIT]
                if panel_id in answers and changes(by_panel_id[panel_id], answers[panel_id])
            }
            if chunk:
                await self._apply_chunk(chunk, by_panel_id, report)

    async def refresh(self, order: OrderRecord) -> OrderRecord:
        """Fetch one order's live status now (the order card's Refresh button)."""
        if order.panel_order_id is None or order.stage.is_final:
            return order
        state: PanelState
        panel = self._panels.client(order.panel)
        if order.kind is OrderKind.PRODUCT:
            state = await panel.product_order_status(order.panel_order_id)
        else:
            state = await panel.status(order.panel_order_id)
        self.currency = await self._catalog.currency()
        report = CycleReport()
        await self._apply_chunk(
            {order.panel_order_id: state}, {order.panel_order_id: order}, report
        )
        return await self._books.orders.get(order.id) or order

    async def _apply_chunk(
        self,
        answers: Mapping[int, PanelState | ItemError],
        by_panel_id: Mapping[int, Compared],
        report: CycleReport,
    ) -> None:
        """Apply one chunk's answers in one transaction, with the refunds and notifications."""
        async with self._db.transaction() as tx:
            # Re-read inside the transaction: a concurrent refresh may have moved them on.
            ids = [by_panel_id[panel_id].id for panel_id in answers]
            current = {o.id: o for o in await self._books.orders.get_many_in(tx, ids)}
            updates: list[ProgressUpdate] = []
            finished: list[tuple[OrderRecord, Stage, PanelState]] = []
            for panel_id, answer in answers.items():
                order = current.get(by_panel_id[panel_id].id)
                if order is None or order.stage.is_final:
                    continue
                if isinstance(answer, ItemError):
                    await self._missing(tx, order, answer)
                    continue
                if not changes(order, answer):
                    continue
                update = progress_update(order, answer)
                updates.append(update)
                if update.stage.is_final and update.stage is not order.stage:
                    finished.append((order, update.stage, answer))
            await self._books.orders.update_progress_many(tx, updates)
            languages = await self._books.users.languages_in(
                tx, [o.user_id for o, _, _ in finished]
            )
            for order, stage, answer in finished:
                await self._finish(tx, order, stage, answer, languages.get(order.user_id))
            if updates:  # resellers' callbacks, in the same transaction as the change
                changed = {update.order_id for update in updates}
                await announce(tx, self._books, [current[i] for i in changed], self.currency)
        report.changed += len(updates)
        report.finished += len(finished)

    async def _missing(self, tx: Transaction, order: OrderRecord, error: ItemError) -> None:
        """The panel says it has no such order: flag it after repeated answers, never drop it."""
        count, reported = await self._books.orders.count_missing(tx, order.id)
        logger.warning("Panel has no order %s (#%s): %s", order.panel_order_id, order.id, error)
        if count >= MISSING_ANSWERS_TO_REPORT and not reported:
            await self._books.orders.mark_missing_reported(tx, order.id)
            await self._books.alerts.always(tx, texts.admin_order_missing(order, count))

    async def report_stuck(self) -> int:
        """Tell admins about orders with no progress for `stuck_hours`: each order once, and
        at most one such alert an hour (orders not yet reported wait for the next one)."""
        older_than = int(time.time() - self._stuck_hours * 3600)
        async with self._db.transaction() as tx:
            if not await self._books.orders.any_stuck(tx, older_than):
                return 0
            if not await self._books.alerts.claim(tx, "stuck_orders"):
                return 0
            stuck = await self._books.orders.take_stuck(tx, older_than)
            await self._books.alerts.always(tx, texts.admin_orders_stuck(stuck, self._stuck_hours))
        return len(stuck)

    async def sync_refills(self) -> int:
        """Follow open refills in batches; tell the person when one is completed or rejected."""
        refills = await self._books.refills.open_refills()
        if not refills:
            return 0
        answers: dict[tuple[str, int], OrderStatus | ItemError] = {}
        for panel in dict.fromkeys(r.panel for r in refills):
            ids = [r.panel_refill_id for r in refills if r.panel == panel]
            try:
                statuses = await self._panels.client(panel).refill_statuses(ids)
            except PanelError as error:
                logger.warning("Refill sync of panel %s failed: %s", panel, error)
                continue
            answers.update(((panel, i), status) for i, status in statuses.items())
        finished = 0
        async with self._db.transaction() as tx:
            for refill in refills:
                answer = answers.get((refill.panel, refill.panel_refill_id))
                if answer is None or isinstance(answer, ItemError):
                    continue
                stage = REFILL_STAGES.get(answer)
                if stage is None or not await self._books.refills.set_stage(tx, refill.id, stage):
                    continue
                if stage.is_final:
                    finished += 1
                    language = await self._books.users.language_in(tx, refill.user_id)
                    text = texts.refill_finished(
                        refill.order_id, stage is RefillStage.COMPLETED, language
                    )
                    await tell(tx, self._books, refill.user_id, text, via_api=refill.via_api)
        return finished

    async def _finish(
        self,
        tx: Transaction,
        order: OrderRecord,
        stage: Stage,
        state: PanelState,
        language: str | None,
    ) -> None:
        """An order reached a final status: refund what was not delivered, tell the person."""
        refund = Decimal(0)
        if stage is Stage.PARTIAL:  # remains count every run of a drip-fed order
            refund = refund_for_remains(order.price, state.remains, order_total(order))
        elif stage is Stage.CANCELED:
            refund = order.price
        refund = min(refund, order.price - order.refunded)  # the shop may have refunded some
        if refund > 0:
            refund = await self._refund(tx, order, refund)
        for text in self.final_messages(order, stage, state, refund, language):
            await tell(tx, self._books, order.user_id, text, via_api=order.via_api)

    async def _refund(self, tx: Transaction, order: OrderRecord, amount: Decimal) -> Decimal:
        try:
            await self._books.ledger.apply(
                tx, order.user_id, amount, "refund", str(order.id), f"order #{order.id}"
            )
        except DuplicateEntry:
            return Decimal(0)  # refunded before: a refund applies once, whatever happens
        await self._books.orders.add_refunded(tx, order.id, amount)
        return amount

    def final_messages(
        self,
        order: OrderRecord,
        stage: Stage,
        state: PanelState,
        refund: Decimal,
        language: str | None,
    ) -> list[str]:
        with in_language(language):
            if isinstance(state, ProductOrderState):
                return texts.product_order_finished(order, stage, state, refund, self.currency)
            return [self._service_final_text(order, stage, state, refund)]

    def _service_final_text(
        self, order: OrderRecord, stage: Stage, state: OrderState, refund: Decimal
    ) -> str:
        service, total = quote(order.service_name), order_total(order)
        if stage is Stage.COMPLETED:
            text = _("✅ Order #{id} is completed.\n{service}\nQuantity: {quantity}").format(
                id=order.id, service=service, quantity=format_number(total)
            )
            if state.start_count is not None:
                text += "\n" + _("Start count: {count}").format(
                    count=format_number(state.start_count)
                )
            return text
        if stage is Stage.PARTIAL:
            remains = min(max(state.remains or 0, 0), total)
            return _(
                "⚠️ Order #{id} was partially completed.\n{service}\n"
                "Delivered: {delivered} of {quantity}\nRefunded to your balance: {refund}"
            ).format(
                id=order.id,
                service=service,
                delivered=format_number(total - remains),
                quantity=format_number(total),
                refund=format_money(refund, self.currency),
            )
        if order.cancel_requested_at is not None:
            text = _("✖️ Order #{id} was canceled as you asked.\n{service}\n"
                     "Refunded to your balance: {refund}")  # fmt: skip
        else:
            text = _("❌ Order #{id} was canceled by the provider.\n{service}\n"
                     "Refunded to your balance: {refund}")  # fmt: skip
        return text.format(id=order.id, service=service, refund=format_money(refund, self.currency))
