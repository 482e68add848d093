"""The payment services' webhooks as aiohttp handlers, for the bot's web server to mount:

    add_payment_webhooks(app, services)

registers POST routes under paths derived from each service's secret (nothing to guess):
`/pay/cryptopay/<32 hex>` (Crypto Pay's `invoice_paid`, checked with the
`crypto-pay-api-signature` HMAC) and `/pay/sepay/<32 hex>` (SePay's transfers, checked with
`Authorization: Apikey ...`). A request that fails the check is refused and logged without its
body. Crediting is the shop's (once per the provider's id, whatever retries arrive).
"""

from __future__ import annotations

import logging

from aiohttp import web

from payments_api.cryptopay import SIGNATURE_HEADER, paid_invoice_in
from payments_api.sepay import parse_transaction
from shop.bank_topups import BankTopUps
from shop.crypto_topups import CryptoTopUps
from shop.services import Services

logger = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
CRYPTO_PREFIX = "/pay/cryptopay/"
SEPAY_PREFIX = "/pay/sepay/"


def webhook_paths(services: Services) -> dict[str, str]:
    """Which service posts to which path (for the owner to configure, and for the tests)."""
    paths = {}
    if services.topups.crypto is not None:
        paths["cryptopay"] = CRYPTO_PREFIX + services.topups.crypto.client.webhook_path
    if services.topups.bank is not None:
        paths["sepay"] = SEPAY_PREFIX + services.topups.bank.webhook_path
    return paths


def log_webhook_paths(services: Services, public_url: str) -> None:
    """Where to point Crypto Pay and SePay (the paths reveal nothing of the secrets)."""
    for service, path in webhook_paths(services).items():
        where = f"{public_url}{path}" if public_url else f"<PUBLIC_URL>{path}"
        logger.info("Payment webhook for %s: POST %s", service, where)


def add_payment_webhooks(app: web.Application, services: Services) -> None:
    paths = webhook_paths(services)
    if services.topups.crypto is not None:
        app.router.add_post(paths["cryptopay"], CryptoPayWebhook(services.topups.crypto).handle)
    if services.topups.bank is not None:
        app.router.add_post(paths["sepay"], SePayWebhook(services.topups.bank).handle)


async def read_body(request: web.Request) -> bytes | None:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = await request.content.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


class CryptoPayWebhook:
    def __init__(self, crypto: CryptoTopUps) -> None:
        self._crypto = crypto

    async def handle(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if body is None:
            return web.json_response({"ok": False}, status=413)
        if not self._crypto.client.signature_ok(body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning(
                "Crypto Pay webhook refused: bad signature (from %s, %d bytes)",
                request.remote,
                len(body),
            )
            return web.json_response({"ok": False}, status=401)
        try:
            invoice = paid_invoice_in(body)
        except ValueError as error:
            logger.warning("Crypto Pay webhook refused: %s", error)
            return web.json_response({"ok": False}, status=400)
        if invoice is not None:
            result = await self._crypto.on_paid(invoice)
            logger.info(
                "Crypto Pay webhook for invoice %s: %s", invoice.invoice_id, type(result).__name__
            )
        return web.json_response({"ok": True})


class SePayWebhook:
    def __init__(self, bank: BankTopUps) -> None:
        self._bank = bank

    async def handle(self, request: web.Request) -> web.Response:
        if not self._bank.api_key_ok(request.headers.get("Authorization")):
            logger.warning("SePay webhook refused: bad API key (from %s)", request.remote)
            return web.json_response({"success": False}, status=401)
        body = await read_body(request)
        if body is None:
            return web.json_response({"success": False}, status=413)
        try:
            transaction = parse_transaction(body)
        except ValueError as error:
            logger.warning("SePay webhook refused: %s", error)
            return web.json_response({"success": False}, status=400)
        result = await self._bank.on_transfer(transaction)
        logger.info("SePay transaction %s: %s", transaction.id, type(result).__name__)
        # Anything but success makes SePay send it again; it is recorded, so say success.
        return web.json_response({"success": True})
