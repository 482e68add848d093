"""A fake SePay: the bank account's transactions, posted to the bot's webhook over HTTP as SePay
does (JSON, `Authorization: Apikey <key>`), and listed by its transactions API as SePay's
legacy user API lists them (`GET /userapi/transactions/list`, `Authorization: Bearer <token>`).

    sender = SePaySender(webhook_url, api_key="demo-sepay")
    status, answer = await sender.transfer(250_000, "SMM8F3K2Q chuyen tien")  # + the webhook
    sender.record(250_000, "SMM8F3K2Q")      # a transfer whose webhook never arrived
    api_url = await sender.start_api(token="demo-sepay-api")  # -> SEPAY_API_URL
    sender.fail_next("html")                 # the next API call answers an HTML page

The API answers as https://developer.sepay.vn/en/sepay-api/v1/api-giao-dich documents it: the
transactions newest first, at most `limit` (default and maximum 5000), filtered by
`account_number`, `since_id` (>=), `transaction_date_min` / `_max` (>= / <=, a date or a date
and time), `amount_in`, `reference_number`; ids and amounts as strings ("49682",
"18067000.00"). A wrong token gets HTTP 200 with an empty body, as the legacy API answers one
(https://developer.sepay.vn/en/sepay-api/v2/nang-cap-tu-v1). Times are Vietnam's (UTC+7).
This module imports nothing from the project.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import itertools
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

VIETNAM = dt.timezone(dt.timedelta(hours=7))
LIST_PATH = "/userapi/transactions/list"
MAX_LIMIT = 5000
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class BankTransaction:
    """One line of the account's statement, as SePay keeps it."""

    id: int
    amount: int  # VND
    content: str
    incoming: bool
    account_number: str
    gateway: str
    reference: str
    date: dt.datetime  # Vietnam time
    code: str | None = None
    webhook_sent: bool = False


class SePaySender:
    def __init__(
        self,
        webhook_url: str,
        api_key: str,
        *,
        account_number: str = "0123456789",
        gateway: str = "Vietcombank",
    ) -> None:
        self.webhook_url = webhook_url
        self.api_key = api_key
        self.account_number = account_number
        self.gateway = gateway
        self.transactions: dict[int, BankTransaction] = {}
        self.api_calls: list[dict[str, str]] = []  # the query of each authenticated list call
        self._ids = itertools.count(92_704)
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._token = ""
        self._failures: list[str] = []  # what the next API calls answer instead
        self.hung = asyncio.Event()  # set while a "timeout" failure holds a call
        self._release = asyncio.Event()
        self.api_url = ""

    async def close(self) -> None:
        self._release.set()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- the account ------------------------------------------------------------------------

    def record(
        self,
        amount: int,
        content: str,
        *,
        incoming: bool = True,
        account_number: str | None = None,
        when: dt.datetime | None = None,
    ) -> BankTransaction:
        """A transaction on the account that SePay knows of; no webhook is sent for it."""
        transaction = BankTransaction(
            id=next(self._ids),
            amount=amount,
            content=content,
            incoming=incoming,
            account_number=account_number or self.account_number,
            gateway=self.gateway,
            reference=f"MBVCB.{3_278_907_687 + amount % 1000}",
            date=when or dt.datetime.now(VIETNAM).replace(microsecond=0),
        )
        self.transactions[transaction.id] = transaction
        return transaction

    # ---- the webhook ------------------------------------------------------------------------

    def body(
        self, amount: int, content: str, *, transaction_id: int | None = None, incoming: bool = True
    ) -> dict[str, Any]:
        """A webhook body as SePay sends it: of a new transaction on the account (recorded, so
        the API lists it too), or of the one `transaction_id` names (a retry)."""
        known = None if transaction_id is None else self.transactions.get(transaction_id)
        if known is None:
            known = self.record(amount, content, incoming=incoming)
            if transaction_id is not None:  # a test's own id: keep it
                del self.transactions[known.id]
                known.id = transaction_id
                self.transactions[known.id] = known
        return self.webhook_body(known)

    def webhook_body(self, transaction: BankTransaction) -> dict[str, Any]:
        return {
            "id": transaction.id,
            "gateway": transaction.gateway,
            "transactionDate": transaction.date.strftime(DATE_FORMAT),
            "accountNumber": transaction.account_number,
            "code": transaction.code,
            "content": transaction.content,
            "transferType": "in" if transaction.incoming else "out",
            "transferAmount": transaction.amount,
            "accumulated": 19_077_000,
            "subAccount": None,
            "referenceCode": transaction.reference,
            "description": f"BankAPINotify {transaction.content}",
        }

    async def send(self, body: dict[str, Any], *, api_key: str | None = None) -> tuple[int, Any]:
        """Post one webhook (again, for a retry); -> (HTTP status, the JSON answer or text)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Authorization": f"Apikey {self.api_key if api_key is None else api_key}"}
        async with self._session.post(
            self.webhook_url,
            data=json.dumps(body),
            headers={**headers, "Content-Type": "application/json"},
        ) as response:
            text = await response.text()
            sent_id = body.get("id")
            if isinstance(sent_id, int) and sent_id in self.transactions and response.ok:
                self.transactions[sent_id].webhook_sent = True
            try:
                return response.status, json.loads(text)
            except json.JSONDecodeError:
                return response.status, text

    async def transfer(self, amount: int, content: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.send(self.body(amount, content, **kwargs))

    # ---- the transactions API ---------------------------------------------------------------

    async def start_api(self, token: str, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the transactions API; -> its base URL (SEPAY_API_URL)."""
        self._token = token
        app = web.Application()
        app.router.add_get(LIST_PATH, self._list)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0]
        self.api_url = f"http://{bound[0]}:{bound[1]}/userapi"
        return self.api_url

    def fail_next(self, how: str, count: int = 1) -> None:
        """The next `count` API calls answer `how` instead: "html" (a 200 page of HTML), "500",
        "429" (rate limited), "empty" (200 with no body, as for a refused token), "timeout"
        (no answer until the client gives up or `release()`)."""
        self._failures += [how] * count

    def release(self) -> None:
        """Let a call held by a "timeout" failure end."""
        self._release.set()

    async def _list(self, request: web.Request) -> web.StreamResponse:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.encode(), self._token.encode()
        ):
            return web.Response(status=200, body=b"")  # the legacy API's answer to a bad token
        if self._failures:
            failure = self._failures.pop(0)
            if failure == "timeout":
                self.hung.set()
                self._release.clear()
                await self._release.wait()
                self.hung.clear()
                return web.Response(status=504, text="released")
            if failure == "html":
                return web.Response(
                    text="<html><body>Bảo trì</body></html>", content_type="text/html"
                )
            if failure == "empty":
                return web.Response(status=200, body=b"")
            if failure == "429":
                return web.json_response(
                    {"status": 429, "error": "Too Many Requests"},
                    status=429,
                    headers={"x-sepay-userapi-retry-after": "1"},
                )
            return web.Response(status=int(failure), text="Internal Server Error")
        self.api_calls.append(dict(request.query))
        try:
            listed = self._filtered(request.query)
        except ValueError as error:
            return web.json_response(
                {"status": 400, "error": str(error), "messages": {"success": False}}
            )
        return web.json_response(
            {
                "status": 200,
                "error": None,
                "messages": {"success": True},
                "transactions": [self._listed(t) for t in listed],
            }
        )

    def _filtered(self, query: Any) -> list[BankTransaction]:
        limit = int(query.get("limit", MAX_LIMIT))
        if not 0 < limit <= MAX_LIMIT:
            raise ValueError("limit must be from 1 to 5000")
        chosen = sorted(self.transactions.values(), key=lambda t: t.id, reverse=True)
        if "account_number" in query:
            chosen = [t for t in chosen if t.account_number == query["account_number"]]
        if "since_id" in query:
            since = int(query["since_id"])
            chosen = [t for t in chosen if t.id >= since]
        if "transaction_date_min" in query:
            low = _moment(query["transaction_date_min"], end=False)
            chosen = [t for t in chosen if t.date >= low]
        if "transaction_date_max" in query:
            high = _moment(query["transaction_date_max"], end=True)
            chosen = [t for t in chosen if t.date <= high]
        if "amount_in" in query:
            chosen = [t for t in chosen if t.incoming and t.amount == int(query["amount_in"])]
        if "reference_number" in query:
            chosen = [t for t in chosen if t.reference == query["reference_number"]]
        return chosen[:limit]

    @staticmethod
    def _listed(transaction: BankTransaction) -> dict[str, Any]:
        amount = f"{transaction.amount}.00"
        return {
            "id": str(transaction.id),
            "bank_brand_name": transaction.gateway,
            "account_number": transaction.account_number,
            "transaction_date": transaction.date.strftime(DATE_FORMAT),
            "amount_out": "0.00" if transaction.incoming else amount,
            "amount_in": amount if transaction.incoming else "0.00",
            "accumulated": "19077000.00",
            "transaction_content": transaction.content,
            "reference_number": transaction.reference,
            "code": transaction.code,
            "sub_account": None,
            "bank_account_id": "19",
        }


def _moment(text: str, *, end: bool) -> dt.datetime:
    """ "2023-04-30" (the whole day) or "2023-04-30 08:00:00", in Vietnam time."""
    try:
        if len(text) == len("2023-04-30"):
            day = dt.datetime.strptime(text, "%Y-%m-%d")
            moment = day.replace(hour=23, minute=59, second=59) if end else day
        else:
            moment = dt.datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        raise ValueError(f"{text} is not a date") from None
    return moment.replace(tzinfo=VIETNAM)
