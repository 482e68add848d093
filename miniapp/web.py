"""The Mini App on the bot's web server: its page (static files) and its API under /app.

`MiniApp.register` is the registrar the composition root (bot/app.py) adds to the web server.
Everything under /app answers with a Content-Security-Policy that lets the page run our own
scripts and Telegram's only, and nothing under it ever answers with a traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiohttp import web

from miniapp.answers import answer
from miniapp.api import Api
from miniapp.front import Storefront

logger = logging.getLogger(__name__)

PREFIX = "/app"
STATIC = Path(__file__).parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".mjs": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
TELEGRAM_SCRIPT_ORIGIN = "https://telegram.org"  # telegram-web-app.js
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' {TELEGRAM_SCRIPT_ORIGIN}",
        "style-src 'self'",
        "img-src 'self' data:",  # the bank transfer's QR code comes as a data: URL
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' https://web.telegram.org",  # Telegram Web shows it in a frame
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def load_static(root: Path = STATIC) -> dict[str, StaticFile]:
    """Every file of the page, read once, with its gzip'd body (they never change while the
    bot runs)."""
    files = {}
    for path in sorted(root.rglob("*")):
        content_type = CONTENT_TYPES.get(path.suffix)
        if not path.is_file() or content_type is None:
            continue
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        files[path.relative_to(root).as_posix()] = StaticFile(
            body, gzip.compress(body, 9, mtime=0), content_type, etag
        )
    return files


class MiniApp:
    def __init__(self, front: Storefront, bot: Bot, token: str, max_age: float) -> None:
        self.api = Api(front, bot, token, max_age)
        self._files = load_static()

    def register(self, app: web.Application) -> None:
        sub = web.Application(middlewares=[self.guard])
        sub.add_routes(self.api.routes())
        sub.add_routes([web.get("/", self.index), web.get(r"/{path:[\w./-]+}", self.static)])
        app.add_subapp(PREFIX, sub)
        app.router.add_get(PREFIX, self.to_index)

    async def to_index(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(f"{PREFIX}/")

    # ---- the page -----------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return self._file(request, "index.html")

    async def static(self, request: web.Request) -> web.StreamResponse:
        return self._file(request, request.match_info["path"])

    def _file(self, request: web.Request, name: str) -> web.StreamResponse:
        found = self._files.get(name)
        if found is None:
            raise web.HTTPNotFound(text="Not found")
        headers = {"ETag": found.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        if found.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        body = found.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = found.gzipped, "gzip"
        headers["Content-Type"] = found.content_type
        return web.Response(body=body, headers=headers)

    # ---- every answer -------------------------------------------------------------------------

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Security headers on every answer; an API failure answers JSON, never a traceback."""
        api = request.path.startswith(f"{PREFIX}/api/")
        try:
            response = await handler(request)
        except web.HTTPException as error:
            if not api or error.status < 400:
                response = error
            else:
                response = answer({"error": error.reason.lower().replace(" ", "_"),
                                   "message": error.reason}, error.status)  # fmt: skip
        except Exception:
            logger.exception("Mini App request %s %s failed", request.method, request.path)
            if api:
                response = answer(
                    {"error": "internal", "message": "Something went wrong. Please try again."},
                    500,
                )
            else:
                response = web.Response(status=500, text="Something went wrong.")
        response.headers.update(SECURITY_HEADERS)
        return response
