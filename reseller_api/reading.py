"""A request's parameters, however a reseller's script sends them: the query string (GET, as
older scripts do), a form-encoded or multipart body (PHP's curl with an array sends multipart),
or a JSON object; the body wins.

The body is read whole through `webio` (1 MB at most, else 413; JSON nested past 8 refused
before parsing), then parsed here. What cannot be read as flat parameters (a JSON array, a
nested object, a file, bytes that are not UTF-8, too many fields) is a BadRequest, never a
traceback.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterable
from decimal import Decimal
from email.message import Message
from urllib.parse import parse_qsl

from aiohttp import web

from webio import BadRequest, parse_json, read_body

MAX_BODY_BYTES = 1024 * 1024  # the web server's own limit (bot/web.py)
MAX_DEPTH = 8  # a flat object, `orders` as a list at most: far less than this
MAX_FIELDS = 64
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

__all__ = ["BadRequest", "read_fields"]


def scalar(value: object) -> str:
    """A JSON value as the same parameter sent in a form: numbers as written, true as 1, a
    list of ids as "1,2,3" (how `orders` is sent in a form)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | Decimal):
        return str(value)
    if isinstance(value, list) and all(
        isinstance(item, str | int) and not isinstance(item, bool) for item in value
    ):
        return ",".join(str(item) for item in value)
    if value is None:
        return ""
    raise BadRequest(400, "a parameter is not a flat value")


def from_json(body: bytes) -> dict[str, str]:
    # Decimals stay as written (a quantity of 10.5 is refused as not whole, never rounded).
    data = parse_json(body, max_depth=MAX_DEPTH)
    if not isinstance(data, dict):
        raise BadRequest(400, "the body is not a JSON object")
    return {str(name): scalar(value) for name, value in data.items()}


def from_form(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # not UTF-8, or too many fields
        raise BadRequest(400, "the body is not form parameters") from None


def from_multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """multipart/form-data by the standard library's MIME parser: text fields only."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: Iterable[Message] = message.iter_parts() if message.is_multipart() else ()
    fields = []
    for part in parts:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_param("filename", header="content-disposition"):
            raise BadRequest(400, "a part is not a form field")
        payload = part.get_payload(decode=True)
        try:
            value = payload.decode("utf-8") if isinstance(payload, bytes) else ""
        except UnicodeDecodeError:
            raise BadRequest(400, "a field is not UTF-8") from None
        fields.append((name, value))
        if len(fields) > MAX_FIELDS:
            raise BadRequest(400, "too many parameters")
    return fields


async def read_fields(request: web.Request) -> dict[str, str]:
    """Raises BadRequest (400, 408, 413)."""
    fields = dict(request.query.items())
    if request.method == "POST" and request.body_exists:
        body = await read_body(request, max_bytes=MAX_BODY_BYTES)
        content_type = request.content_type
        if content_type == MULTIPART:
            raw_type = request.headers.get("Content-Type", "")
            if any(char in raw_type for char in "\r\n"):
                raise BadRequest(400, "a bad content type")
            fields.update(from_multipart(raw_type, body))
        elif content_type == "application/json" or body.lstrip()[:1] == b"{":
            fields.update(from_json(body))
        elif body.strip():  # a form, also without its content type
            fields.update(from_form(body))
    if len(fields) > MAX_FIELDS:
        raise BadRequest(400, "too many parameters")
    return fields
