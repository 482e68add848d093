"""What the Mini App's API answers: JSON, never cached (a key or a balance stays out of every
cache), a failure included: {"error": code, "message": words, ...} with its HTTP status."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

Json = dict[str, Any]


class ApiError(Exception):
    """An answer other than 200: its status and JSON."""

    def __init__(self, status: int, error: str, message: str, **more: Any) -> None:
        super().__init__(error)
        self.status = status
        self.body: Json = {"error": error, "message": message, **more}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def answer(body: Json, status: int = 200) -> web.Response:
    response = web.json_response(body, status=status, dumps=dumps)
    response.headers["Cache-Control"] = "no-store"
    return response
