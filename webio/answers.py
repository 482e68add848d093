"""The answer a JSON door gives a request it refuses."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from webio.reading import BadRequest


def json_error(error: BadRequest, **shape: Any) -> web.Response:
    """`{"ok": false, "error": "<reason>"}` with the error's status; `shape` replaces or adds
    fields for a door whose callers expect their own (SePay reads `success`)."""
    return web.json_response({"ok": False, "error": error.reason, **shape}, status=error.status)
