"""Who is asking: the person Telegram signed in the Mini App's init data, never an id from the
request. Every API call carries the raw init data (`Authorization: tma <initData>`); it is
checked with aiogram's safe_parse_webapp_init_data against the bot token, and refused when it
was signed longer ago than WEBAPP_AUTH_MAX_AGE (Telegram signs it when the Mini App opens)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from aiogram.utils.web_app import safe_parse_webapp_init_data
from pydantic import ValidationError

SCHEME = "tma "
MAX_INIT_DATA_CHARS = 8192  # Telegram's are well under 1 KB
CLOCK_SKEW_SECONDS = 300  # a signature from a little in the future: clocks differ


class AuthProblem(StrEnum):
    MISSING = "missing"  # no init data at all (opened outside Telegram)
    BAD_SIGNATURE = "bad_signature"  # not signed with our bot's token, or altered
    EXPIRED = "expired"  # signed too long ago
    NO_USER = "no_user"  # signed, but names no person (a launch we do not serve)


class Unauthorized(Exception):
    def __init__(self, problem: AuthProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Visitor:
    """The person, as Telegram vouched for them."""

    user_id: int
    full_name: str
    username: str | None
    language_code: str | None


def init_data_of(authorization: str | None) -> str:
    header = (authorization or "").strip()
    if not header.lower().startswith(SCHEME) or len(header) <= len(SCHEME):
        raise Unauthorized(AuthProblem.MISSING)
    return header[len(SCHEME) :].strip()


def visitor(
    authorization: str | None, token: str, max_age: float, now: float | None = None
) -> Visitor:
    """The person the Authorization header's init data names. Raises Unauthorized."""
    init_data = init_data_of(authorization)
    if len(init_data) > MAX_INIT_DATA_CHARS:
        raise Unauthorized(AuthProblem.BAD_SIGNATURE)
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except (ValueError, ValidationError, TypeError, RecursionError):  # ValueError: not ours
        raise Unauthorized(AuthProblem.BAD_SIGNATURE) from None
    age = (time.time() if now is None else now) - data.auth_date.timestamp()
    if age > max_age or age < -CLOCK_SKEW_SECONDS:
        raise Unauthorized(AuthProblem.EXPIRED)
    user = data.user
    if user is None or user.is_bot:
        raise Unauthorized(AuthProblem.NO_USER)
    name = " ".join(part for part in (user.first_name, user.last_name) if part)[:128]
    return Visitor(user.id, name, user.username, user.language_code)
