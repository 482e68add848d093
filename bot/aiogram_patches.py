"""Every place the bot leans on aiogram's internals, in one module. Each was found by profiling
bench/updates.py and is pinned by tests/test_aiogram_patches.py, which fails loudly when an
aiogram upgrade changes what it relies on.

1. `TelegramSession`: Bot API calls go as one JSON body instead of a form (uploads stay
   multipart); the TLS close pause is skipped for a plain-http server on this machine.
2. `run_sync_filters_inline`: synchronous filters (a `State`, an `F` expression) run on the
   event loop instead of through `asyncio.to_thread`.
3. `KeepResponseModels`: aiogram's per-method `Response[...]` models kept alive between calls.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from aiogram import Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

JSON_HEADERS = {"Content-Type": "application/json"}


# ---- 1. one JSON body per call --------------------------------------------------------------


class TelegramSession(AiohttpSession):
    """aiogram's session sends every call as a form: each field is prepared, nested objects (a
    keyboard) are dumped to JSON and the whole is URL-encoded again, and the server decodes it
    all back. The Bot API accepts `application/json` as well: one `json.dumps` on our side and
    one parse on Telegram's. Calls that upload a file still go through aiogram's own code."""

    def __init__(self, api: TelegramAPIServer, **kwargs: Any) -> None:
        super().__init__(api=api, **kwargs)
        self._timeouts: dict[float, ClientTimeout] = {}
        # The 250 ms pause aiogram makes on close lets TLS connections shut down; a plain-http
        # Bot API server on this machine (a local telegram-bot-api, the tests' fake) has none.
        self._plain_local = _is_plain_local(api.base)

    def json_payload(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any] | None:
        """The call's parameters as one JSON object, or None when it uploads a file."""
        files: dict[str, Any] = {}
        payload = self.prepare_value(
            method.model_dump(warnings=False), bot=bot, files=files, _dumps_json=False
        )
        return None if files else cast(dict[str, Any], payload)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        payload = self.json_payload(bot, method)
        if payload is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=self.json_dumps(payload),
                headers=JSON_HEADERS,
                timeout=self._timeout(self.timeout if timeout is None else timeout),
            ) as response:
                raw_result = await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        result = self.check_response(
            bot=bot, method=method, status_code=response.status, content=raw_result
        )
        return cast(TelegramType, result.result)

    def _timeout(self, seconds: float) -> ClientTimeout:
        """One ClientTimeout per length, not one per request."""
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = ClientTimeout(total=seconds)
        return timeout

    async def close(self) -> None:
        if self._plain_local and self._session is not None and not self._session.closed:
            await self._session.close()
            return
        await super().close()


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
