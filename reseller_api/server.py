"""`POST /api/v2` (and `GET` with the same parameters) on the bot's web server: the key, the
rate limits, the action, the answer.

Errors are HTTP 200 with `{"error": ...}`, as the family answers; over a rate limit 429 with a
JSON error and Retry-After; a body over 1 MB 413; a failure of our own 500 with a JSON error
(a panel client reads it as "unclear", as it must: an order may or may not have been written).
Never a traceback. A request's parameters (its key above all) are never logged.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from aiohttp import web

from reseller_api import answers as say
from reseller_api.actions import Actions, Caller
from reseller_api.limits import WRONG_KEYS_BURST, WRONG_KEYS_PER_SECOND, RateLimit
from reseller_api.reading import BadRequest, read_fields
from shop.resellers import API_PATH
from shop.services import Services

logger = logging.getLogger(__name__)


def answer(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":")),
        status=status,
        content_type="application/json",
        headers=headers,
    )


class ResellerApi:
    def __init__(self, services: Services, per_second: float, burst: int) -> None:
        self._services = services
        self._actions = Actions(services)
        self._per_key = RateLimit(per_second, burst)
        self._wrong_keys = RateLimit(WRONG_KEYS_PER_SECOND, WRONG_KEYS_BURST)

    def register(self, app: web.Application) -> None:
        app.router.add_route("POST", API_PATH, self.handle)
        app.router.add_route("GET", API_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            fields = await read_fields(request)
        except BadRequest as error:
            if error.status == 413:
                return answer(say.error(say.TOO_LARGE), status=413)
            # The family answers a malformed request as any other: 200 and its phrase.
            return answer(say.error(say.INCORRECT_REQUEST))
        action = fields.get("action", "")
        try:
            return await self._answer(request, fields)
        except Exception:
            # The action's name only: a request's fields carry its key.
            logger.exception("Reseller API %r failed", action[:40])
            return answer(say.error(say.INTERNAL_ERROR), status=500)

    async def _answer(self, request: web.Request, fields: dict[str, str]) -> web.Response:
        services = self._services
        owner = await services.resellers.authenticate(fields.get("key", ""))
        user = None if owner is None else owner.user
        if user is None:
            wait = self._wrong_keys.take(request.remote or "")
            if wait:
                return too_many(wait)
            return answer(say.error(say.INVALID_KEY))
        wait = self._per_key.take(user.id)
        if wait:
            return too_many(wait)
        return answer(await self._actions.run(fields.get("action", ""), Caller(user), fields))


def too_many(wait: float) -> web.Response:
    return answer(
        say.error(say.TOO_MANY_REQUESTS),
        status=429,
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )
