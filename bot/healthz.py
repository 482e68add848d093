"""GET /healthz: whether the shop can sell, for a container's HEALTHCHECK or a monitor.

Three answers:
- 200 `"status": "ok"`: all is well.
- 200 `"status": "degraded"`, with `degraded` naming why: the shop still sells, but a panel
  that is not the last one able to sell has not answered for 5 minutes, a payment method's
  calls have failed for 5 minutes, or a personal message has waited in the outbox for 10
  minutes. Healthy for a container; worth an alert for a person.
- 503 `"status": "failing"`, with `problems` naming why: the shop cannot sell. The database
  cannot be written, the tracker's last cycle is too old, or no panel that holds routes of
  the catalog has answered for 5 minutes (every route is down).

No secret is in it (panel and payment errors are the clients' own texts, which never carry a
key or a token). Panels are read through `PanelViews`, the panels that hold routes through
`RoutedPanels`, payment methods through `MethodViews`: functions the composition root hands in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from importlib import metadata
from typing import Any, NamedTuple

from aiohttp import web

from shop.health import UNREACHABLE_ALERT_SECONDS
from shop.method_health import MethodView
from storage.notifications import NotificationRepository
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

OUTBOX_LATE_SECONDS = 600.0
WRITE_TIMEOUT_SECONDS = 5.0
PROBE_SETTING = "health_checked_at"


class PanelView(NamedTuple):
    name: str
    last_answer_at: float | None  # unix time of its last answer
    last_error: str | None  # why its latest call got no answer; None once one answers


PanelViews = Callable[[], Sequence[PanelView]]
# The names of the panels that hold a route of something customers can buy.
RoutedPanels = Callable[[], Awaitable[Collection[str]]]
MethodViews = Callable[[], Sequence[MethodView]]
# Seconds since the tracker last ended a cycle (or started); None when it is not running.
TrackerAge = Callable[[], float | None]


def app_version() -> str:
    try:
        return metadata.version("smm-shop-bot")
    except metadata.PackageNotFoundError:
        return "unknown"


class HealthCheck:
    def __init__(
        self,
        *,
        settings: SettingsRepository,
        outbox: NotificationRepository,
        panels: PanelViews,
        routed_panels: RoutedPanels,
        payments: MethodViews,
        tracker_age: TrackerAge,
        tracker_late_seconds: float,
        mode: str,
    ) -> None:
        self._settings = settings
        self._outbox = outbox
        self._panels = panels
        self._routed_panels = routed_panels
        self._payments = payments
        self._tracker_age = tracker_age
        self._tracker_late = tracker_late_seconds
        self._mode = mode
        self._version = app_version()
        self._started_at = time.time()

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        report = await self.report()
        status = 503 if report["problems"] else 200
        return web.json_response(report, status=status, dumps=json.dumps)

    async def report(self) -> dict[str, Any]:
        problems: list[str] = []  # the shop cannot sell: 503
        degraded: list[str] = []  # it sells, something is wrong: 200
        now = time.time()
        writable = await self._database_writable()
        if not writable:
            problems.append(f"database: not writable within {WRITE_TIMEOUT_SECONDS:.0f} s")
        panels, silent = await self._panel_report(now)
        routed = await self._routed()
        sellers = {panel["name"] for panel in panels if panel["name"] in routed}
        sellers = sellers or {panel["name"] for panel in panels}  # nothing routed yet: any
        if sellers and sellers <= silent.keys():
            problems.append("panels: none of those that hold routes answers")
            problems += [line for name, line in silent.items() if name in sellers]
            degraded += [line for name, line in silent.items() if name not in sellers]
        else:
            degraded += silent.values()
        for panel in panels:
            panel["holds_routes"] = panel["name"] in routed
        tracker_age = self._tracker_age()
        tracker_age = None if tracker_age is None else round(tracker_age, 1)
        if tracker_age is not None and tracker_age > self._tracker_late:
            problems.append(f"tracker: no cycle finished for {tracker_age:.0f} s")
        backlog, oldest = await self._outbox.backlog()
        waiting = _age(now, oldest)
        if waiting is not None and waiting > OUTBOX_LATE_SECONDS:
            degraded.append(f"outbox: a message has waited {waiting:.0f} s")
        payments = []
        for method in self._payments():
            failing = _age(now, method.failing_since)
            if failing is not None and failing >= UNREACHABLE_ALERT_SECONDS:
                degraded.append(f"payments {method.name}: failing for {failing:.0f} s")
            payments.append(
                {
                    "name": method.name,
                    "last_ok_seconds_ago": _age(now, method.last_ok_at),
                    "last_error": method.last_error,
                    "failing_seconds": failing,
                }
            )
        return {
            "status": "failing" if problems else "degraded" if degraded else "ok",
            "problems": problems,
            "degraded": degraded,
            "version": self._version,
            "mode": self._mode,
            "database": {"writable": writable},
            "panels": panels,
            "payments": payments,
            "tracker": None if tracker_age is None else {"last_cycle_seconds_ago": tracker_age},
            "outbox": {"backlog": backlog, "oldest_waiting_seconds": waiting},
        }

    async def _panel_report(self, now: float) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Each panel that is on, and those silent for 5 minutes (-> the line saying so)."""
        panels, silent = [], {}
        for panel in self._panels():
            answered = panel.last_answer_at
            quiet = now - (answered or self._started_at)
            if panel.last_error is not None and quiet >= UNREACHABLE_ALERT_SECONDS:
                silent[panel.name] = f"panel {panel.name}: no answer for {quiet:.0f} s"
            panels.append(
                {
                    "name": panel.name,
                    "last_answer_seconds_ago": _age(now, answered),
                    "last_error": panel.last_error,
                }
            )
        return panels, silent

    async def _routed(self) -> Collection[str]:
        try:
            return await self._routed_panels()
        except Exception as error:  # the database: already told by the write above
            logger.warning("Health check: could not read which panels hold routes: %r", error)
            return ()

    async def _database_writable(self) -> bool:
        """A real write (one settings row), so a full disk or a stuck writer shows too."""
        try:
            async with asyncio.timeout(WRITE_TIMEOUT_SECONDS):
                await self._settings.set(PROBE_SETTING, str(int(time.time())))
        except Exception as error:  # a timeout, sqlite3.Error (disk full, read-only), closed
            logger.warning("Health check: the database is not writable: %r", error)
            return False
        return True


def _age(now: float, moment: float | None) -> float | None:
    return None if moment is None else round(max(now - moment, 0.0), 1)
