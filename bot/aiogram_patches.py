"""Every place the bot leans on aiogram's internals, in one module. Each was found by profiling
bench/updates.py and is pinned by tests/test_aiogram_patches.py, which fails loudly when an
aiogram upgrade changes what it relies on.

1. `TelegramSession`: the TLS close pause is skipped for a plain-http server on this machine,
   and every session of the process shares one TLS context instead of building its own.
   (Sending calls as one JSON body instead of a form was dropped: bench/updates.py showed no
   gain from it, 7.0 against 7.1 ms of CPU an update.)
2. `run_sync_filters_inline`: synchronous filters (a `State`, an `F` expression) run on the
   event loop instead of through `asyncio.to_thread`.
3. `KeepResponseModels`: aiogram's per-method `Response[...]` models kept alive between calls.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import certifi
from aiogram import Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response
from aiohttp import TCPConnector

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

# ---- 1. no TLS pause when closing a session to this machine ----------------------------------


class TelegramSession(AiohttpSession):
    """aiogram's session, minus the 250 ms pause its close makes so that TLS connections can
    shut down: a plain-http Bot API server on this machine (a local telegram-bot-api, the tests'
    fake) has none. Every stop of the bot (hundreds in the test suite) was that much slower.
    AiohttpSession's own __init__ builds a TLS context each time (30 ms of CPU, also for a
    plain-http server); this one sets the same attributes with the process's shared context."""

    def __init__(self, api: TelegramAPIServer, **kwargs: Any) -> None:
        BaseSession.__init__(self, api=api, **kwargs)
        self._session = None
        self._connector_type = TCPConnector
        self._connector_init = {"ssl": shared_tls_context(), "limit": 100, "ttl_dns_cache": 3600}
        self._should_reset_connector = True
        self._proxy = None
        self._plain_local = _is_plain_local(api.base)

    async def close(self) -> None:
        if self._plain_local and self._session is not None and not self._session.closed:
            await self._session.close()
            return
        await super().close()


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """Verified against certifi's roots, as aiogram's own session does; built once."""
    return ssl.create_default_context(cafile=certifi.where())


def _is_plain_local(base_url: str) -> bool:
    parts = urlsplit(base_url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- 2. synchronous filters on the event loop ---------------------------------------------------


def run_sync_filters_inline(root: Router) -> int:
    """aiogram awaits every synchronous filter through `asyncio.to_thread`. Each update is
    checked against many handlers before one matches, so a text message paid for several thread
    hand-offs before any of our code ran. Our filters are cheap and never block, so they run
    inline, as aiogram already runs asynchronous ones. Returns how many filters were changed in
    `root` and its sub-routers (a second call changes none)."""
    changed = 0
    for handler in _handlers(root):
        for event_filter in handler.filters or ():
            if not event_filter.awaitable:
                _make_inline(event_filter)
                changed += 1
    return changed


def _handlers(root: Router) -> Iterator[HandlerObject]:
    for router in root.chain_tail:
        for observer in router.observers.values():
            yield from observer.handlers
            root_filters = getattr(observer, "_handler", None)  # `router.message.filter(...)`
            if isinstance(root_filters, HandlerObject):
                yield root_filters


def _make_inline(event_filter: FilterObject) -> None:
    check: Callable[..., Any] = event_filter.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    # `params` (the keyword arguments the filter accepts) were read from `check` already.
    event_filter.callback = inline
    event_filter.awaitable = True


# ---- 3. response models kept built ---------------------------------------------------------------


class KeepResponseModels(BaseRequestMiddleware):
    """aiogram builds `Response[<result type>]` on every call; pydantic caches that class only
    weakly, so each garbage collection dropped it and the next call rebuilt it (~5 ms of CPU).
    Holding one reference per method keeps it built."""

    def __init__(self) -> None:
        self._models: dict[type[Any], Any] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        kind = type(method)
        if kind not in self._models:
            self._models[kind] = Response[kind.__returning__]  # type: ignore[name-defined]
        return await make_request(bot, method)
