"""The panel's "API v2" over HTTP: POST form-encoded, JSON answers, errors usually with HTTP 200.

Reads are retried with backoff when the panel is unavailable; `add`, `refill`, `cancel` and
`add_product_order` are never retried here, because a retried write can create a second order
(or a second request the panel may act on).
The API key travels only in the POST body: it never reaches a log line, an exception or a repr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, SecretStr, ValidationError

from provider.errors import PanelRefused, PanelUnavailable
from provider.models import (
    Balance,
    ItemError,
    OrderRequest,
    OrderState,
    OrderStatus,
    Product,
    ProductOrderState,
    Service,
)

logger = logging.getLogger(__name__)

MULTI_LIMIT = 100  # ids per multi request, the panel's limit
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


@dataclass(slots=True)
class CallRecord:
    """How the panel has been answering lately, for the health check."""

    last_answer_at: float | None = None  # unix time of the last answer (a refusal is one too)
    last_error: str | None = None  # why the latest call got no answer; None once one answers


# Told of every call: action, outcome ("ok", "refused", "unavailable"), seconds (for metrics).
CallObserver = Callable[[str, str, float], None]


class PanelClient:
    def __init__(
        self,
        url: str,
        key: SecretStr | str,
        *,
        timeout: float = 20.0,
        read_attempts: int = 3,
        backoff: float = 1.0,
        concurrency: int = 8,
        name: str = "main",
    ) -> None:
        self.url = url
        self.name = name
        self._key = key if isinstance(key, SecretStr) else SecretStr(key)
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 10.0))
        self._read_attempts = max(1, read_attempts)
        self._backoff = backoff
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self.record = CallRecord()
        self.observers: list[CallObserver] = []  # metrics, the shop's watch over its panels

    def __repr__(self) -> str:
        return f"PanelClient(name={self.name!r}, url={self.url!r})"

    async def __aenter__(self) -> PanelClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    # ---- transport -------------------------------------------------------------------------

    async def _call_once(self, action: str, params: dict[str, str]) -> Any:
        form = {"key": self._key.get_secret_value(), "action": action, **params}
        started = time.monotonic()
        try:
            try:
                async with self._http().post(self.url, data=form) as response:
                    body = await response.text(errors="replace")
                    status = response.status
            except TimeoutError:
                raise PanelUnavailable(f"the panel did not answer {action!r} in time") from None
            except aiohttp.ClientError as error:
                reason = type(error).__name__
                raise PanelUnavailable(f"cannot reach the panel ({reason})") from None
            result = parse_body(action, status, body)
        except PanelRefused:
            self._record(action, "refused", started)  # a clear refusal is an answer too
            raise
        except PanelUnavailable as error:
            self._record(action, "unavailable", started, str(error))
            raise
        self._record(action, "ok", started)
        return result

    def _record(self, action: str, outcome: str, started: float, error: str | None = None) -> None:
        seconds = time.monotonic() - started
        logger.debug("panel %s %s took %.3fs", self.name, action, seconds)
        if error is None:
            self.record.last_answer_at, self.record.last_error = time.time(), None
        else:
            self.record.last_error = error
        for observer in self.observers:
            observer(action, outcome, seconds)

    async def _read(self, action: str, params: dict[str, str] | None = None) -> Any:
        """A read-only call: retried with exponential backoff while the panel is unavailable."""
        for attempt in range(1, self._read_attempts + 1):
            try:
                return await self._call_once(action, params or {})
            except PanelUnavailable as error:
                if attempt == self._read_attempts:
                    raise
                delay = self._backoff * 2 ** (attempt - 1)
                logger.warning("panel %s unavailable (%s); retry in %.1fs", action, error, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _write(self, action: str, params: dict[str, str]) -> Any:
        """A call that changes something on the panel: exactly one attempt."""
        return await self._call_once(action, params)

    async def _chunked(
        self, ids: Sequence[int], fetch: Callable[[list[int]], Awaitable[dict[int, T]]]
    ) -> dict[int, T]:
        """Split ids into requests of at most 100, a few at once; merge the answers."""
        unique = list(dict.fromkeys(ids))
        chunks = [unique[i : i + MULTI_LIMIT] for i in range(0, len(unique), MULTI_LIMIT)]
        gate = asyncio.Semaphore(self._concurrency)

        async def one(chunk: list[int]) -> dict[int, T]:
            async with gate:
                return await fetch(chunk)

        merged: dict[int, T] = {}
        for part in await asyncio.gather(*(one(chunk) for chunk in chunks)):
            merged.update(part)
        return merged

    # ---- actions -----------------------------------------------------------------------------

    async def services(self) -> list[Service]:
        return parse_list(Service, await self._read("services"), "services")

    async def products(self) -> list[Product]:
        return parse_list(Product, await self._read("products"), "products")

    async def balance(self) -> Balance:
        return parse_model(Balance, await self._read("balance"), "balance")

    async def add(self, request: OrderRequest) -> int:
        """Place an order; returns the panel's order id. Never retried."""
        return parse_id(await self._write("add", request.form()), "order", "add")

    async def status(self, order_id: int) -> OrderState:
        return parse_model(
            OrderState, await self._read("status", {"order": str(order_id)}), "status"
        )

    async def statuses(self, order_ids: Sequence[int]) -> dict[int, OrderState | ItemError]:
        async def fetch(chunk: list[int]) -> dict[int, OrderState | ItemError]:
            data = await self._read("status", {"orders": join_ids(chunk)})
            return parse_keyed(OrderState, data, "status")

        return await self._chunked(order_ids, fetch)

    async def refill(self, order_id: int) -> int:
        """Ask for a refill; returns the refill id. Never retried."""
        return parse_id(await self._write("refill", {"order": str(order_id)}), "refill", "refill")

    async def refills(self, order_ids: Sequence[int]) -> dict[int, int | ItemError]:
        """Refill many orders; per order the refill id or the panel's refusal. Never retried."""
        results: dict[int, int | ItemError] = {}
        for start in range(0, len(order_ids), MULTI_LIMIT):
            chunk = list(order_ids[start : start + MULTI_LIMIT])
            data = await self._write("refill", {"orders": join_ids(chunk)})
            results.update(parse_refills(data, chunk))
        return results

    async def cancel(self, order_ids: Sequence[int]) -> dict[int, bool | ItemError]:
        """Ask the panel to cancel orders (only services with `cancel` allow it). Never retried.

        Per order: True when the panel took the request (the order turns Canceled, or Partial
        if it had started, at a later status: follow that, not this answer), False when it
        answered a falsy value, or its refusal. Ids the panel does not mention are left out.
        """
        results: dict[int, bool | ItemError] = {}
        unique = list(dict.fromkeys(order_ids))
        for start in range(0, len(unique), MULTI_LIMIT):
            chunk = unique[start : start + MULTI_LIMIT]
            data = await self._write("cancel", {"orders": join_ids(chunk)})
            results.update(parse_cancels(data, chunk))
        return results

    async def refill_status(self, refill_id: int) -> OrderStatus:
        data = await self._read("refill_status", {"refill": str(refill_id)})
        return OrderStatus.parse(expect_dict(data, "refill_status").get("status"))

    async def refill_statuses(
        self, refill_ids: Sequence[int]
    ) -> dict[int, OrderStatus | ItemError]:
        async def fetch(chunk: list[int]) -> dict[int, OrderStatus | ItemError]:
            data = await self._read("refill_status", {"refills": join_ids(chunk)})
            return parse_refill_statuses(data)

        return await self._chunked(refill_ids, fetch)

    async def add_product_order(self, product_id: int, quantity: int, require: str = "") -> int:
        """Order a digital product; returns the panel's order id. Never retried."""
        params = {"product": str(product_id), "quantity": str(quantity)}
        if require:
            params["require"] = require
        return parse_id(
            await self._write("add_product_order", params), "order", "add_product_order"
        )

    async def product_order_status(self, order_id: int) -> ProductOrderState:
        data = await self._read("product_order_status", {"order": str(order_id)})
        return parse_model(ProductOrderState, data, "product_order_status")

    async def product_order_statuses(
        self, order_ids: Sequence[int]
    ) -> dict[int, ProductOrderState | ItemError]:
        async def fetch(chunk: list[int]) -> dict[int, ProductOrderState | ItemError]:
            data = await self._read("product_order_status", {"orders": join_ids(chunk)})
            return parse_keyed(ProductOrderState, data, "product_order_status")

        return await self._chunked(order_ids, fetch)


# ---- parsing (pure functions, so every quirk is easy to test) ----------------------------------


def join_ids(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids)


def parse_body(action: str, status: int, body: str) -> Any:
    """JSON or bust. `{"error": ...}` is a definite refusal whatever the HTTP code, except 5xx."""
    try:
        data = json.loads(body, parse_float=Decimal)  # never float: money stays exact
    except ValueError:
        data = None
    if status >= 500:
        raise PanelUnavailable(f"the panel answered HTTP {status} to {action!r}")
    if data is None:
        kind = "an HTML page" if body.lstrip().startswith("<") else "a body that is not JSON"
        raise PanelUnavailable(f"the panel answered {action!r} with {kind} (HTTP {status})")
    if isinstance(data, dict) and "error" in data and not isinstance(data["error"], dict):
        raise PanelRefused(str(data["error"]).strip() or "Unknown error")
    if status >= 400:
        raise PanelUnavailable(f"the panel answered HTTP {status} to {action!r}")
    return data


def expect_dict(data: Any, action: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise PanelUnavailable(f"unexpected answer shape for {action!r}")
    return data


def parse_model(model: type[Model], data: Any, action: str) -> Model:
    try:
        return model.model_validate(expect_dict(data, action))
    except ValidationError:
        raise PanelUnavailable(f"unexpected answer for {action!r}") from None


def parse_list(model: type[Model], data: Any, action: str) -> list[Model]:
    """Parse a catalog; one broken entry is skipped (and logged), it never breaks the rest."""
    if isinstance(data, dict):  # some panels wrap lists: {"data": [...]}
        data = next((value for value in data.values() if isinstance(value, list)), None)
    if not isinstance(data, list):
        raise PanelUnavailable(f"unexpected answer shape for {action!r}")
    items = []
    for raw in data:
        try:
            items.append(model.model_validate(raw))
        except ValidationError:
            logger.warning("skipping an entry of %s the bot cannot read", action)
    return items


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse_id(data: Any, field: str, action: str) -> int:
    value = expect_dict(data, action).get(field)
    if isinstance(value, dict) and "error" in value:
        raise PanelRefused(str(value["error"]))
    found = as_int(value)
    if found is None:
        # 200 without an id: we cannot know whether the panel acted.
        raise PanelUnavailable(f"the panel's answer to {action!r} has no {field} id")
    return found


def parse_keyed(model: type[Model], data: Any, action: str) -> dict[int, Model | ItemError]:
    """A multi answer keyed by id string; a bad id carries its own error, others still parse."""
    results: dict[int, Model | ItemError] = {}
    for key, value in expect_dict(data, action).items():
        item_id = as_int(key)
        if item_id is None:
            continue
        if isinstance(value, dict) and "error" in value:
            results[item_id] = ItemError(str(value["error"]))
            continue
        try:
            results[item_id] = model.model_validate(value)
        except ValidationError:
            results[item_id] = ItemError("unreadable answer")
    return results


def parse_rows(
    data: Any, action: str, key: str, field: str, read: Callable[[Any], T | ItemError]
) -> dict[int, T | ItemError]:
    """A multi answer as a list of rows, `[{key: id, field: value}, ...]`, as the API v2
    family answers refill, refill_status and cancel. Per id: `read(value)`; a value
    `{"error": ...}`, or a row with its own `error` and no value, is that id's refusal. Rows
    without a readable id are left out: the caller treats an id not named as not answered."""
    if not isinstance(data, list):
        raise PanelUnavailable(f"unexpected answer shape for {action!r}")
    results: dict[int, T | ItemError] = {}
    for item in data:
        item_id = as_int(item.get(key)) if isinstance(item, dict) else None
        if item_id is None:
            continue
        value = item.get(field)
        if isinstance(value, dict):
            results[item_id] = ItemError(str(value.get("error", "refused")))
        elif value is None and "error" in item:
            results[item_id] = ItemError(str(item["error"]))
        else:
            results[item_id] = read(value)
    return results


def parse_refills(data: Any, order_ids: list[int]) -> dict[int, int | ItemError]:
    if isinstance(data, dict) and len(order_ids) == 1:  # some panels answer {"refill": "1"}
        return {order_ids[0]: parse_id(data, "refill", "refill")}
    return parse_rows(data, "refill", "order", "refill", refill_id_in)


def refill_id_in(value: Any) -> int | ItemError:
    refill_id = as_int(value)
    return ItemError("unreadable answer") if refill_id is None else refill_id


def parse_refill_statuses(data: Any) -> dict[int, OrderStatus | ItemError]:
    return parse_rows(data, "refill_status", "refill", "status", OrderStatus.parse)


def parse_cancels(data: Any, order_ids: list[int]) -> dict[int, bool | ItemError]:
    """`[{"order": 1, "cancel": 1}, {"order": 2, "cancel": {"error": "..."}}]`, as the API v2
    family documents it; also `{"order": 2, "error": "..."}` rows and, for one id, `{"cancel": 1}`.
    """
    if isinstance(data, dict) and len(order_ids) == 1 and "cancel" in data:
        return {order_ids[0]: cancel_outcome(data["cancel"])}
    return parse_rows(data, "cancel", "order", "cancel", cancel_outcome)


def cancel_outcome(value: Any) -> bool | ItemError:
    """`{"error": ...}` is a refusal; 1, "1", true or a cancel id mean the request was taken."""
    if value is None:
        return ItemError("unreadable answer")
    if isinstance(value, dict):
        return ItemError(str(value.get("error", "refused")))
    if isinstance(value, bool):
        return value
    number = as_int(value)
    if number is not None:
        return number > 0
    return str(value).strip().lower() in {"true", "yes", "ok", "success"}
