"""A fake SePay: posts incoming bank transfers to the bot's webhook over HTTP, as SePay does
(JSON, `Authorization: Apikey <key>`), and keeps what the bot answered.

    sender = SePaySender(webhook_url, api_key="demo-sepay")
    status, answer = await sender.transfer(250_000, "SMM8F3K2Q chuyen tien")
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import aiohttp


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
        self._ids = itertools.count(92_704)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def body(
        self, amount: int, content: str, *, transaction_id: int | None = None, incoming: bool = True
    ) -> dict[str, Any]:
        """A webhook body as SePay sends it (a new transaction id unless one is given)."""
        return {
            "id": next(self._ids) if transaction_id is None else transaction_id,
            "gateway": self.gateway,
            "transactionDate": time.strftime("%Y-%m-%d %H:%M:%S"),
            "accountNumber": self.account_number,
            "code": None,
            "content": content,
            "transferType": "in" if incoming else "out",
            "transferAmount": amount,
            "accumulated": 19_077_000,
            "subAccount": None,
            "referenceCode": f"MBVCB.{3_278_907_687 + amount % 1000}",
            "description": f"BankAPINotify {content}",
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
            try:
                return response.status, json.loads(text)
            except json.JSONDecodeError:
                return response.status, text

    async def transfer(self, amount: int, content: str, **kwargs: Any) -> tuple[int, Any]:
        return await self.send(self.body(amount, content, **kwargs))
