"""Watches the panel for the owner: its balance below a threshold, or no answer for 5 minutes."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

from provider.client import PanelClient
from provider.errors import PanelError
from provider.models import Balance
from shop.alerts import Alerts
from shop.formatting import format_money
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

BALANCE_THRESHOLD_KEY = "alert_panel_balance"
UNREACHABLE_ALERT_SECONDS = 300
CHECK_SECONDS = 60


class HealthMonitor:
    def __init__(
        self,
        panel: PanelClient,
        alerts: Alerts,
        settings: SettingsRepository,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._panel = panel
        self._alerts = alerts
        self._settings = settings
        self._check_seconds = check_seconds
        self.down_since: float | None = None

    async def panel_balance(self) -> Balance:
        """Asked now (an admin's /provider). Raises PanelError when the panel does not answer."""
        return await self._panel.balance()

    async def threshold(self) -> Decimal | None:
        stored = await self._settings.get(BALANCE_THRESHOLD_KEY)
        return Decimal(stored) if stored else None

    async def set_threshold(self, amount: Decimal | None) -> None:
        await self._settings.set(BALANCE_THRESHOLD_KEY, "" if amount is None else str(amount))

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                logger.exception("Health check crashed")
            await asyncio.sleep(self._check_seconds)

    async def check(self) -> None:
        try:
            balance = await self._panel.balance()
        except PanelError as error:
            now = time.monotonic()
            self.down_since = self.down_since or now
            if now - self.down_since >= UNREACHABLE_ALERT_SECONDS:
                minutes = int((now - self.down_since) // 60)
                await self._alerts.throttled(
                    "panel_unreachable",
                    f"🔴 The panel has not answered for {minutes} minutes ({error}). "
                    "Orders wait; the bot keeps retrying.",
                )
            return
        if self.down_since is not None:
            logger.info("The panel answers again")
        self.down_since = None
        threshold = await self.threshold()
        if threshold is not None and balance.balance < threshold:
            await self._alerts.throttled(
                "panel_balance",
                f"💸 The panel balance is {format_money(balance.balance, balance.currency)}, "
                f"below your alert level of {format_money(threshold, balance.currency)}. "
                "Top it up so orders keep going through.",
            )
