"""The demo wiring of `make run`: every simulator the bot may use instead of a real service,
and the only module of the bot that imports `simulators/` (tests/test_architecture.py).

Without PROVIDER_URL the panel is a simulated one (`demo_panels`): a farm of three panels on
127.0.0.1, the main one in use and the other two ready for `/panel add`.

PAYMENTS_DEMO=true (`PaymentsDemo`): every top-up method, on simulators. Crypto Pay is the
simulator (each invoice's pay button opens a page with a Pay button), bank transfers go to a
made-up account, and SePay is a page where you type a transfer's amount and description; both
post their webhooks to a local stand-in of the bot's web server. Only the settings left empty
are filled in. Nothing here is real money, and the log says so loudly.
"""

from __future__ import annotations

import html
import logging
from contextlib import AsyncExitStack
from decimal import Decimal

from aiohttp import web
from pydantic import SecretStr

from bot.config import Settings
from bot.payment_webhooks import add_payment_webhooks, webhook_paths
from shop.services import Services
from simulators.cryptopay import CryptoPaySimulator
from simulators.panel import PANEL_PRESETS, PanelFarm
from simulators.sepay import SePaySender

logger = logging.getLogger(__name__)

DEMO_SEPAY_KEY = "demo-sepay-key"
DEMO_VND_RATE = Decimal(25_000)


async def demo_panels(stack: AsyncExitStack) -> tuple[str, str]:
    """Serve the simulated panels until `stack` closes; -> the main panel's (URL, key). The log
    says loudly that orders are not real and gives the commands that add the other two."""
    farm = PanelFarm.demo()
    stack.push_async_callback(farm.stop)
    urls = await farm.start()
    logger.warning(
        "PROVIDER_URL is empty: using the built-in SIMULATED panel at %s. "
        "Orders are NOT real. Set PROVIDER_URL and PROVIDER_KEY to sell for real.",
        urls["main"],
    )
    for name, url in urls.items():
        if name != "main":
            logger.warning(
                "Demo panel %s (simulated): /panel add %s %s %s",
                name, name, url, PANEL_PRESETS[name].key,
            )  # fmt: skip
    return urls["main"], PANEL_PRESETS["main"].key


class PaymentsDemo:
    def __init__(self) -> None:
        self._crypto = CryptoPaySimulator(token="demo-crypto-token")  # noqa: S106 - a demo's
        self._sender: SePaySender | None = None

    async def settings(self, settings: Settings, stack: AsyncExitStack) -> Settings:
        """The settings with the simulators in place of whatever top-up method is not set."""
        stack.push_async_callback(self._crypto.stop)
        await self._crypto.start()
        update: dict[str, object] = {}
        if not settings.crypto_pay_on:
            update |= {
                "crypto_pay_token": SecretStr(self._crypto.token),
                "crypto_pay_url": self._crypto.url,
            }
        if not settings.bank_on:
            update |= {
                "bank_bin": "970436",
                "bank_account": "0123456789",
                "bank_account_name": "DEMO SHOP",
                "sepay_api_key": SecretStr(DEMO_SEPAY_KEY),
            }
        if not settings.manual_payment_on:
            update["manual_payment_text"] = (
                "DEMO: pretend to transfer to card 4111 1111 1111 1111, "
                "then send a photo of anything."
            )
        return settings.model_copy(update=update)

    async def serve(self, services: Services, stack: AsyncExitStack) -> None:
        """The webhooks and the SePay page on 127.0.0.1, and a VND rate if none is set."""
        app = web.Application()
        add_payment_webhooks(app, services)
        app.router.add_get("/demo/sepay", self._sepay_page)
        app.router.add_post("/demo/sepay", self._sepay_send)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        paths = webhook_paths(services)
        if "cryptopay" in paths:
            self._crypto.webhook_url = base + paths["cryptopay"]
        if "sepay" in paths:
            self._sender = SePaySender(base + paths["sepay"], DEMO_SEPAY_KEY)
            stack.push_async_callback(self._sender.close)
        if await services.topups.rates.get("VND") is None:
            await services.topups.rates.set("VND", DEMO_VND_RATE)
        logger.warning(
            "PAYMENTS_DEMO: top-ups are SIMULATED, no money is real. Crypto invoices are paid "
            "on their pay page; bank transfers are sent from %s/demo/sepay",
            base,
        )

    async def _sepay_page(self, request: web.Request, note: str = "") -> web.Response:
        page = (
            "<h1>Simulated SePay</h1><p>An incoming transfer to the demo account:</p>"
            '<form method="post"><p>Amount (VND): <input name="amount" value="250000"></p>'
            '<p>Description: <input name="content" value="SMM"></p>'
            f"<button>Send</button></form><p>{html.escape(note)}</p>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _sepay_send(self, request: web.Request) -> web.Response:
        form = await request.post()
        amount = str(form.get("amount", ""))
        if self._sender is None or not amount.isdigit() or not 0 < int(amount) < 10**12:
            return await self._sepay_page(request, "Type a whole number of VND.")
        status, answer = await self._sender.transfer(int(amount), str(form.get("content", "")))
        return await self._sepay_page(request, f"The bot answered HTTP {status}: {answer}")
