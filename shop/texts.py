"""Texts the shop's rules produce outside a conversation: notifications and admin alerts.

Admin alerts stay English; what a customer reads goes through gettext in their language.
"""

from __future__ import annotations

from decimal import Decimal

from provider.models import ProductOrderState
from shop.formatting import format_money, format_number, quote
from shop.i18n import _, in_language
from storage.broadcasts import BroadcastProgress
from storage.catalog import SyncResult
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


def account_suspended() -> str:
    """What a banned person reads, wherever they knock (the chat, the Mini App)."""
    return _("Your account is suspended. Please contact the shop's support.")


def credited(
    amount: Decimal, balance: Decimal, currency: str, note: str, language: str | None
) -> str:
    with in_language(language):
        text = _("💰 Your balance was credited with {amount}.\nBalance now: {balance}.").format(
            amount=format_money(amount, currency), balance=format_money(balance, currency)
        )
        if note:
            text += "\n" + _("Note: {note}").format(note=quote(note))
        return text


def admin_panel_out_of_funds(order_id: int) -> str:
    return (
        f"⚠️ The panel refused order #{order_id}: <b>not enough funds on the panel balance</b>.\n"
        "Top up your panel account; customers cannot order until then."
    )


def admin_no_route_left(order: OrderRecord, attempts: list[str]) -> str:
    lines = "\n".join(f"• {quote(attempt)}" for attempt in attempts) or "• no route sells it"
    return (
        f"⚠️ No panel took order #{order.id} (service {order.service_id}, "
        f"{quote(order.service_name)}); it was refunded.\n{lines}\n"
        f"Check its routes: /route {order.service_id}"
    )


def admin_order_unconfirmed(order: OrderRecord, reason: str) -> str:
    service = f"{quote(order.service_name)} ({order.service_id})"
    with in_language(None):  # admin alerts read English, whoever's order raised them
        quantity = format_number(order.quantity)
    if order.runs:  # drip-feed: the panel shows the total
        quantity += f" x {order.runs} runs every {order.interval} min"
    return (
        f"⚠️ Order #{order.id} is <b>unconfirmed</b> on panel {order.panel}: {quote(reason)}.\n"
        f"User {order.user_id}, service {service}, "
        f"quantity {quantity}, link {quote(order.link)}.\n"
        f"The money is held. Check the panel, then /resolve {order.id} PANEL_ORDER_ID "
        f"or /resolve {order.id} refund."
    )


def admin_cancel_unclear(order: OrderRecord, reason: str) -> str:
    return (
        f"⚠️ The cancel request of order #{order.id} got <b>no clear answer</b> from panel "
        f"{order.panel}: {quote(reason)}.\n"
        f"User {order.user_id}, service {quote(order.service_name)} ({order.service_id}), "
        f"panel order {order.panel_order_id}.\n"
        "It was not sent again. Check the order on the panel: a refund follows its status "
        f"by itself (/order {order.id})."
    )


def admin_order_settled(order: OrderRecord) -> str:
    """Why an order can no longer be resolved: what already happened to it, and by whom."""
    who = f" by admin {order.resolved_by}" if order.resolved_by else ""
    if order.stage is Stage.FAILED and order.refunded >= order.price:
        done = f"it was already refunded in full{who}"
    elif order.resolved_by and order.panel_order_id is not None:
        done = f"it was already attached{who} to panel order {order.panel_order_id}"
    elif order.panel_order_id is not None:
        done = f"it is panel order {order.panel_order_id}, {order.stage.value}"
    else:
        done = f"it is {order.stage.value}"
    return f"order #{order.id} is not unconfirmed any more: {done}"


def refill_not_offered() -> str:
    return _("Refill is not available for this order.")


def refill_already_pending() -> str:
    return _("A refill for this order is already in progress.")


def refill_refused(reason: str) -> str:
    return _("The provider refused the refill: {reason}").format(reason=quote(reason))


def panel_unavailable() -> str:
    return _("The provider is not answering right now. Please try again later.")


def unconfirmed_refunded(
    order: OrderRecord, amount: Decimal, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _(
            "↩️ Order #{id} could not be placed with the provider.\n"
            "{amount} was returned to your balance."
        ).format(id=order.id, amount=format_money(amount, currency))


def order_held(order: OrderRecord, language: str | None) -> str:
    """An order the bot was placing when it stopped: it may or may not exist on the panel."""
    with in_language(language):
        return _(
            "⏳ Order #{id} is being checked: the bot restarted while placing it. "
            "Your money is held, not lost; we will confirm or refund it soon."
        ).format(id=order.id)


def refill_finished(order_id: int, completed: bool, language: str | None) -> str:
    with in_language(language):
        if completed:
            return _("♻️ The refill of order #{id} is completed.").format(id=order_id)
        return _("The provider rejected the refill of order #{id}.").format(id=order_id)


def admin_order_missing(order: OrderRecord, answers: int) -> str:
    return (
        f'⚠️ The panel answered "Incorrect order ID" {answers} times for order #{order.id} '
        f"(panel id {order.panel_order_id}). Check it with /order {order.id}."
    )


def admin_orders_stuck(orders: list[OrderRecord], hours: float) -> str:
    listed = ", ".join(f"#{order.id}" for order in orders[:30])
    more = f" and {len(orders) - 30} more" if len(orders) > 30 else ""
    return f"⏰ {len(orders)} orders made no progress for {hours:g} h: {listed}{more}."


# Telegram allows 4,096 characters a message; results are split well below, on line breaks.
RESULT_CHUNK = 3500


def split_result(result: str, size: int = RESULT_CHUNK) -> list[str]:
    """Split a delivered result into pieces of at most `size`, preferring line breaks."""
    pieces, rest = [], result.strip()
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        cut = cut if cut > size // 2 else size
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        pieces.append(rest)
    return pieces


def result_messages(header: str, result: str) -> list[str]:
    """The header, then the result in monospace (easy to copy), split as Telegram requires."""
    pieces = split_result(result)
    if not pieces:
        return [header]
    messages = [f"{header}\n<pre>{quote(pieces[0])}</pre>"]
    total = len(pieces)
    for number, piece in enumerate(pieces[1:], start=2):
        messages.append(f"({number}/{total})\n<pre>{quote(piece)}</pre>")
    return messages


def product_order_finished(
    order: OrderRecord, stage: Stage, state: ProductOrderState, refund: Decimal, currency: str
) -> list[str]:
    """What a buyer reads when a product order ends (in the current language)."""
    name = quote(order.service_name)
    if stage is Stage.COMPLETED:
        header = _("🎁 Order #{id} is delivered: {name} × {quantity}").format(
            id=order.id, name=name, quantity=format_number(order.quantity)
        )
        return result_messages(header, state.result)
    if stage is Stage.PARTIAL:
        remains = min(max(state.remains or 0, 0), order.quantity)
        header = _(
            "⚠️ Order #{id} was partially delivered: {name}\n"
            "Delivered: {delivered} of {quantity}\nRefunded to your balance: {refund}"
        ).format(
            id=order.id,
            name=name,
            delivered=format_number(order.quantity - remains),
            quantity=format_number(order.quantity),
            refund=format_money(refund, currency),
        )
        return result_messages(header, state.result)
    text = _("❌ Order #{id} was canceled: {name}\nRefunded to your balance: {refund}").format(
        id=order.id, name=name, refund=format_money(refund, currency)
    )
    if state.note:
        text += "\n" + _("Reason: {note}").format(note=quote(state.note))
    return [text]


def refunded_by_shop(
    order: OrderRecord, amount: Decimal, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _("↩️ The shop refunded {amount} for order #{id}.").format(
            amount=format_money(amount, currency), id=order.id
        )


def broadcast_progress_line(broadcast_id: int, progress: BroadcastProgress) -> str:
    """What a broadcast's progress message says."""
    return f"#{broadcast_id} " + broadcast_progress(
        progress.sent, progress.failed, progress.blocked, progress.pending, progress.status
    )


def broadcast_progress(sent: int, failed: int, blocked: int, pending: int, status: str) -> str:
    state = {"running": "⏳ sending", "done": "✅ done", "canceled": "✖️ canceled"}.get(
        status, status
    )
    return (
        f"📣 Broadcast {state}\n"
        f"Sent: {format_number(sent)} · failed: {format_number(failed)} · "
        f"blocked: {format_number(blocked)} · waiting: {format_number(pending)}"
    )


def admin_catalog_changes(result: SyncResult) -> str:
    """What a scheduled sync changed that the owner should know; "" when nothing."""
    lines = []
    if result.removed:
        shown = ", ".join(str(i) for i in result.removed[:20])
        more = f" and {len(result.removed) - 20} more" if len(result.removed) > 20 else ""
        lines.append(f"🗑 {len(result.removed)} services disappeared from the panel: {shown}{more}.")
    if result.rate_rises:
        lines.append(f"📈 {len(result.rate_rises)} services got more expensive on the panel:")
        lines += [f"  {sid}: {old} → {new}" for sid, old, new in result.rate_rises[:20]]
        lines.append("Your prices follow the new rates automatically.")
    return "\n".join(lines)
