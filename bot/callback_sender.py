"""Delivers resellers' status callbacks from the outbox (storage/notifications.py, channel
`callback`): at least once, each reseller's in the order they were written, retried with
backoff, never to a private, loopback or link-local address.

Each callback is a POST of its JSON body to the reseller's callback URL as it is now, signed
with their callback secret (shop/resellers.py `sign`, header X-Signature). The URL's host is
resolved at each delivery and every address it resolves to is checked; the connection goes
only to the addresses checked (a resolver of our own inside aiohttp), so a name that points
inside a network later is refused too. Redirects are not followed. Neither the URL (it may
carry a token) nor the secret is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from shop.resellers import SIGNATURE_HEADER, Resellers, address_allowed, sign
from storage.notifications import Notification, NotificationRepository

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
CONCURRENCY = 8  # receivers called at once
MAX_ATTEMPTS = 12  # then given up: about a day of retries (1 s, 2 s, 4 s ... capped)
MAX_DELAY_SECONDS = 6 * 3600.0
IDLE_CHECK_SECONDS = 5.0
USER_AGENT = "smm-shop-bot-callbacks/1"


class UnsafeAddress(aiohttp.ClientConnectionError):
    """The callback's host is, or resolves to, an address callbacks never go to."""


class PublicOnlyResolver(AbstractResolver):
    """Resolves as aiohttp does, then refuses the whole answer if any address is not public."""

    def __init__(self, allow_loopback: bool, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"].split("%", 1)[0])
            if not address_allowed(address, allow_loopback=self._allow_loopback):
                raise UnsafeAddress("the callback's host resolves to a private address")
        return results

    async def close(self) -> None:
        await self._inner.close()


def literal_allowed(url: str, allow_loopback: bool) -> bool:
    """aiohttp connects to an address written in the URL without resolving it: check it here."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name: the resolver checks what it resolves to
    return address_allowed(address, allow_loopback=allow_loopback)


FIRST_RETRY_SECONDS = 2.0


def backoff(attempts: int, first: float = FIRST_RETRY_SECONDS) -> float:
    """Seconds before the next try after `attempts` failed ones: 2, 4, 8, ... up to 6 hours."""
    return min(first * 2.0 ** (attempts - 1), MAX_DELAY_SECONDS)


class CallbackSender:
    def __init__(
        self,
        outbox: NotificationRepository,
        resellers: Resellers,
        *,
        allow_loopback: bool = False,
        timeout: float = TIMEOUT_SECONDS,
        on_outcome: Callable[[str], None] | None = None,  # sent, retry, dropped (metrics)
    ) -> None:
        self._outbox = outbox
        self._resellers = resellers
        self._allow_loopback = allow_loopback
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._on_outcome = on_outcome
        self._session: aiohttp.ClientSession | None = None
        self._gate = asyncio.Semaphore(CONCURRENCY)
        # What the tests change: how soon a failed callback is tried again, and the name
        # resolution behind the address check (a stand-in DNS; nothing leaves 127.0.0.1).
        self.first_retry = FIRST_RETRY_SECONDS
        self.dns: AbstractResolver | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver = PublicOnlyResolver(self._allow_loopback, self.dns)
            connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def run(self) -> None:
        try:
            while True:
                # Cleared before looking: a callback committed meanwhile still wakes us.
                self._outbox.callback_added.clear()
                try:
                    handled = await self.deliver_due()
                except Exception:
                    logger.exception("Callback round failed")
                    handled = 0
                if handled:
                    continue
                wait = IDLE_CHECK_SECONDS
                due = await self._outbox.next_callback_due()
                if due is not None:
                    wait = min(wait, max(0.0, due - time.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._outbox.callback_added.wait(), wait)
        finally:
            await self.close()

    async def deliver_due(self) -> int:
        """Deliver each reseller's oldest due callback; returns how many were handled."""
        due = await self._outbox.due_callbacks(limit=100)
        await asyncio.gather(*(self._deliver(callback) for callback in due))
        return len(due)

    async def _deliver(self, callback: Notification) -> None:
        async with self._gate:
            outcome = await self._send(callback)
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    async def _send(self, callback: Notification) -> str:
        target = await self._resellers.callback_target(callback.chat_id)
        if target is None:
            await self._outbox.drop(callback.id, "the reseller has no key or callback URL now")
            return "dropped"
        url, secret = target
        if not literal_allowed(url, self._allow_loopback):
            return await self._give_up(callback, "a private address")
        body = callback.text.encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        try:
            async with self._http().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
        except UnsafeAddress:
            return await self._give_up(callback, "a private address")
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            return await self._retry(callback, type(error).__name__)
        if 200 <= status < 300:
            await self._outbox.mark_sent(callback.id)
            return "sent"
        return await self._retry(callback, f"HTTP {status}")

    async def _retry(self, callback: Notification, reason: str) -> str:
        attempts = callback.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            return await self._give_up(callback, f"{reason}, {attempts} attempts")
        delay = backoff(attempts, self.first_retry)
        await self._outbox.postpone(callback.id, delay)
        logger.info(
            "Callback %s to reseller %s not delivered (%s); next try in %.0f s",
            callback.id, callback.chat_id, reason, delay,
        )  # fmt: skip
        return "retry"

    async def _give_up(self, callback: Notification, reason: str) -> str:
        await self._outbox.drop(callback.id, f"callback not delivered: {reason}"[:500])
        logger.warning(
            "Callback %s to reseller %s given up: %s", callback.id, callback.chat_id, reason
        )
        return "dropped"
