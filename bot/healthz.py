"""GET /healthz: whether the shop can serve, for a container's HEALTHCHECK or a monitor.

200 with a small JSON when all is well, 503 with the same JSON and `problems` naming what is
wrong: the database cannot be written, a panel has not answered for 5 minutes, the tracker's
last cycle is too old, or a personal message has waited in the outbox for 10 minutes. No secret
is in it (panel errors are the client's own texts, which never carry the key).

Panels are read through `PanelViews`, a function that lists them (one today; several later).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any, NamedTuple

from aiohttp import web

from shop.health import UNREACHABLE_ALERT_SECONDS
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
        tracker_age: TrackerAge,
        tracker_late_seconds: float,
        mode: str,
    ) -> None:
        self._settings = settings
        self._outbox = outbox
        self._panels = panels
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
        problems: list[str] = []
        now = time.time()
        writable = await self._database_writable()
        if not writable:
            problems.append(f"database: not writable within {WRITE_TIMEOUT_SECONDS:.0f} s")
        panels = []
        for panel in self._panels():
            answered = panel.last_answer_at
            silent = now - (answered or self._started_at)
            if panel.last_error is not None and silent >= UNREACHABLE_ALERT_SECONDS:
                problems.append(f"panel {panel.name}: no answer for {silent:.0f} s")
            panels.append(
                {
                    "name": panel.name,
                    "last_answer_seconds_ago": _age(now, answered),
                    "last_error": panel.last_error,
                }
            )
        tracker_age = self._tracker_age()
        tracker_age = None if tracker_age is None else round(tracker_age, 1)
        if tracker_age is not None and tracker_age > self._tracker_late:
            problems.append(f"tracker: no cycle finished for {tracker_age:.0f} s")
        backlog, oldest = await self._outbox.backlog()
        waiting = _age(now, oldest)
        if waiting is not None and waiting > OUTBOX_LATE_SECONDS:
            problems.append(f"outbox: a message has waited {waiting:.0f} s")
        return {
            "status": "failing" if problems else "ok",
            "problems": problems,
            "version": self._version,
            "mode": self._mode,
            "database": {"writable": writable},
            "panels": panels,
            "tracker": None if tracker_age is None else {"last_cycle_seconds_ago": tracker_age},
            "outbox": {"backlog": backlog, "oldest_waiting_seconds": waiting},
        }

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
