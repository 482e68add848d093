"""An amount typed for a top-up, checked against what the method takes, with the chat's words.

The chat (handlers/customer/topup.py, pay.py) and the Mini App (miniapp/) both call these, so a
bad amount reads the same on either side. A bad amount raises BadInput (shop/order_form.py).
"""

from __future__ import annotations

from decimal import Decimal

from shop.formatting import format_money, format_number
from shop.i18n import _
from shop.order_form import BadInput
from shop.payments import TOPUP_MAX, TOPUP_MIN, amount_allowed
from shop.pricing import parse_amount
from shop.topups import Limits


def check_stars_amount(text: str | None, currency: str) -> Decimal:
    """An amount to pay in Telegram Stars: TOPUP_MIN..TOPUP_MAX of the shop's currency."""
    amount = parse_amount(text or "")
    if amount is None:
        raise BadInput(
            _("That is not an amount. Send a number from {min} to {max}, e.g. 15 or 7.50.").format(
                min=format_number(int(TOPUP_MIN)), max=format_number(int(TOPUP_MAX))
            )
        )
    if not amount_allowed(amount):
        raise BadInput(
            _("The amount must be from {min} to {max}.").format(
                min=format_money(TOPUP_MIN, currency), max=format_money(TOPUP_MAX, currency)
            )
        )
    return amount


def range_text(limits: Limits, currency: str) -> str:
    return _("from {min} to {max}").format(
        min=format_money(limits.minimum, currency), max=format_money(limits.maximum, currency)
    )


def check_method_amount(text: str | None, limits: Limits, currency: str) -> Decimal:
    """An amount to pay by crypto, bank or card transfer, within the method's limits."""
    amount = parse_amount(text or "")
    if amount is not None and limits.allows(amount):
        return amount
    problem = _("That is not an amount.") if amount is None else _("That amount is out of range.")
    raise BadInput(
        problem + " " + _("Send a number {range}.").format(range=range_text(limits, currency))
    )
