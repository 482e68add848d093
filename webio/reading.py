"""Reading a request's body whole and bounded, and its JSON with a depth limit.

Why not `request.content.read(n)`: it returns what has arrived *so far*, so a body sent in two
TCP writes was cut in half (a signed webhook failed its signature, a bank transfer was lost).
Here the body is read until its end, however it comes (Content-Length or chunked, in one write
or many), and refused with 413 as soon as it passes the door's limit.
"""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

DEFAULT_MAX_DEPTH = 32  # a Telegram update nests about 8 deep; a webhook's object 2 or 3
DEFAULT_READ_SECONDS = 30.0  # a body that trickles in slower than this is refused (408)
MAX_NUMBER_CHARACTERS = 100  # a JSON number longer than this is no number we take
MAX_INTEGER_DIGITS = 40  # 2^128 has 39: every id and count fits
MAX_EXPONENT = 40  # exact numbers: 1e40 and 1e-40 are the furthest a body may name

# What the depth scan stops at: brackets, and the quote that begins a string.
_STRUCTURE = re.compile(rb'[\[\]{}"]')
# The rest of a string after its opening quote, through its closing one (escapes skipped).
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPENERS = frozenset(b"[{")


class BadRequest(Exception):
    """The request cannot be taken: `status` (400, 408, 413) and a short `reason` a door may
    put in its answer (it never contains the body)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


class _NumberOutOfRange(ValueError):
    pass


async def read_body(
    request: web.Request, *, max_bytes: int, read_seconds: float = DEFAULT_READ_SECONDS
) -> bytes:
    """The whole body; BadRequest 413 past `max_bytes` (at once when Content-Length says so,
    else as soon as that many bytes came), 408 when it does not end within `read_seconds`,
    400 when its framing is broken (a bad chunk) or the client left halfway."""
    declared = request.content_length
    if declared is not None and declared > max_bytes:
        raise BadRequest(413, f"the body is over {max_bytes} bytes")
    parts: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(read_seconds):
            while chunk := await request.content.readany():  # b"" only at the body's end
                size += len(chunk)
                if size > max_bytes:
                    raise BadRequest(413, f"the body is over {max_bytes} bytes")
                parts.append(chunk)
    except TimeoutError:
        raise BadRequest(408, "the body did not arrive in time") from None
    except web.RequestPayloadError:
        raise BadRequest(400, "the body's framing is broken") from None
    except ConnectionError:
        raise BadRequest(400, "the connection closed before the body ended") from None
    return b"".join(parts)


def parse_json(body: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """A JSON body, or BadRequest 400 saying why not: not UTF-8 JSON, nested deeper than
    `max_depth` (refused before the parser recurses), NaN or Infinity, or a number out of
    range (an integer of more than 40 digits, a number beyond 1e-40 .. 1e40). Numbers with a
    fraction or an exponent are Decimal, never float: any of them may be money."""
    if _deeper_than(body, max_depth):
        raise BadRequest(400, f"the JSON is nested deeper than {max_depth}")
    try:
        return json.loads(
            body,
            parse_int=_integer,
            parse_float=_exact_number,
            parse_constant=_constant,
        )
    except _NumberOutOfRange as error:
        raise BadRequest(400, str(error)) from None
    except RecursionError:  # the scan above makes this unreachable; never a traceback anyway
        raise BadRequest(400, f"the JSON is nested deeper than {max_depth}") from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise BadRequest(400, "the body is not JSON") from None


async def read_json(
    request: web.Request,
    *,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    read_seconds: float = DEFAULT_READ_SECONDS,
) -> dict[str, Any]:
    """The body as a JSON object: `read_body`, then `parse_json`; BadRequest 400 when it is
    valid JSON but not an object."""
    body = await read_body(request, max_bytes=max_bytes, read_seconds=read_seconds)
    data = parse_json(body, max_depth=max_depth)
    if not isinstance(data, dict):
        raise BadRequest(400, "the body is not a JSON object")
    return data


def _deeper_than(body: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit`. Linear in the body: each
    string is skipped by one regex match from its opening quote."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False  # the usual case: too few brackets to nest that deep
    depth = 0
    position = 0
    while found := _STRUCTURE.search(body, position):
        byte = body[found.start()]
        position = found.end()
        if byte == ord('"'):
            rest = _STRING_REST.match(body, position)
            if rest is None:
                return False  # an unterminated string: the parser refuses it as not JSON
            position = rest.end()
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _integer(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_INTEGER_DIGITS:
        raise _NumberOutOfRange(f"an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _exact_number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _NumberOutOfRange("a number is out of range")
    try:
        value = Decimal(text)
    except InvalidOperation:  # the JSON grammar already matched: never, but never a 500
        raise _NumberOutOfRange("a number is out of range") from None
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise _NumberOutOfRange("a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise _NumberOutOfRange(f"{name} is not a JSON number")
