"""The panel's HTTP front: one ``/api/v2`` endpoint (POST or GET), form-encoded fields (JSON
and multipart are read too), the key checked first, and every answer HTTP 200 JSON, errors
included (``{"error": "..."}``), unless a fault says otherwise."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from typing import Final

from aiohttp import web

from simulators.panel.actions import Actions
from simulators.panel.errors import ERR_KEY, ERR_REQUEST, Refusal
from simulators.panel.faults import Faults
from simulators.panel.traffic import Traffic
from simulators.panel.values import to_json

API_PATH: Final = "/api/v2"


class ApiFront:
    def __init__(self, key: str, actions: Actions, faults: Faults, traffic: Traffic) -> None:
        self.key = key
        self._actions = actions
        self._faults = faults
        self._traffic = traffic

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(API_PATH, self.handle)
        app.router.add_get(API_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        fields = await read_fields(request)
        self._traffic.count(fields)
        await self._faults.slow_down()
        fault = self._faults.take()
        early = self._faults.answer_instead(fault, request)
        if early is not None:
            return early
        await self._faults.hold(fault)
        body = self._faults.spoil(fault, to_json(self.answer(fields)))
        return web.Response(text=body, content_type="application/json")

    def answer(self, fields: Mapping[str, str]) -> object:
        if not secrets.compare_digest(fields.get("key", "").encode(), self.key.encode()):
            return {"error": ERR_KEY}
        action = self._actions.by_name.get(fields.get("action", ""))
        if action is None:
            return {"error": ERR_REQUEST}
        try:
            return action(fields)
        except Refusal as exc:
            return {"error": exc.message}


async def read_fields(request: web.Request) -> dict[str, str]:
    """Query string, then form-encoded / multipart / JSON body (the body wins)."""
    fields = dict(request.query)
    if not request.can_read_body:
        return fields
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            body = await request.json()
            if isinstance(body, dict):
                fields.update({str(k): str(v) for k, v in body.items()})
        return fields
    for name, value in (await request.post()).items():
        if isinstance(value, str):
            fields[name] = value
        elif isinstance(value, bytes | bytearray):
            fields[name] = value.decode("utf-8", "replace")
        else:  # an uploaded file part
            fields[name] = value.file.read().decode("utf-8", "replace")
    return fields


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(text=to_json(data), status=status, content_type="application/json")
