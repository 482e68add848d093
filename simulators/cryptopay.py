"""A fake Crypto Pay API over HTTP, for tests and demos: invoices that can be paid or expire,
and `invoice_paid` webhooks signed with the app's token, as @CryptoBot sends them.

    sim = CryptoPaySimulator(token="demo-crypto")
    url = await sim.start()          # http://127.0.0.1:PORT/api -> CRYPTO_PAY_URL
    sim.webhook_url = "http://127.0.0.1:PORT2/..."   # where invoice_paid goes (optional)
    await sim.pay(invoice_id)        # paid; the webhook is posted if a URL is set
    sim.expire(invoice_id)

A person can pay too: each invoice's `bot_invoice_url` is a page of this server with a Pay
button (the demo's stand-in for @CryptoBot). Tests steer it in-process; this module imports
nothing from the project but payments_api.cryptopay.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp
from aiohttp import web

from payments_api.cryptopay import ASSETS, FIATS, MAX_EXPIRES_IN, TOKEN_HEADER, plain, signature

log = logging.getLogger(__name__)

# Made-up rates for the demo: how much of an asset one USD buys.
PER_USD = {"USDT": Decimal(1), "USDC": Decimal(1), "TON": Decimal("0.2"), "BTC": Decimal("0.00001")}


class CryptoPaySimulator:
    def __init__(self, token: str = "demo-crypto", *, webhook_url: str | None = None) -> None:  # noqa: S107
        self.token = token
        self.webhook_url = webhook_url
        self.invoices: dict[int, dict[str, Any]] = {}
        self.calls: list[str] = []  # method names, in order
        self.webhooks_sent: list[tuple[int, int]] = []  # (invoice id, HTTP status)
        self._ids = itertools.count(1001)
        self._update_ids = itertools.count(1)
        self._failures: list[int] = []  # HTTP statuses the next calls answer with
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""

    @property
    def url(self) -> str:
        """CRYPTO_PAY_URL for this simulator."""
        return f"{self.base_url}/api"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/pay/{hash}", self._pay_page)
        app.router.add_post("/pay/{hash}", self._pay_by_person)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.base_url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- steering ---------------------------------------------------------------------------

    def fail_next(self, status: int = 500, count: int = 1) -> None:
        """The next `count` API calls answer HTTP `status` without doing anything."""
        self._failures += [status] * count

    def invoice(self, invoice_id: int) -> dict[str, Any]:
        return self.invoices[invoice_id]

    def latest(self) -> dict[str, Any]:
        return self.invoices[max(self.invoices)]

    async def pay(self, invoice_id: int, asset: str = "USDT", *, notify: bool = True) -> None:
        """The invoice is paid (once); its webhook is posted when a URL is set."""
        invoice = self.invoices[invoice_id]
        if invoice["status"] != "active":
            raise ValueError(f"invoice {invoice_id} is {invoice['status']}")
        usd = Decimal(invoice["amount"])  # the demo treats every fiat as USD
        invoice.update(
            status="paid",
            paid_asset=asset,
            paid_amount=plain(usd * PER_USD.get(asset, Decimal(1))),
            paid_at=_now_iso(),
        )
        if notify and self.webhook_url:
            await self.deliver(invoice_id)

    def expire(self, invoice_id: int) -> None:
        invoice = self.invoices[invoice_id]
        if invoice["status"] == "active":
            invoice["status"] = "expired"

    async def deliver(
        self, invoice_id: int, *, forged: bool = False, url: str | None = None
    ) -> int:
        """Post the invoice's invoice_paid update (again); `forged` signs it with another key.
        Returns the HTTP status the bot answered."""
        target = url or self.webhook_url
        if not target:
            raise ValueError("no webhook URL")
        body = json.dumps(
            {
                "update_id": next(self._update_ids),
                "update_type": "invoice_paid",
                "request_date": _now_iso(),
                "payload": self.invoices[invoice_id],
            }
        ).encode()
        key = "forged-" + self.token if forged else self.token
        headers = {
            "crypto-pay-api-signature": signature(key, body),
            "Content-Type": "application/json",
        }
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(target, data=body, headers=headers) as response:
            await response.read()
            self.webhooks_sent.append((invoice_id, response.status))
            return response.status

    # ---- the API ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if self._failures:
            return web.Response(status=self._failures.pop(0), text="<html>Bad Gateway</html>")
        if request.headers.get(TOKEN_HEADER) != self.token:
            return _error(401, "UNAUTHORIZED")
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        handler = {
            "getMe": self._get_me,
            "createInvoice": self._create_invoice,
            "getInvoices": self._get_invoices,
        }.get(method)
        if handler is None:
            return _error(405, "METHOD_NOT_FOUND")
        try:
            return web.json_response({"ok": True, "result": handler(params)})
        except _Refused as refused:
            return _error(400, refused.name)

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "app_id": 1,
            "name": "Simulated shop",
            "payment_processing_bot_username": "CryptoTestnetBot",
        }

    def _create_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("currency_type", "crypto") != "fiat":
            raise _Refused("CURRENCY_TYPE_INVALID")  # the shop always prices in fiat
        fiat = str(params.get("fiat", ""))
        if fiat not in FIATS:
            raise _Refused("FIAT_INVALID")
        assets = [a for a in str(params.get("accepted_assets", "")).split(",") if a]
        if not assets or any(a not in ASSETS for a in assets):
            raise _Refused("ACCEPTED_ASSETS_INVALID")
        try:
            amount = Decimal(str(params.get("amount", "")))
        except InvalidOperation:
            raise _Refused("AMOUNT_INVALID") from None
        if not amount.is_finite() or amount <= 0 or amount > 1_000_000:
            raise _Refused("AMOUNT_INVALID")
        expires_in = int(params.get("expires_in") or MAX_EXPIRES_IN)
        if not 1 <= expires_in <= MAX_EXPIRES_IN:
            raise _Refused("EXPIRES_IN_INVALID")
        invoice_id = next(self._ids)
        invoice_hash = "IV" + secrets.token_hex(6)
        invoice = {
            "invoice_id": invoice_id,
            "hash": invoice_hash,
            "currency_type": "fiat",
            "fiat": fiat,
            "amount": plain(amount),
            "accepted_assets": assets,
            "bot_invoice_url": f"{self.base_url}/pay/{invoice_hash}",
            "description": str(params.get("description", "")),
            "status": "active",
            "created_at": _now_iso(),
            "expiration_date": _iso(time.time() + expires_in),
            "allow_comments": False,
            "allow_anonymous": True,
            "payload": str(params.get("payload", "")),
        }
        self.invoices[invoice_id] = invoice
        return invoice

    def _get_invoices(self, params: dict[str, Any]) -> dict[str, Any]:
        ids = [int(i) for i in str(params.get("invoice_ids", "")).split(",") if i.strip().isdigit()]
        status = params.get("status")
        items = [
            self.invoices[i]
            for i in (ids or sorted(self.invoices))
            if i in self.invoices and (not status or self.invoices[i]["status"] == status)
        ]
        return {"items": items[: int(params.get("count") or 100)]}

    # ---- the demo's pay page ----------------------------------------------------------------

    def _by_hash(self, request: web.Request) -> dict[str, Any]:
        for invoice in self.invoices.values():
            if invoice["hash"] == request.match_info["hash"]:
                return invoice
        raise web.HTTPNotFound(text="No such invoice")

    async def _pay_page(self, request: web.Request) -> web.Response:
        invoice = self._by_hash(request)
        action = (
            '<form method="post"><button>Pay (simulated)</button></form>'
            if invoice["status"] == "active"
            else f"<p>This invoice is {invoice['status']}.</p>"
        )
        page = (
            f"<h1>Simulated Crypto Pay</h1><p>Invoice {invoice['invoice_id']}: "
            f"{invoice['amount']} {invoice['fiat']}</p>{action}"
        )
        return web.Response(text=page, content_type="text/html")

    async def _pay_by_person(self, request: web.Request) -> web.Response:
        invoice = self._by_hash(request)
        if invoice["status"] == "active":
            await self.pay(invoice["invoice_id"])
        return await self._pay_page(request)


class _Refused(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _error(status: int, name: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": status, "name": name}}, status=status)


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment))


def _now_iso() -> str:
    return _iso(time.time())
