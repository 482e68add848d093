"""GET /metrics in Prometheus' text format (prometheus_client), with its own registry per bot, so
two bots in one process (the tests) never share a figure.

Two kinds of figures:
- counted as things happen, by hooks the parts call: updates and their handling time (an outer
  middleware), panel requests (the client's observer), the tracker's cycles, notifications
  sent or not, Telegram's 429s;
- read from the database at each scrape (storage/figures.py), so they are exact and survive a
  restart: orders placed / failed / unconfirmed, refunds, money in (top-ups by method) and out
  (what the panel charged), the outbox backlog.

METRICS_TOKEN, when set, must come as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from decimal import Decimal
from typing import Any, cast

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from provider.client import CallObserver, PanelClient
from storage.figures import Figures, FiguresReader
from storage.money import from_micros
from storage.notifications import NotificationRepository

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# The ledger kinds that are top-ups, and their payment method (a new method adds its kind).
TOPUP_METHODS = {"topup": "stars"}
# The ledger kinds that are refunds, and what was refunded (an admin's /reverse of a top-up:
# "topup_reversal").
REFUND_KINDS = {"refund": "order", "topup_refund": "topup", "topup_reversed": "topup_reversal"}
# Orders in these statuses never reached the panel (yet): the others were placed.
NOT_PLACED = frozenset({"submitting", "unconfirmed", "failed"})
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.update_seconds = Histogram(
            "shopbot_update_seconds",
            "Telegram updates handled, and the time each took, by update type",
            ["type"],
            buckets=UPDATE_BUCKETS,
            registry=registry,
        )
        self.panel_requests = Counter(
            "shopbot_panel_requests",
            "Panel API requests by panel, action and outcome (ok, refused, unavailable)",
            ["panel", "action", "outcome"],
            registry=registry,
        )
        self.panel_seconds = Histogram(
            "shopbot_panel_request_seconds",
            "Time a panel API request took, by panel and action",
            ["panel", "action"],
            registry=registry,
        )
        self.tracker_cycle_seconds = Histogram(
            "shopbot_tracker_cycle_seconds",
            "Time a full tracker cycle took (statuses, products, refills, stuck orders)",
            buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
            registry=registry,
        )
        self.notifications = Counter(
            "shopbot_notifications",
            "Outbox messages by outcome (sent, dropped, postponed, rate_limited)",
            ["outcome"],
            registry=registry,
        )
        self.callbacks = Counter(
            "shopbot_reseller_callbacks",
            "Resellers' status callbacks by outcome (sent, retry, dropped)",
            ["outcome"],
            registry=registry,
        )
        self.telegram_429 = Counter(
            "shopbot_telegram_too_many_requests",
            "429 Too Many Requests answers from Telegram, by method",
            ["method"],
            registry=registry,
        )
        self.stored = StoredFigures()
        registry.register(self.stored)

    # ---- hooks ----------------------------------------------------------------------------

    def watch_panel(self, panel: str, client: PanelClient) -> None:
        """Count a panel's calls (every panel's client, as it is built)."""
        client.observers.append(self.panel_observer(panel))

    def panel_observer(self, panel: str) -> CallObserver:
        def observe(action: str, outcome: str, seconds: float) -> None:
            self.panel_requests.labels(panel, action, outcome).inc()
            self.panel_seconds.labels(panel, action).observe(seconds)

        return observe

    def notification(self, outcome: str) -> None:
        self.notifications.labels(outcome).inc()

    def callback(self, outcome: str) -> None:
        self.callbacks.labels(outcome).inc()

    def too_many_requests(self, method: str) -> None:
        self.telegram_429.labels(method).inc()

    def tracker_cycle(self, seconds: float) -> None:
        self.tracker_cycle_seconds.observe(seconds)


class UpdateTimer(BaseMiddleware):
    """An outer middleware on every update: counts it and times its handling."""

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            seconds = time.perf_counter() - started
            self._histogram.labels(update_type(event)).observe(seconds)


def update_type(event: TelegramObject) -> str:
    if not isinstance(event, Update):
        return "other"
    try:
        return event.event_type
    except LookupError:  # a type newer than this aiogram
        return "unknown"


def exact(amount: Decimal) -> float:
    """Money as a sample. prometheus_client turns a sample into text itself (floatToGoString),
    and takes a Decimal there as well: the amount stays exact up to the wire."""
    return cast(float, amount)


class StoredFigures(Collector):
    """What the last scrape read from the database, as Prometheus metric families."""

    def __init__(self) -> None:
        self.figures = Figures()
        self.backlog = 0

    def collect(self) -> Iterable[Metric]:
        orders = self.figures.orders
        placed = sum(count for status, count in orders.items() if status not in NOT_PLACED)
        yield CounterMetricFamily(
            "shopbot_orders_placed", "Orders the panel took (whatever became of them)", placed
        )
        failed = orders.get("failed", 0)
        yield CounterMetricFamily(
            "shopbot_orders_failed", "Orders refused by the panel, or refunded unplaced", failed
        )
        unconfirmed = orders.get("unconfirmed", 0)
        yield GaugeMetricFamily(
            "shopbot_orders_unconfirmed", "Orders held for an admin to settle", unconfirmed
        )
        charges = CounterMetricFamily(
            "shopbot_panel_charges",
            "Money out: what each panel charged for orders, in that panel's currency",
            labels=["panel"],
        )
        for panel, micros in self.figures.charges.items():
            charges.add_metric([panel], exact(from_micros(micros)))
        yield charges
        ledger = self.figures.ledger
        refunds = CounterMetricFamily(
            "shopbot_refunds",
            "Refunds by what was refunded (order, topup, topup_reversal)",
            labels=["of"],
        )
        refunded = CounterMetricFamily(
            "shopbot_refunded_amount", "Money refunded, by what was refunded", labels=["of"]
        )
        for kind, of in REFUND_KINDS.items():
            total = ledger.get(kind)
            refunds.add_metric([of], total.count if total else 0)
            refunded.add_metric([of], exact(abs(self.figures.ledger_amount(kind))))
        yield refunds
        yield refunded
        topups = CounterMetricFamily("shopbot_topups", "Top-ups by method", labels=["method"])
        money_in = CounterMetricFamily(
            "shopbot_topup_amount", "Money in: top-ups credited, by method", labels=["method"]
        )
        for kind, method in TOPUP_METHODS.items():
            total = ledger.get(kind)
            topups.add_metric([method], total.count if total else 0)
            money_in.add_metric([method], exact(self.figures.ledger_amount(kind)))
        yield topups
        yield money_in
        yield GaugeMetricFamily(
            "shopbot_outbox_backlog", "Notifications waiting to be sent", self.backlog
        )


class MetricsEndpoint:
    """GET /metrics: reads the database figures, then renders the registry."""

    def __init__(
        self,
        metrics: Metrics,
        figures: FiguresReader,
        outbox: NotificationRepository,
        token: str,
    ) -> None:
        self._metrics = metrics
        self._figures = figures
        self._outbox = outbox
        self._token = token
        self._render = make_aiohttp_handler(metrics.registry)

    def register(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self._token and not secrets.compare_digest(
            request.headers.get("Authorization", "").encode(), f"Bearer {self._token}".encode()
        ):
            return web.Response(
                status=401, text="Unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
        stored = self._metrics.stored
        stored.figures = await self._figures.read()
        stored.backlog, _ = await self._outbox.backlog()
        return await self._render(request)
