"""Alerts to the shop's admins, each kind at most once an hour."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from storage.alerts import claim_alert
from storage.db import Database, Transaction
from storage.notifications import NotificationRepository

logger = logging.getLogger(__name__)

ALERT_PERIOD_SECONDS = 3600


class Alerts:
    def __init__(
        self, db: Database, outbox: NotificationRepository, admin_ids: Sequence[int]
    ) -> None:
        self._db = db
        self._outbox = outbox
        self.admin_ids = tuple(admin_ids)

    async def always(self, tx: Transaction, text: str) -> None:
        """An alert about one order or event that must not be throttled."""
        for admin_id in self.admin_ids:
            await self._outbox.add(tx, admin_id, text)

    async def always_now(self, text: str) -> None:
        """`always`, in a transaction of its own."""
        async with self._db.transaction() as tx:
            await self.always(tx, text)

    async def claim(self, tx: Transaction, kind: str) -> bool:
        """True (and recorded) when no alert of `kind` went out within the hour."""
        return bool(self.admin_ids) and await claim_alert(tx, kind, ALERT_PERIOD_SECONDS)

    async def throttled_in(self, tx: Transaction, kind: str, text: str) -> bool:
        """Send unless an alert of `kind` went out within the hour; True if sent."""
        if not await self.claim(tx, kind):
            return False
        await self.always(tx, text)
        logger.warning("Admin alert (%s): %s", kind, text)
        return True

    async def throttled(self, kind: str, text: str) -> bool:
        async with self._db.transaction() as tx:
            return await self.throttled_in(tx, kind, text)
