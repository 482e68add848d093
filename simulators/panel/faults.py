"""Injected faults and slowness: what a real panel does on a bad day.

``http500``, ``html`` (a Cloudflare challenge page) and ``drop`` (the connection cut) answer
before the action runs, so nothing is done; ``truncated`` and ``delay`` run the action (an
``add`` creates the order) and then cut the answer in half / answer after
``fault_delay_seconds``. ``latency_seconds`` is added to every API call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Final

from aiohttp import web

FAULT_KINDS: Final = frozenset({"http500", "html", "truncated", "delay", "drop"})

HTML_500: Final = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center>"
    "</body></html>"
)
HTML_CLOUDFLARE: Final = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">panel.example</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript>Enable JavaScript and cookies to continue</noscript>
</div></div><div class="footer"><div class="footer-inner">
<span>Ray ID: 8c1f2e3d4a5b6c7d</span> <span>Performance &amp; security by Cloudflare</span>
</div></div></body></html>
"""


class Faults:
    def __init__(self, latency_seconds: float, fault_delay_seconds: float) -> None:
        self.latency_seconds = latency_seconds
        self.fault_delay_seconds = fault_delay_seconds
        self._queue: deque[str] = deque()
        self.stopping = asyncio.Event()  # set when the server stops: "delay" ends at once

    def inject(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` API requests fail; faults queue in order."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        self._queue.extend([kind] * count)

    def clear(self) -> None:
        self._queue.clear()

    @property
    def pending(self) -> list[str]:
        return list(self._queue)

    def take(self) -> str | None:
        """The fault this request meets, if any."""
        return self._queue.popleft() if self._queue else None

    async def slow_down(self) -> None:
        if self.latency_seconds > 0:
            await asyncio.sleep(self.latency_seconds)

    @staticmethod
    def answer_instead(fault: str | None, request: web.Request) -> web.StreamResponse | None:
        """The answer of a fault that stops the action from running, else None."""
        if fault == "http500":
            return web.Response(status=500, text=HTML_500, content_type="text/html")
        if fault == "html":
            return web.Response(
                text=HTML_CLOUDFLARE,
                content_type="text/html",
                headers={"Server": "cloudflare", "CF-RAY": "8c1f2e3d4a5b6c7d-FRA"},
            )
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()  # the client sees the server disconnect
            return web.Response(status=204)
        return None

    async def hold(self, fault: str | None) -> None:
        """A "delay" fault: answer late (or when the server stops)."""
        if fault == "delay":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.fault_delay_seconds)

    @staticmethod
    def spoil(fault: str | None, body: str) -> str:
        """A "truncated" fault: half the answer."""
        return body[: max(1, len(body) // 2)] if fault == "truncated" else body
