"""The bot's HTTP session to the Bot API: requests go as one JSON body.

aiogram's own session sends every call as a form: each field is prepared, nested objects (a
keyboard) are dumped to JSON and the whole is then URL-encoded again, and the server decodes it
all back. The Bot API accepts `application/json` as well, which is one `json.dumps` on our side
and one parse on Telegram's. Calls that upload a file (a CSV export, a backup) still go as
multipart forms, through aiogram's own code.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

JSON_HEADERS = {"Content-Type": "application/json"}


class TelegramSession(AiohttpSession):
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
