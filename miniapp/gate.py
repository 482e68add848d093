"""Every call to the Mini App's API, around its endpoint. In order: who is asking (the init
data Telegram signed, miniapp/auth.py: 401 with the page's calm words), how fast (429 past a
burst, miniapp/rates.py), the chat's ban (403 with the chat's words), then the endpoint in the
person's language. Whatever it raises is answered as JSON (miniapp/answers.py): an ApiError as
it says, an unreadable body as webio says (413, 400), anything else a 500 with no traceback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram.utils.web_app import parse_webapp_init_data
from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json, answer
from miniapp.auth import AuthProblem, Unauthorized, init_data_of, visitor
from miniapp.front import Storefront
from miniapp.rates import Rates
from miniapp.texts import page_texts
from shop import texts
from shop.i18n import _, in_language, supported_language
from storage.users import User
from webio import BadRequest

logger = logging.getLogger(__name__)

Endpoint = Callable[[web.Request, User], Awaitable[Json]]


@dataclass(frozen=True, slots=True)
class Route:
    """An endpoint and where it answers, relative to /app/api."""

    method: str
    path: str
    endpoint: Endpoint
    action: bool = False  # placing, paying, asking the panel: counts against the slower rate


def language_hint(authorization: str | None) -> str:
    """The language to say "open it again" in, from init data that failed its check: used for
    nothing but choosing the words."""
    try:
        user = parse_webapp_init_data(init_data_of(authorization)).user
    except Exception:  # anything unreadable: English
        return supported_language(None)
    return supported_language(user.language_code if user else None)


def unauthorized(problem: AuthProblem, authorization: str | None) -> web.Response:
    with in_language(language_hint(authorization)):
        words = page_texts()
    return answer(
        {
            "error": "unauthorized",
            "reason": problem.value,
            "title": words["reopen_title"],
            "message": words["reopen_text"],
            "close": words["close"],
        },
        401,
    )


class Gate:
    def __init__(self, front: Storefront, token: str, max_age: float) -> None:
        self._front = front
        self._token = token
        self._max_age = max_age
        self._rates = Rates()

    async def serve(self, route: Route, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization")
        try:
            person_of = visitor(authorization, self._token, self._max_age)
        except Unauthorized as refused:
            return unauthorized(refused.problem, authorization)
        if not self._rates.allowed(person_of.user_id, route.action):
            with in_language(supported_language(person_of.language_code)):
                too_fast = _("Too fast. Please wait a moment.")
            return answer({"error": "too_many", "message": too_fast}, 429)
        person = await self._front.person(person_of)
        with in_language(person.language):
            if person.banned:
                return answer(views.banned(texts.account_suspended()), 403)
            try:
                return answer(await route.endpoint(request, person))
            except ApiError as error:
                return answer(error.body, error.status)
            except BadRequest as error:
                return answer({"error": "bad_request", "message": error.reason}, error.status)
            except Exception:
                logger.exception("Mini App call %s %s failed", request.method, request.path)
                failed = _("Something went wrong. Please try again.")
                return answer({"error": "internal", "message": failed}, 500)
