"""Texts the shop's rules produce outside a conversation: notifications and admin alerts.

Admin alerts stay English; what a customer reads goes through gettext in their language.
"""

from __future__ import annotations

from decimal import Decimal

from aiogram import html
from aiogram.utils.i18n import gettext as _

from bot.formatting import format_money, format_number
from bot.i18n import in_language
from storage.orders import OrderRecord, Stage


def stage_label(stage: Stage) -> str:
    labels = {
        Stage.SUBMITTING: _("Being placed"),
        Stage.UNCONFIRMED: _("Being checked"),
        Stage.FAILED: _("Failed (refunded)"),
        Stage.PENDING: _("Pending"),
        Stage.PROCESSING: _("Processing"),
        Stage.IN_PROGRESS: _("In progress"),
        Stage.COMPLETED: _("Completed"),
        Stage.PARTIAL: _("Partially completed"),
        Stage.CANCELED: _("Canceled (refunded)"),
    }
    return labels[stage]


def credited(
    amount: Decimal, balance: Decimal, currency: str, note: str, language: str | None
) -> str:
    with in_language(language):
        text = _("💰 Your balance was credited with {amount}.\nBalance now: {balance}.").format(
            amount=format_money(amount, currency), balance=format_money(balance, currency)
        )
        if note:
            text += "\n" + _("Note: {note}").format(note=html.quote(note))
        return text


def admin_panel_out_of_funds(order_id: int) -> str:
    return (
        f"⚠️ The panel refused order #{order_id}: <b>not enough funds on the panel balance</b>.\n"
        "Top up your panel account; customers cannot order until then."
    )


def admin_order_unconfirmed(order: OrderRecord, reason: str) -> str:
    service = f"{html.quote(order.service_name)} ({order.service_id})"
    return (
        f"⚠️ Order #{order.id} is <b>unconfirmed</b>: {html.quote(reason)}.\n"
        f"User {order.user_id}, service {service}, "
        f"quantity {format_number(order.quantity)}, link {html.quote(order.link)}.\n"
        f"The money is held. Check the panel, then /resolve {order.id} PANEL_ORDER_ID "
        f"or /resolve {order.id} refund."
    )
