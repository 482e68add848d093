"""SePay reconciliation: transfers the webhook never delivered, found by asking SePay's
transactions API on a schedule (SEPAY_API_TOKEN, SEPAY_POLL_SECONDS).

- Each transaction the API lists for the shop's account that the shop has not recorded goes
  through the webhook's own path (`BankTopUps.on_transfer`): credited once per SePay id, the
  same id the webhook carries, whichever of the two comes first or both at once; one naming no
  request (or an expired one, or far above its request) waits for the admins with ➕ Credit a
  person / 🙈 Ignore, once.
- Where to start is kept in the settings table (`sepay_since_id`): the next poll asks from a few
  ids below the highest one seen (ids committed out of order are not skipped; those seen are
  left alone). The first poll, with nothing kept, asks for the transactions of the last
  request's lifetime and a day.
- The API's list has no page numbers and its order is not documented: a full page is followed
  by the next one above its highest id (when the page came oldest first) or below its oldest
  date (newest first); a walk that cannot finish keeps the old starting point.
- Every poll's outcome is noted in `MethodCalls` ("sepay") for /healthz: a failing API (an HTML
  page, a 5xx, a timeout, a refused token) changes nothing and makes the shop degraded.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass

from payments_api.sepay import DATE_FORMAT, MAX_LIMIT, SePayApi, SePayApiError
from payments_api.sepay import Transaction as SePayTransaction
from shop.bank_topups import BankTopUps, TransferCredited, TransferSeen
from shop.method_health import MethodCalls
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

CURSOR_KEY = "sepay_since_id"
OVERLAP_IDS = 20
MAX_PAGES = 20
VIETNAM = dt.timezone(dt.timedelta(hours=7))  # SePay's dates are Vietnam's
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Reconciled:
    listed: int  # transactions the API listed
    new: int  # of them, incoming ones the shop had not recorded
    credited: int  # of those, credited now
    complete: bool  # every transaction from the starting point was seen


class SePayReconciler:
    def __init__(
        self,
        bank: BankTopUps,
        api: SePayApi,
        settings: SettingsRepository,
        calls: MethodCalls,
        *,
        account_number: str,
        poll_seconds: float,
        page_size: int = MAX_LIMIT,
    ) -> None:
        self._bank = bank
        self.api = api
        self._settings = settings
        self.calls = calls
        self._account = account_number
        self._poll_seconds = poll_seconds
        self.page_size = page_size
        self._lock = asyncio.Lock()  # one walk at a time (the loop, a test, an admin)

    async def poll_once(self) -> Reconciled:
        """One walk over what SePay lists since the last one; SePayApiError (noted for
        /healthz) when the API gives no usable answer, and then nothing was changed."""
        async with self._lock:
            since = await self._since()
            try:
                listed, complete = await self._walk(since)
            except SePayApiError as error:
                self.calls.failed(str(error))
                raise
            new = [t for t in listed if t.incoming and self._ours(t)]
            known = await self._bank.recorded(t.id for t in new)
            new = [t for t in new if t.id not in known]
            credited = 0
            for transaction in sorted(new, key=lambda t: int(t.id)):
                result = await self._bank.on_transfer(transaction)
                credited += isinstance(result, TransferCredited)
                if not isinstance(result, TransferSeen):
                    logger.info(
                        "SePay transaction %s found by reconciliation: %s",
                        transaction.id,
                        type(result).__name__,
                    )
            if complete and listed:
                highest = max(int(t.id) for t in listed)
                await self._settings.set(
                    CURSOR_KEY, str(max(since or 0, highest + 1 - OVERLAP_IDS))
                )
            self.calls.succeeded()
        return Reconciled(len(listed), len(new), credited, complete)

    def _ours(self, transaction: SePayTransaction) -> bool:
        """Of the shop's account (the query asks for it; a listing that ignored it is not
        taken for the shop's)."""
        return not transaction.account_number or transaction.account_number == self._account

    async def _since(self) -> int | None:
        stored = await self._settings.get(CURSOR_KEY)
        return int(stored) if stored is not None and stored.isdigit() else None

    async def _walk(self, since: int | None) -> tuple[list[SePayTransaction], bool]:
        """Every transaction from `since` (or, the first time, the recent ones): -> them, and
        whether the walk saw all of them."""
        date_min = None
        if since is None:
            lookback = self._bank.expires_seconds + DAY_SECONDS
            date_min = dt.datetime.fromtimestamp(time.time() - lookback, VIETNAM)
        floor, date_max = since, None
        seen: dict[str, SePayTransaction] = {}
        for _ in range(MAX_PAGES):
            page = await self.api.transactions(
                account_number=self._account,
                since_id=floor,
                date_min=None if date_min is None else date_min.strftime(DATE_FORMAT),
                date_max=date_max,
                limit=self.page_size,
            )
            fresh = [t for t in page if t.id not in seen]
            seen.update((t.id, t) for t in page)
            if len(page) < self.page_size:
                return list(seen.values()), True
            if not fresh:
                break  # more than a page in one second: the rest cannot be reached this way
            ids = [int(t.id) for t in page]
            if ids == sorted(ids):  # oldest first: the rest are above
                floor = max(ids) + 1
            else:  # newest first: the rest are older
                date_max = min(t.date for t in page)
        logger.warning(
            "SePay reconciliation: more than %d transactions to walk; the next poll goes on",
            MAX_PAGES * self.page_size,
        )
        return list(seen.values()), False

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except SePayApiError as error:
                logger.warning("SePay reconciliation failed: %s", error)
            except Exception:
                logger.exception("SePay reconciliation crashed")
            await asyncio.sleep(self._poll_seconds)
