"""What a request to the Mini App's API carries, read and checked: the page number, the id in
the path, the body (read through webio/: whole or 413, flat JSON or 400) and its text fields.
A wrong one is an ApiError 400 saying which; the page never sends one, a script might."""

from __future__ import annotations

from aiohttp import web

from miniapp.answers import ApiError, Json
from shop.order_form import ServiceForm
from webio import read_json

MAX_BODY_BYTES = 256 * 1024  # a long list of comments fits; nothing the page sends is larger
MAX_DEPTH = 4  # the page sends flat objects
MAX_PAGE = 100_000
MAX_FIELD_CHARS = 200_000  # a field's text (comments); the body's own cap is below it anyway
ID = r"{id:\d{1,18}}"  # an id in a route's path: path_id reads it
SERVICE_FIELDS = ("link", "quantity", "comments", "list", "suggest", "search", "runs", "interval")


async def body_of(request: web.Request) -> Json:
    """The body as a JSON object. Raises webio.BadRequest (413 too large, 400 not flat JSON)."""
    return await read_json(request, max_bytes=MAX_BODY_BYTES, max_depth=MAX_DEPTH)


def page_number(request: web.Request) -> int:
    raw = request.query.get("page", "0")
    if not raw.isdigit() or int(raw) > MAX_PAGE:
        raise ApiError(400, "bad_request", "page must be a whole number")
    return int(raw)


def path_id(request: web.Request) -> int:
    return int(request.match_info["id"])  # ID admits 1-18 digits only


def text_field(body: Json, name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        raise ApiError(400, "bad_request", f"{name} must be text")
    return value


def flag_field(body: Json, name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise ApiError(400, "bad_request", f"{name} must be true or false")
    return value


def service_form(body: Json) -> ServiceForm:
    dripfeed = flag_field(body, "dripfeed")  # checked first, as it always was
    fields = {name: text_field(body, name) for name in SERVICE_FIELDS}
    return ServiceForm(dripfeed=dripfeed, **fields)


def product_form(body: Json) -> tuple[str, str]:
    """(quantity, require) as typed."""
    return text_field(body, "quantity"), text_field(body, "require")
