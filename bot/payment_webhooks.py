"""The payment services' webhooks as aiohttp handlers, for the bot's web server to mount:

    add_payment_webhooks(app, services)

registers POST routes under paths derived from each service's secret (nothing to guess):
`/pay/cryptopay/<32 hex>` (Crypto Pay's `invoice_paid`, checked with the
`crypto-pay-api-signature` HMAC) and `/pay/sepay/<32 hex>` (SePay's transfers, checked with
`Authorization: Apikey ...`). A request that fails the check is refused and logged without its
body. Bodies are read through webio (whole, at most 256 KB, JSON at most 8 deep, numbers
exact); a body that is not the provider's, or names an amount no payment can have, gets 400
with a short reason (`{"ok": false, "error": ...}` for Crypto Pay, `{"success": false,
"message": ...}` for SePay), never a 500. Crediting is the shop's (once per the provider's id,
whatever retries arrive).
"""

from __future__ import annotations

import logging

from aiohttp import web

from payments_api.cryptopay import SIGNATURE_HEADER, paid_invoice_in
from payments_api.sepay import parse_transaction
from shop.bank_topups import BankTopUps, TransferRefused
from shop.crypto_topups import CryptoTopUps
from shop.services import Services
from webio import BadRequest, json_error, parse_json, read_body, read_json

logger = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
MAX_DEPTH = 8  # a Crypto Pay update nests 2 deep, a SePay transaction 1
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


class CryptoPayWebhook:
    def __init__(self, crypto: CryptoTopUps) -> None:
        self._crypto = crypto

    async def handle(self, request: web.Request) -> web.Response:
        try:
            # The signature is over the exact bytes: read them whole before anything else.
            body = await read_body(request, max_bytes=MAX_BODY)
        except BadRequest as error:
            return self._refused(request, error)
        if not self._crypto.client.signature_ok(body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning(
                "Crypto Pay webhook refused: bad signature (from %s, %d bytes)",
                request.remote,
                len(body),
            )
            return json_error(BadRequest(401, "bad signature"))
        try:
            data = parse_json(body, max_depth=MAX_DEPTH)
            if not isinstance(data, dict):
                raise BadRequest(400, "the body is not a JSON object")
            invoice = paid_invoice_in(data)
        except ValueError as error:
            return self._refused(request, BadRequest(400, str(error)))
        except BadRequest as error:
            return self._refused(request, error)
        if invoice is not None:
            result = await self._crypto.on_paid(invoice)
            logger.info(
                "Crypto Pay webhook for invoice %s: %s", invoice.invoice_id, type(result).__name__
            )
        return web.json_response({"ok": True})

    @staticmethod
    def _refused(request: web.Request, error: BadRequest) -> web.Response:
        logger.warning("Crypto Pay webhook refused (%s): %s", request.remote, error)
        return json_error(error)


class SePayWebhook:
    def __init__(self, bank: BankTopUps) -> None:
        self._bank = bank

    async def handle(self, request: web.Request) -> web.Response:
        if not self._bank.api_key_ok(request.headers.get("Authorization")):
            logger.warning("SePay webhook refused: bad API key (from %s)", request.remote)
            return self._answer(BadRequest(401, "bad API key"))
        try:
            data = await read_json(request, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)
            transaction = parse_transaction(data)
        except ValueError as error:
            return self._refused(request, BadRequest(400, str(error)))
        except BadRequest as error:
            return self._refused(request, error)
        result = await self._bank.on_transfer(transaction)
        if isinstance(result, TransferRefused):
            return self._refused(request, BadRequest(400, result.reason), transaction.id)
        logger.info("SePay transaction %s: %s", transaction.id, type(result).__name__)
        # Anything but success makes SePay send it again; it is recorded, so say success.
        return web.json_response({"success": True})

    @classmethod
    def _refused(
        cls, request: web.Request, error: BadRequest, transaction_id: str = ""
    ) -> web.Response:
        # SePay sends it again 7 times, then shows the owner the delivery as Failed.
        which = f" transaction {transaction_id}" if transaction_id else ""
        logger.warning("SePay webhook%s refused (%s): %s", which, request.remote, error)
        return cls._answer(error)

    @staticmethod
    def _answer(error: BadRequest) -> web.Response:
        return web.json_response({"success": False, "message": error.reason}, status=error.status)
