"""The balance and topping it up with every method the chat offers: Stars through an invoice
link the page opens with openInvoice, crypto through Crypto Pay's link, the bank's QR image and
code, a card transfer's instructions and then its proof. Amounts are checked with the chat's
words (shop/topup_input.py)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from decimal import Decimal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import LabeledPrice
from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json
from miniapp.front import Storefront
from miniapp.gate import Route
from miniapp.inputs import ID, body_of, path_id, text_field
from payments_api import vietqr
from shop import payment_texts
from shop.crypto_topups import NotOpened
from shop.formatting import format_money, format_number, plain_number
from shop.i18n import _
from shop.manual_topups import MAX_PROOF_TEXT, ProofTaken
from shop.order_form import BadInput
from shop.payments import STARS_CURRENCY, payload_for
from shop.topup_input import check_method_amount, check_stars_amount, range_text
from storage.payments import Method
from storage.users import User

logger = logging.getLogger(__name__)

MOVEMENTS = 20


def unavailable() -> ApiError:
    return ApiError(409, "unavailable", views.plain(payment_texts.method_unavailable()))


def amount_of(check: Callable[[], Decimal]) -> Decimal:
    try:
        return check()
    except BadInput as bad:
        raise ApiError(422, "invalid", bad.text, errors={"amount": bad.text}) from None


def preset(amount: Decimal, currency: str, extra: str = "") -> Json:
    return {"amount": str(amount), "label": format_money(amount, currency), "extra": extra}


class TopUps:
    def __init__(self, front: Storefront, bot: Bot) -> None:
        self.front = front
        self._bot = bot

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/balance", self.balance),
            Route("GET", "/topup", self.methods),
            Route("POST", "/topup", self.top_up, action=True),
            Route("POST", f"/topup/{ID}/proof", self.proof, action=True),
        ]

    async def balance(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        entries = await self.front.movements(person.id, MOVEMENTS)
        return {
            "balance": format_money(await self.front.balance(person.id), currency),
            "movements": [views.movement_row(entry, currency) for entry in entries],
        }

    async def methods(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        rate = await self.front.stars_per_unit()
        rate_text = _("Rate: 1 {currency} = {rate} ⭐")
        stars = rate_text.format(currency=currency, rate=plain_number(rate))
        methods: list[Json] = [
            {
                "method": "stars",
                "intro": stars,
                "presets": [
                    preset(option.amount, currency, f"{format_number(option.stars)} ⭐")
                    for option in await self.front.stars_options()
                ],
            }
        ]
        for method in await self.front.methods():
            limits = self.front.limits(method)
            methods.append(
                {
                    "method": method.value,
                    "intro": range_text(limits, currency),
                    "presets": [preset(amount, currency) for amount in limits.shown_presets()],
                }
            )
        return {"currency": currency, "methods": methods}

    async def _method_offered(self, raw: str) -> Method | None:
        method = next((m for m in Method if m.value == raw), None)
        return method if method in await self.front.methods() else None

    async def top_up(self, request: web.Request, person: User) -> Json:
        body = await body_of(request)
        raw_method, typed = text_field(body, "method"), text_field(body, "amount")
        currency = await self.front.currency()
        if raw_method == "stars":
            amount = amount_of(lambda: check_stars_amount(typed, currency))
            return await self._stars_invoice(person, amount, currency)
        method = await self._method_offered(raw_method)
        if method is None:
            raise unavailable()
        limits = self.front.limits(method)
        amount = amount_of(lambda: check_method_amount(typed, limits, currency))
        if method is Method.CRYPTO:
            return await self._crypto_invoice(person, amount)
        if method is Method.BANK:
            return await self._bank_request(person, amount)
        return await self._manual_request(person, amount)

    async def _stars_invoice(self, person: User, amount: Decimal, currency: str) -> Json:
        topup = await self.front.new_stars_topup(person.id, amount)
        money = format_money(amount, currency)
        try:
            url = await self._bot.create_invoice_link(
                title=payment_texts.invoice_title(),
                description=payment_texts.invoice_description(money),
                payload=payload_for(topup.id),
                currency=STARS_CURRENCY,
                prices=[LabeledPrice(label=payment_texts.invoice_label(money), amount=topup.stars)],
            )
        except TelegramBadRequest as error:
            logger.warning("Telegram refused the invoice link of top-up %s: %s", topup.id, error)
            raise ApiError(502, "refused", views.plain(payment_texts.invoice_refused())) from None
        except TelegramAPIError as error:
            logger.warning("No invoice link for top-up %s: %s", topup.id, error)
            raise ApiError(503, "telegram", _("Something went wrong. Please try again.")) from None
        return {"kind": "invoice", "url": url}

    async def _crypto_invoice(self, person: User, amount: Decimal) -> Json:
        result = await self.front.crypto_invoice(person.id, amount)
        if result is None:
            raise unavailable()
        if isinstance(result, NotOpened):
            raise ApiError(502, "not_opened", views.plain(payment_texts.crypto_not_opened()))
        text = payment_texts.crypto_invoice_text(result.payment, self.front.crypto_assets())
        return {
            "kind": "link",
            "url": result.pay_url,
            "label": views.plain(payment_texts.crypto_pay_label(result.payment)),
            "text": views.plain(text),
        }

    async def _bank_request(self, person: User, amount: Decimal) -> Json:
        opened = await self.front.bank_request(person.id, amount)
        account = self.front.bank_account()
        if opened is None or account is None:
            raise unavailable()
        payment, qr_payload = opened
        bin_, number, name = account
        text = payment_texts.bank_transfer_text(payment, vietqr.bank_name(bin_), number, name)
        qr = base64.b64encode(vietqr.png(qr_payload)).decode()
        return {
            "kind": "bank",
            "qr": f"data:image/png;base64,{qr}",
            "code": payment.code,
            "rows": views.rows(text),
        }

    async def _manual_request(self, person: User, amount: Decimal) -> Json:
        opened = await self.front.manual_request(person.id, amount)
        if opened is None:
            raise unavailable()
        payment, instructions = opened
        return {
            "kind": "manual",
            "payment": payment.id,
            "code": payment.code,
            "text": views.plain(payment_texts.manual_request_text(payment, instructions)),
            "proof_max": format_number(MAX_PROOF_TEXT),
        }

    async def proof(self, request: web.Request, person: User) -> Json:
        text = text_field(await body_of(request), "text").strip()
        if not text or len(text) > MAX_PROOF_TEXT:
            words = _("Write the transfer's details as text (1 to {max} characters).").format(
                max=format_number(MAX_PROOF_TEXT)
            )
            raise ApiError(422, "invalid", words, errors={"text": words})
        result = await self.front.manual_proof(person.id, path_id(request), text)
        if isinstance(result, ProofTaken):
            return {"ok": True, "message": views.plain(payment_texts.proof_taken(result.payment))}
        payment = None if result is None else result.payment
        return {"ok": False, "message": views.plain(payment_texts.request_closed(payment))}
