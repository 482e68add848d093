"""A tiny HTTP server that answers the panel's actions with exact bodies a test gives it.

Used to feed the client every quirk real panels send; the simulator covers realistic behaviour.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class CannedAnswer:
    body: str
    status: int = 200
    content_type: str = "application/json"


@dataclass
class CannedPanel:
    answers: dict[str, deque[CannedAnswer]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[dict[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    url: str = ""

    def answer(self, action: str, body: str, status: int = 200, content_type: str = "") -> None:
        kind = content_type or (
            "text/html" if body.lstrip().startswith("<") else "application/json"
        )
        self.answers[action].append(CannedAnswer(body, status, kind))

    async def _handle(self, request: web.Request) -> web.Response:
        form = {name: str(value) for name, value in (await request.post()).items()}
        self.requests.append(form)
        queue = self.answers.get(form.get("action", ""))
        if not queue:
            return web.json_response({"error": "Incorrect request"})
        canned = queue[0] if len(queue) == 1 else queue.popleft()
        return web.Response(
            text=canned.body, status=canned.status, content_type=canned.content_type
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/v2", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/api/v2"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
