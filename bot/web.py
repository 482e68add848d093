"""The bot's own web server: the webhook, /healthz and /metrics, and whatever else is mounted.

Each part brings a registrar, a callable that adds its routes to the `web.Application`; a new
one (a payment provider's webhook, say) is one more registrar in `bot/app.py`. The server listens
on WEB_HOST:WEB_PORT; a stop closes the listening socket first, so nothing new comes in while
the updates in hand finish.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from aiohttp import web

logger = logging.getLogger(__name__)

RouteRegistrar = Callable[[web.Application], None]
MAX_BODY_BYTES = 1024 * 1024  # a larger request body is refused with 413
SHUTDOWN_SECONDS = 2.0  # requests in progress at a stop (each answers in milliseconds)


def build_web_app(registrars: Iterable[RouteRegistrar]) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    for register in registrars:
        register(app)
    return app


class WebServer:
    """One aiohttp application on one address, started and stopped by the composition root."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one the system chose, for WEB_PORT=0)."""
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("the web server is not listening")
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        """This server as seen from this machine."""
        host = "127.0.0.1" if self.host in {"0.0.0.0", ""} else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self._requested_port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        logger.info("Web server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening, let requests in progress end; safe when never started."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
