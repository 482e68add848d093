"""Resellers: people who buy through the shop's own API v2 (reseller_api/) with a key.

Who may have a key (RESELLER_API: off, approved by an admin's /api_grant, or open to anyone),
the key itself (shown once, stored only as its SHA-256, compared in constant time; a new one
stops the old at once), a banned person's key refused at once, their discount (shop/discounts.py)
and how they hear of their API orders (in the chat, and by signed callbacks to their URL).
A key never reaches a log line, an exception or a message after the one that shows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from shop.books import Books
from shop.discounts import MAX_DISCOUNT_PERCENT, Discounts
from storage.resellers import KeyOwner, ResellerRecord, ResellerRepository, ResellerSummary
from storage.users import User

API_PATH = "/api/v2"
KEY_BYTES = 16  # 32 hex characters, as panels' keys look
MAX_KEY_LENGTH = 200  # longer is no key of ours: refused before hashing
MAX_CALLBACK_URL_LENGTH = 500
TOUCH_SECONDS = 60.0  # a key's last use is written at most once a minute


class AccessMode(StrEnum):
    OFF = "off"
    APPROVED = "approved"  # an admin grants each person with /api_grant
    OPEN = "open"  # anyone may create a key


class Access(StrEnum):
    ALLOWED = "allowed"
    OFF = "off"
    NOT_GRANTED = "not_granted"
    BANNED = "banned"


class UrlProblem(StrEnum):
    NOT_HTTPS = "not_https"
    NOT_A_URL = "not_a_url"
    TOO_LONG = "too_long"
    PRIVATE = "private"  # an address inside a network: never called


class CallbackUrlError(ValueError):
    def __init__(self, problem: UrlProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class NewKey:
    """Shown once, in the message that creates it; afterwards only `hint`."""

    key: str = field(repr=False)  # never in a log line or a traceback's repr
    hint: str = ""
    callback_secret: str = field(default="", repr=False)


SIGNATURE_HEADER = "X-Signature"


def sign(secret: str, body: bytes) -> str:
    """A callback's signature header value: `sha256=` and the hex HMAC-SHA256 of the body
    keyed with the reseller's callback secret. A receiver computes the same and compares."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def key_hint(key: str) -> str:
    """`ab12…9f3e`: enough to tell two keys apart, far too little to use one."""
    return f"{key[:4]}…{key[-4:]}"


def address_allowed(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool = False
) -> bool:
    """Whether a callback may go to this address: a public one only (never private, loopback,
    link-local, shared, multicast or reserved); loopback too when a test allows it."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if allow_loopback and address.is_loopback:
        return True
    return address.is_global and not address.is_multicast


def check_callback_url(url: str, *, allow_loopback: bool = False) -> str:
    """The URL a reseller gave for callbacks, cleaned, or CallbackUrlError: https only (http
    to a loopback address when a test allows loopback), with a host; an address written in
    it must be a public one. A name is resolved and checked again at each delivery."""
    url = url.strip()
    if len(url) > MAX_CALLBACK_URL_LENGTH:
        raise CallbackUrlError(UrlProblem.TOO_LONG)
    if any(char.isspace() or not char.isprintable() for char in url):
        raise CallbackUrlError(UrlProblem.NOT_A_URL)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise CallbackUrlError(UrlProblem.NOT_A_URL) from None
    if not host or parts.username is not None or parts.password is not None:
        raise CallbackUrlError(UrlProblem.NOT_A_URL)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    loopback_name = host.lower() == "localhost"
    if (
        parts.scheme == "http"
        and allow_loopback
        and (loopback_name or (literal is not None and literal.is_loopback))
    ):
        return url
    if parts.scheme != "https":
        raise CallbackUrlError(UrlProblem.NOT_HTTPS)
    if loopback_name and not allow_loopback:
        raise CallbackUrlError(UrlProblem.PRIVATE)
    if literal is not None and not address_allowed(literal, allow_loopback=allow_loopback):
        raise CallbackUrlError(UrlProblem.PRIVATE)
    return url


def parse_discount(text: str) -> Decimal | None:
    """'10', '12.5', '10%' -> the percent (0 to 100); None when it is not one."""
    text = text.strip().removesuffix("%").strip()
    if not text or len(text) > 12 or not all(c.isdigit() or c == "." for c in text):
        return None
    try:
        percent = Decimal(text)
    except ArithmeticError:
        return None
    if not percent.is_finite() or percent < 0 or percent > MAX_DISCOUNT_PERCENT:
        return None
    return percent


def month_start(now: float | None = None) -> int:
    """The first second of this month (UTC), for this month's spend."""
    today = dt.datetime.fromtimestamp(time.time() if now is None else now, tz=dt.UTC)
    return int(today.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp())


class Resellers:
    def __init__(
        self,
        repository: ResellerRepository,
        books: Books,
        discounts: Discounts,
        mode: AccessMode,
        public_url: str,
        *,
        allow_loopback: bool = False,
        one_order_per_link: bool = True,
    ) -> None:
        self._repository = repository
        self._books = books
        self.discounts = discounts
        self.mode = mode
        self._public_url = public_url.rstrip("/")
        self.allow_loopback = allow_loopback  # callbacks to 127.0.0.1: tests only
        # "You have active order with this link": a retried add never orders twice.
        self.one_order_per_link = one_order_per_link
        self._touched: dict[int, float] = {}

    @property
    def on(self) -> bool:
        return self.mode is not AccessMode.OFF

    @property
    def endpoint(self) -> str:
        """The API's address as resellers reach it ('' when PUBLIC_URL is not set)."""
        return f"{self._public_url}{API_PATH}" if self._public_url else ""

    # ---- a person's own key ------------------------------------------------------------------

    async def account(self, user_id: int) -> ResellerRecord | None:
        return await self._repository.get(user_id)

    def access(self, person: User, account: ResellerRecord | None) -> Access:
        if self.mode is AccessMode.OFF:
            return Access.OFF
        if person.banned:
            return Access.BANNED
        if self.mode is AccessMode.APPROVED and not (account is not None and account.granted):
            return Access.NOT_GRANTED
        return Access.ALLOWED

    async def create_key(self, person: User) -> NewKey | Access:
        """A new key (and callback secret) for the person: the old key stops at once."""
        access = self.access(person, await self.account(person.id))
        if access is not Access.ALLOWED:
            return access
        key = secrets.token_hex(KEY_BYTES)
        new = NewKey(key, key_hint(key), secrets.token_hex(KEY_BYTES))
        await self._repository.set_key(person.id, hash_key(key), new.hint, new.callback_secret)
        return new

    async def revoke_key(self, user_id: int) -> bool:
        """The key stops at once; callbacks still waiting are given up."""
        revoked = await self._repository.revoke_key(user_id)
        if revoked:
            await self._books.outbox.drop_callbacks(user_id, "key revoked")
        return revoked

    async def set_notify(self, user_id: int, notify: bool) -> None:
        await self._repository.set_notify(user_id, notify)

    async def set_callback_url(self, user_id: int, url: str | None) -> str | None:
        """Raises CallbackUrlError; None turns callbacks off (those waiting are given up)."""
        if url is not None:
            url = check_callback_url(url, allow_loopback=self.allow_loopback)
        await self._repository.set_callback_url(user_id, url)
        if url is None:
            await self._books.outbox.drop_callbacks(user_id, "callbacks turned off")
        return url

    # ---- a request's key ---------------------------------------------------------------------

    async def authenticate(self, key: str) -> KeyOwner | None:
        """The key's owner, if the key is live and its owner may use the API now."""
        if self.mode is AccessMode.OFF or not key or len(key) > MAX_KEY_LENGTH:
            return None
        digest = hash_key(key)
        owner = await self._repository.owner_of(digest)
        if owner is None or not hmac.compare_digest(owner.key_hash, digest):
            return None
        if owner.user.banned or (self.mode is AccessMode.APPROVED and not owner.granted):
            return None
        await self._touch(owner.user_id)
        return owner

    async def _touch(self, user_id: int) -> None:
        now = time.monotonic()
        if now - self._touched.get(user_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
            return
        self._touched[user_id] = now
        await self._repository.touch(user_id, int(time.time()))

    async def callback_target(self, user_id: int) -> tuple[str, str] | None:
        """Where a reseller's callback goes now and the secret it is signed with; None when
        they have no key or no URL any more."""
        account = await self._repository.get(user_id)
        if account is None or not account.callback_url or not account.callback_secret:
            return None
        return account.callback_url, account.callback_secret

    # ---- the owner's commands ----------------------------------------------------------------

    async def grant(self, user_id: int, granted: bool) -> None:
        """/api_grant, /api_revoke: a revoked grant stops the person's key at once."""
        await self._repository.set_granted(user_id, granted)

    async def set_discount(self, user_id: int, percent: Decimal | None) -> None:
        await self.discounts.set(user_id, percent)

    async def summaries(self, limit: int = 20) -> list[ResellerSummary]:
        """The most recently active resellers, with this month's spend."""
        return await self._repository.summaries(month_start(), limit)
