"""How each payment method's calls to its provider went, for /healthz (bot/healthz.py).

A method that calls out (Crypto Pay: opening invoices, polling the open ones) notes every call
in its `MethodCalls`: the last success, and the failure it is in since then, if any. The health
check reads them through `MethodHealth.views`, a function the composition root hands it, as it
reads the panels' (`PanelView`). A failing method does not stop the shop from selling: it makes
the shop *degraded*, never *down*.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from payments_api.cryptopay import CryptoPayClient, CryptoPayError, CryptoPayUnavailable
from payments_api.cryptopay import Invoice as CryptoInvoice


class MethodView(NamedTuple):
    name: str
    last_ok_at: float | None  # unix time of its last call that succeeded
    last_error: str | None  # why its latest call failed; None once one succeeds
    failing_since: float | None  # unix time of its first failure since the last success


@dataclass(slots=True)
class MethodCalls:
    last_ok_at: float | None = None
    last_error: str | None = None
    failing_since: float | None = None

    def succeeded(self) -> None:
        self.last_ok_at = time.time()
        self.last_error = self.failing_since = None

    def failed(self, reason: str) -> None:
        self.last_error = reason
        if self.failing_since is None:
            self.failing_since = time.time()


class MethodHealth:
    """The records of the payment methods that call out, by name (`crypto`)."""

    def __init__(self) -> None:
        self._records: dict[str, MethodCalls] = {}

    def record(self, name: str) -> MethodCalls:
        return self._records.setdefault(name, MethodCalls())

    def views(self) -> Sequence[MethodView]:
        return [
            MethodView(name, r.last_ok_at, r.last_error, r.failing_since)
            for name, r in self._records.items()
        ]


class WatchedCryptoPay(CryptoPayClient):
    """Crypto Pay's client, noting in `calls` how each call went. Its errors never carry the
    token (payments_api/cryptopay.py), so they can be shown as they are. A subclass rather than
    a hook in the client: the composition root builds it in the client's place."""

    def __init__(self, url: str, token: str, *, calls: MethodCalls) -> None:
        super().__init__(url, token)
        self.calls = calls

    async def create_invoice(self, *args: Any, **kwargs: Any) -> CryptoInvoice:
        try:
            invoice = await super().create_invoice(*args, **kwargs)
        except CryptoPayUnavailable as error:
            self.calls.failed(str(error))
            raise
        # A refusal of one invoice (CryptoPayError: an amount it does not take) says nothing
        # of the method; polling notes a refusal of every call (a revoked token).
        self.calls.succeeded()
        return invoice

    async def get_invoices(self, *args: Any, **kwargs: Any) -> list[CryptoInvoice]:
        try:
            invoices = await super().get_invoices(*args, **kwargs)
        except (CryptoPayError, CryptoPayUnavailable) as error:
            self.calls.failed(str(error))
            raise
        self.calls.succeeded()
        return invoices
