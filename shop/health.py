"""Watches each panel for the owner: its balance below a threshold, or no answer for 5 minutes.

Each check also records every panel's balance: /panels shows it, and placing an order skips a
panel whose balance is known to be below the order's cost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

from provider.errors import PanelError
from provider.models import Balance
from shop.alerts import Alerts
from shop.formatting import format_money
from shop.panels import Panel, Panels
from storage.panels import MAIN
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

BALANCE_THRESHOLD_KEY = "alert_panel_balance"
UNREACHABLE_ALERT_SECONDS = 300
CHECK_SECONDS = 60


def per_panel(key: str, name: str) -> str:
    """The main panel keeps the key it had when it was the only one."""
    return key if name == MAIN else f"{key}:{name}"


class HealthMonitor:
    def __init__(
        self,
        panels: Panels,
        alerts: Alerts,
        settings: SettingsRepository,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._panels = panels
        self._alerts = alerts
        self._settings = settings
        self._check_seconds = check_seconds
        self.down_since: dict[str, float] = {}

    async def panel_balance(self, name: str = MAIN) -> Balance:
        """Asked now (an admin's /health, /panels). Raises PanelError when it does not answer."""
        balance = await self._panels.named(name).client.balance()
        await self._panels.record_balance(name, balance)
        return balance

    async def threshold(self, name: str = MAIN) -> Decimal | None:
        stored = await self._settings.get(per_panel(BALANCE_THRESHOLD_KEY, name))
        return Decimal(stored) if stored else None

    async def set_threshold(self, amount: Decimal | None, name: str = MAIN) -> None:
        key = per_panel(BALANCE_THRESHOLD_KEY, name)
        await self._settings.set(key, "" if amount is None else str(amount))

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                logger.exception("Health check crashed")
            await asyncio.sleep(self._check_seconds)

    async def check(self) -> None:
        """Every panel that is on, at once."""
        panels = [panel for panel in self._panels.all() if panel.record.enabled]
        await asyncio.gather(*(self.check_panel(panel) for panel in panels))

    async def check_panel(self, panel: Panel) -> None:
        name = panel.name
        label = "The panel" if name == MAIN else f"Panel {name}"
        try:
            balance = await panel.client.balance()
        except PanelError as error:
            now = time.monotonic()
            since = self.down_since.setdefault(name, now)
            if now - since >= UNREACHABLE_ALERT_SECONDS:
                minutes = int((now - since) // 60)
                await self._alerts.throttled(
                    per_panel("panel_unreachable", name),
                    f"🔴 {label} has not answered for {minutes} minutes ({error}). "
                    "Orders wait; the bot keeps retrying.",
                )
            return
        if self.down_since.pop(name, None) is not None:
            logger.info("Panel %s answers again", name)
        await self._panels.record_balance(name, balance)
        threshold = await self.threshold(name)
        if threshold is not None and balance.balance < threshold:
            await self._alerts.throttled(
                per_panel("panel_balance", name),
                f"💸 {label} balance is {format_money(balance.balance, balance.currency)}, "
                f"below your alert level of {format_money(threshold, balance.currency)}. "
                "Top it up so orders keep going through.",
            )
