"""Reading a request's JSON body: the whole body or 413, a depth limit, 400 with a short reason.

Kept in this one function until the shared reader every web door uses (webio/) lands; then
read_json calls it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

MAX_BODY_BYTES = 256 * 1024  # a long list of comments fits; nothing the page sends is larger
MAX_DEPTH = 4  # the page sends flat objects


class BadBody(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar: 0)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


async def read_json(request: web.Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object. Raises BadBody (413 too large, 400 not a JSON object)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody(413, f"the body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(max_bytes + 1 - size):
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise BadBody(413, f"the body is larger than {max_bytes} bytes")
    body = b"".join(chunks)
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadBody(400, "the body is not JSON") from None
    if not isinstance(value, dict):
        raise BadBody(400, "the body must be a JSON object")
    if depth(value) > MAX_DEPTH:
        raise BadBody(400, "the body nests too deeply")
    return value
