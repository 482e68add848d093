"""``PanelSimulator``: one simulated panel, put together from its parts, served over HTTP and
steered by tests in-process (``set_order``, ``inject_fault``, ...) or over ``/_control/``.

The parts, each with one job: ``Shelf`` (what it sells), ``Wallet`` (its balance),
``OrderEngine``, ``Refills`` and ``ProductOrders`` (what it was asked to do, and how that moves
with time), ``Actions`` and ``ApiFront`` (the API v2 over HTTP), ``Faults`` and ``Traffic``.
This class only wires them and forwards the steering calls.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

from simulators.panel.actions import Actions
from simulators.panel.catalog import default_products, default_services
from simulators.panel.control import add_control_routes
from simulators.panel.engine import OrderEngine
from simulators.panel.fate import Fate, Odds
from simulators.panel.faults import Faults
from simulators.panel.http import API_PATH, ApiFront
from simulators.panel.money import Wallet
from simulators.panel.products import ProductOrders
from simulators.panel.records import SimOrder, SimProductOrder, SimRefill
from simulators.panel.refills import Refills
from simulators.panel.shelf import Shelf
from simulators.panel.timeline import Timeline
from simulators.panel.traffic import Traffic
from simulators.panel.values import decimal

CURRENCY = "USD"


class PanelSimulator:
    """An in-memory SMM panel with the 1DG "API v2" over HTTP (``docs/panel-api.md``)."""

    def __init__(
        self,
        *,
        key: str = "demo",
        tick_seconds: float | None = 5.0,
        seed: int = 1,
        services: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | None = None,
        fail_ratio_partial: float = 0.1,
        fail_ratio_canceled: float = 0.05,
        fail_ratio_rejected: float = 0.1,
        overdelivery_ratio: float = 0.2,
        latency_seconds: float = 0.0,
        fault_delay_seconds: float = 30.0,
        balance: Decimal = Decimal("1000"),
        currency: str = CURRENCY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.currency = currency
        odds = Odds(
            fail_ratio_partial, fail_ratio_canceled, fail_ratio_rejected, overdelivery_ratio
        )
        timeline, fate = Timeline(clock, tick_seconds), Fate(seed, odds)
        self.shelf = Shelf(
            default_services() if services is None else services,
            default_products() if products is None else products,
        )
        self.wallet = Wallet(balance)
        self.engine = OrderEngine(timeline, fate, self.wallet, self.shelf, currency)
        self.refill_desk = Refills(timeline, fate, self.shelf, self.engine)
        self.product_desk = ProductOrders(timeline, fate, self.wallet, self.shelf)
        self.traffic = Traffic()
        self.faults = Faults(latency_seconds, fault_delay_seconds)
        actions = Actions(
            shelf=self.shelf,
            wallet=self.wallet,
            currency=currency,
            orders=self.engine,
            refills=self.refill_desk,
            products=self.product_desk,
            traffic=self.traffic,
        )
        self.front = ApiFront(key, actions, self.faults, self.traffic)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = self.build_app()

    # ------------------------------------------------------------------ serving

    @property
    def key(self) -> str:
        return self.front.key

    @property
    def url(self) -> str:
        """The API URL, once started: ``http://127.0.0.1:<port>/api/v2`` (in a farm
        ``http://127.0.0.1:<port>/<name>/api/v2``)."""
        if self._url is None:
            raise RuntimeError("simulator not started")
        return self._url

    @property
    def base_url(self) -> str:
        """The root of this panel, for ``/_control/...``: ``http://127.0.0.1:<port>`` (in a
        farm ``http://127.0.0.1:<port>/<name>``)."""
        return self.url.removesuffix(API_PATH)

    def build_app(self) -> web.Application:
        """A new aiohttp application serving this panel: ``/api/v2`` and ``/_control/...``.

        Each call builds a fresh one, so a ``PanelFarm`` can mount it as a sub-application.
        """
        app = web.Application()
        self.front.add_routes(app)
        add_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = a free port) and return the API URL."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self.faults.stopping.clear()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._url = f"{bound_base(runner)}{API_PATH}"
        return self._url

    async def stop(self) -> None:
        self.faults.stopping.set()  # cut "delay" faults short
        if self._runner is not None:
            runner, self._runner, self._url = self._runner, None, None
            await runner.cleanup()

    def attach(self, url: str) -> None:
        """Served by another server (a ``PanelFarm``) whose API URL for this panel is ``url``."""
        if self._runner is not None or self._url is not None:
            raise RuntimeError("simulator already started")
        self.faults.stopping.clear()
        self._url = url

    def detach(self) -> None:
        """The serving farm stops: cut "delay" faults short and forget the URL."""
        self.faults.stopping.set()
        self._url = None

    # ------------------------------------------------------------------ what tests read

    @property
    def orders(self) -> dict[int, SimOrder]:
        return self.engine.orders

    @property
    def refills(self) -> dict[int, SimRefill]:
        return self.refill_desk.refills

    @property
    def product_orders(self) -> dict[int, SimProductOrder]:
        return self.product_desk.orders

    @property
    def added(self) -> list[dict[str, str]]:
        return self.traffic.added

    @property
    def request_counts(self) -> Counter[str]:
        return self.traffic.request_counts

    @property
    def multi_sizes(self) -> dict[str, list[int]]:
        return self.traffic.multi_sizes

    @property
    def balance(self) -> Decimal:
        return self.wallet.balance

    @property
    def latency_seconds(self) -> float:
        return self.faults.latency_seconds

    @latency_seconds.setter
    def latency_seconds(self, seconds: float) -> None:
        self.faults.latency_seconds = seconds

    @property
    def fault_delay_seconds(self) -> float:
        return self.faults.fault_delay_seconds

    @fault_delay_seconds.setter
    def fault_delay_seconds(self, seconds: float) -> None:
        self.faults.fault_delay_seconds = seconds

    def stats(self) -> dict[str, Any]:
        return {
            "request_counts": dict(self.traffic.request_counts),
            "multi_sizes": {k: list(sizes) for k, sizes in self.traffic.multi_sizes.items()},
            "balance": self.wallet.text(),
            "currency": self.currency,
            "orders": len(self.engine.orders),
            "refills": len(self.refill_desk.refills),
            "product_orders": len(self.product_desk.orders),
            "faults_pending": self.faults.pending,
            "added": list(self.traffic.added),
        }

    # ------------------------------------------------------------------ steering

    def set_balance(self, balance: Decimal | str | int) -> None:
        self.wallet.balance = decimal(balance)

    def set_service_enabled(self, service_id: int, enabled: bool) -> None:
        """Switch a service off (gone from `services`, `add` answers "Incorrect service ID",
        as panels do for a disabled service) or on again."""
        self.shelf.set_service_enabled(service_id, enabled)

    def set_product_stock(self, product_id: int, inventory: int) -> None:
        self.shelf.set_product_stock(product_id, inventory)

    def inject_fault(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` API requests fail (``simulators/panel/faults.py``)."""
        self.faults.inject(kind, count)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset_counters(self) -> None:
        self.traffic.reset()

    def advance(self, steps: int = 1) -> None:
        """Move every non-final order, refill and product order ``steps`` steps forward.

        ``advance(0)`` only brings the lazily evaluated states up to date.
        """
        self.engine.advance(steps)
        self.refill_desk.advance(steps)
        self.product_desk.advance(steps)

    def set_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | str | None = None,
        start_count: int | str | None = None,
        charge: Decimal | str | None = None,
    ) -> None:
        """Force what ``status`` shows for an order (``OrderEngine.set_order``)."""
        self.engine.set_order(order_id, status, remains, start_count, charge)

    def set_refill(self, refill_id: int, status: str) -> None:
        self.refill_desk.set_refill(refill_id, status)

    def set_product_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        """Force what ``product_order_status`` shows (``ProductOrders.set_product_order``)."""
        self.product_desk.set_product_order(order_id, status, remains, result, note)


def bound_base(runner: web.AppRunner) -> str:
    """``http://host:port`` of a started runner (an IPv6 host in brackets)."""
    host, port = runner.addresses[0][:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
