"""Throttling of admin alerts: each kind at most once per period."""

from __future__ import annotations

import time

from storage.db import Transaction


async def claim_alert(tx: Transaction, kind: str, period_seconds: int) -> bool:
    """True (and the time recorded) when an alert of `kind` may go out now."""
    now = int(time.time())
    last = await tx.fetchval("SELECT sent_at FROM alerts_sent WHERE kind = ?", (kind,))
    if last is not None and now - last < period_seconds:
        return False
    await tx.execute(
        """INSERT INTO alerts_sent (kind, sent_at) VALUES (?, ?)
           ON CONFLICT (kind) DO UPDATE SET sent_at = excluded.sent_at""",
        (kind, now),
    )
    return True
