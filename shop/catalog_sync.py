"""Keeps the catalog in step with the panels: each panel synced on its own schedule, its
products after its services, admins told when services disappear or rates rise."""

from __future__ import annotations

import asyncio
import logging
import time

from provider.errors import PanelError
from shop import texts
from shop.alerts import Alerts
from shop.catalog import Catalog
from shop.products import Products
from storage.catalog import SyncResult

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 60.0


class CatalogSync:
    def __init__(
        self, catalog: Catalog, products: Products, alerts: Alerts, interval_minutes: float
    ) -> None:
        self._catalog = catalog
        self._products = products
        self._alerts = alerts
        self._interval = interval_minutes * 60
        self._due: dict[str, float] = {}  # panel name -> monotonic time of its next sync
        self._failures: dict[str, int] = {}  # panel name -> syncs failed in a row

    async def run(self) -> None:
        """Every panel that is on, synced every CATALOG_SYNC_MINUTES; one that fails is retried
        sooner (1, 2, 4... minutes, up to the interval) without holding up the others."""
        while True:
            try:
                await self.sync_due()
            except Exception:
                logger.exception("Catalog sync crashed")
            next_due = min(self._due.values(), default=time.monotonic() + FIRST_RETRY_SECONDS)
            await asyncio.sleep(min(60.0, max(1.0, next_due - time.monotonic())))

    async def sync_due(self) -> None:
        """Sync the panels whose time has come, and schedule each one's next sync."""
        now = time.monotonic()
        names = [
            p.name for p in self._catalog.panels.all()
            if p.record.enabled and self._due.get(p.name, 0) <= now
        ]  # fmt: skip
        if not names:
            return
        try:
            outcomes = await self._catalog.sync_each(names)
        except PanelError as error:
            logger.warning("Catalog sync failed: %s", error)
            return
        for name, outcome in outcomes.items():
            failed = isinstance(outcome, PanelError)
            self._failures[name] = self._failures.get(name, 0) + 1 if failed else 0
            retry = (
                min(self._interval, FIRST_RETRY_SECONDS * 2 ** (self._failures[name] - 1))
                if failed
                else self._interval
            )
            self._due[name] = now + retry
        results = [o for o in outcomes.values() if isinstance(o, SyncResult)]
        if results:
            await self.report_changes(results[0])
        answered = [name for name, outcome in outcomes.items() if isinstance(outcome, SyncResult)]
        if answered:  # their products after them
            try:
                await self._products.sync(answered)
            except PanelError as error:
                logger.warning("Products sync failed: %s", error)

    async def report_changes(self, result: SyncResult) -> None:
        """Admins hear when services disappear or rates rise (prices follow the new rates)."""
        text = texts.admin_catalog_changes(result)
        if text:
            await self._alerts.always_now(text)
