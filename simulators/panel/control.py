"""``/_control/...``: JSON endpoints that steer a panel running in another process (the chaos
suite's bot talks to it over HTTP) the way tests steer it in-process."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any, Final, Protocol

from aiohttp import web

from simulators.panel.http import json_response
from simulators.panel.values import decimal, integer

CONTROL_PATH: Final = "/_control"

Body = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Steerable(Protocol):
    def inject_fault(self, kind: str, count: int = 1) -> None: ...
    def set_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | str | None = None,
        start_count: int | str | None = None,
        charge: Decimal | str | None = None,
    ) -> None: ...
    def set_refill(self, refill_id: int, status: str) -> None: ...
    def set_product_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None: ...
    def set_product_stock(self, product_id: int, inventory: int) -> None: ...
    def set_balance(self, balance: Decimal | str | int) -> None: ...
    def advance(self, steps: int = 1) -> None: ...
    def reset_counters(self) -> None: ...
    def stats(self) -> dict[str, Any]: ...


def add_control_routes(app: web.Application, panel: Steerable) -> None:
    controls: dict[str, Callable[[Body], object]] = {
        "fault": lambda b: panel.inject_fault(str(b["kind"]), integer(b.get("count", 1))),
        "order": partial(_order, panel),
        "refill": lambda b: panel.set_refill(integer(b["refill"]), str(b["status"])),
        "product_order": partial(_product_order, panel),
        "product_stock": lambda b: panel.set_product_stock(
            integer(b["product"]), integer(b["inventory"])
        ),
        "balance": partial(_balance, panel),
        "advance": lambda b: panel.advance(integer(b.get("steps", 1))),
        "reset_counters": lambda b: panel.reset_counters(),
    }
    for name, fn in controls.items():
        app.router.add_post(f"{CONTROL_PATH}/{name}", _handler(fn))

    async def stats(request: web.Request) -> web.StreamResponse:
        return json_response(panel.stats())

    app.router.add_get(f"{CONTROL_PATH}/stats", stats)


def _handler(fn: Callable[[Body], object]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json(loads=partial(json.loads, parse_float=Decimal))
        except json.JSONDecodeError:
            body = None
        if request.can_read_body and not isinstance(body, dict):
            return json_response({"error": "body must be a JSON object"}, status=400)
        try:
            result = fn(body or {})
        except KeyError as exc:
            return json_response({"error": f"unknown id or missing field: {exc}"}, 404)
        except (ValueError, TypeError, AttributeError) as exc:
            return json_response({"error": str(exc)}, status=400)
        return json_response(result if result is not None else {"ok": True})

    return handle


def _order(panel: Steerable, body: Body) -> None:
    panel.set_order(
        integer(body["order"]),
        status=body.get("status"),
        remains=body.get("remains"),
        start_count=body.get("start_count"),
        charge=None if body.get("charge") is None else str(body["charge"]),
    )


def _product_order(panel: Steerable, body: Body) -> None:
    remains = body.get("remains")
    panel.set_product_order(
        integer(body["order"]),
        status=body.get("status"),
        remains=None if remains is None else integer(remains),
        result=body.get("result"),
        note=body.get("note"),
    )


def _balance(panel: Steerable, body: Body) -> dict[str, str]:
    panel.set_balance(decimal(body["balance"]))
    return {"balance": panel.stats()["balance"]}
