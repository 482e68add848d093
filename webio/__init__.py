"""One way for every web door to read a request (the Telegram webhook, Crypto Pay's and SePay's
webhooks, and every door to come): the whole body or 413, JSON with a depth limit, and a 400
with a short reason for anything malformed or hostile, never a 500 or a traceback.

    try:
        data = await read_json(request, max_bytes=64 * 1024, max_depth=16)
    except BadRequest as error:
        return json_error(error)  # or the door's own answer: error.status, error.reason

A door that must see the raw bytes first (a signature over the body) reads them with
`read_body` and parses them with `parse_json`. Imports only aiohttp and the standard library.
"""

from webio.answers import json_error
from webio.reading import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_READ_SECONDS,
    BadRequest,
    parse_json,
    read_body,
    read_json,
)

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_READ_SECONDS",
    "BadRequest",
    "json_error",
    "parse_json",
    "read_body",
    "read_json",
]
