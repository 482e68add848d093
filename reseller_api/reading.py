"""A request's parameters, however a reseller's script sends them: the query string (GET, as
older scripts do), a form-encoded or multipart body, or a JSON object; the body wins.

The body is read whole within the web server's 1 MB limit (bot/web.py: larger is 413). What
cannot be read as flat parameters (a JSON array, a nested object, JSON nested too deep) is a
BadRequest, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qsl

from aiohttp import web

MAX_FIELDS = 64
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class BadRequest(ValueError):
    """The body is not parameters we can read."""


def scalar(value: object) -> str:
    """A JSON value as the same parameter sent in a form: numbers as written, true as 1, a
    list of ids as "1,2,3" (how `orders` is sent in a form)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in value
    ):
        return ",".join(str(item) for item in value)
    if value is None:
        return ""
    raise BadRequest("not a flat parameter")


def from_json(raw: bytes) -> dict[str, str]:
    try:
        # Decimals stay as written (a quantity of 10.5 is refused as not whole, not rounded).
        data = json.loads(raw.decode("utf-8"), parse_float=str, parse_constant=str)
    except (ValueError, RecursionError):
        raise BadRequest("not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("not a JSON object")
    return {str(name): scalar(value) for name, value in data.items()}


def from_form(form: Mapping[str, object]) -> dict[str, str]:
    fields = {}
    for name, value in form.items():
        if isinstance(value, str):
            fields[name] = value
        elif isinstance(value, bytes | bytearray):
            fields[name] = value.decode("utf-8", "replace")
        else:  # an uploaded file: a parameter is never one
            raise BadRequest("a file part")
    return fields


async def read_fields(request: web.Request) -> dict[str, str]:
    """Raises BadRequest, or aiohttp's 413 for a body over the server's limit."""
    fields = {name: value for name, value in request.query.items()}
    if request.method == "POST" and request.body_exists:
        if request.content_type in FORM_TYPES:
            fields.update(from_form(await request.post()))
        else:
            raw = await request.read()
            if raw.lstrip()[:1] == b"{" or request.content_type == "application/json":
                fields.update(from_json(raw))
            elif raw.strip():
                try:
                    text = raw.decode("utf-8")
                    pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
                except ValueError:  # not UTF-8, or too many fields
                    raise BadRequest("not parameters") from None
                fields.update(pairs)
    if len(fields) > MAX_FIELDS:
        raise BadRequest("too many parameters")
    return fields
