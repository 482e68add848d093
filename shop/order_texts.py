"""What a customer reads about an order, from any front door: the money lines of a confirm card,
the result of placing, an order's card, where a refill or cancel request stands, and a balance's
movements. The chat sends these as HTML (values escaped); the Mini App shows them as plain
text (miniapp/views.py takes the tags out)."""

from __future__ import annotations

import datetime as dt

from provider.errors import PanelRefused
from provider.models import ServiceType
from shop.cancels import (
    CancelAlreadyRequested,
    CancelNotOffered,
    CancelRefused,
    CancelRequested,
    CancelResult,
    CancelUnclear,
)
from shop.checkout import (
    AlreadyPlaced,
    Bill,
    Held,
    LinkBusy,
    NotEnoughBalance,
    OutOfStock,
    Placed,
    PlaceResult,
    Refused,
    ServiceGone,
)
from shop.dripfeed import dripfeed_lines, quantity_lines
from shop.formatting import format_money, format_number, quote
from shop.i18n import _, ngettext
from shop.products import ProductDraft, ProductOffer, ProductQuote
from shop.service_drafts import OrderDraft, Quote
from shop.texts import stage_label
from storage.ledger import LedgerEntry
from storage.orders import OrderKind, OrderRecord, Stage
from storage.refills import RefillRecord, RefillStage

STAGE_ICONS = {
    Stage.SUBMITTING: "⏳",
    Stage.UNCONFIRMED: "⏳",
    Stage.FAILED: "❌",
    Stage.PENDING: "🕐",
    Stage.PROCESSING: "🔄",
    Stage.IN_PROGRESS: "🔄",
    Stage.COMPLETED: "✅",
    Stage.PARTIAL: "⚠️",
    Stage.CANCELED: "❌",
}


def bill_lines(bill: Bill) -> list[str]:
    """The money part of a confirm card: price, balance now and after."""
    money = bill.currency
    return [
        _("Price: <b>{price}</b>").format(price=format_money(bill.price, money)),
        _("Your balance: {balance}").format(balance=format_money(bill.balance, money)),
        _("Balance after: {after}").format(after=format_money(bill.balance_after, money)),
    ]


def not_enough_text(bill: Bill) -> str:
    return _(
        "❌ Not enough balance.\nPrice: {price}\nYour balance: {balance}\n"
        "Missing: <b>{missing}</b>\n\nTop up your balance (see 💰 Balance) and try again."
    ).format(
        price=format_money(bill.price, bill.currency),
        balance=format_money(bill.balance, bill.currency),
        missing=format_money(bill.missing, bill.currency),
    )


def service_confirm_text(draft: OrderDraft, bill: Quote) -> str:
    service = bill.offer.service
    lines = [
        _("🧾 <b>Check your order</b>"),
        _("Service: {service}").format(service=quote(service.name)),
        _("Link: {link}").format(link=quote(draft.link)),
    ]
    if bill.offer.kind is ServiceType.CUSTOM_COMMENTS:
        lines.append(
            ngettext(
                "Comments: {count} comment", "Comments: {count} comments", bill.quantity
            ).format(count=format_number(bill.quantity))
        )
    elif draft.runs and draft.interval:
        lines += dripfeed_lines(draft.quantity, draft.runs, draft.interval)
    elif not bill.offer.is_package:
        lines.append(_("Quantity: {quantity}").format(quantity=format_number(bill.quantity)))
    if draft.lines and bill.offer.kind is ServiceType.SPECIAL:
        count = len(draft.lines)
        lines.append(
            ngettext("List: {count} line", "List: {count} lines", count).format(
                count=format_number(count)
            )
        )
    if draft.suggest:
        lines.append(_("Suggested videos: {count}").format(count=len(draft.suggest)))
    if draft.search:
        lines.append(_("Search keywords: {count}").format(count=len(draft.search)))
    return "\n".join([*lines, "", *bill_lines(bill)])


def product_card_text(offer: ProductOffer) -> str:
    product = offer.product
    if not product.in_stock:
        stock = _("⛔ Out of stock")
    elif product.inventory is not None:
        stock = _("✅ In stock: {count}").format(count=format_number(product.inventory))
    else:
        stock = _("✅ In stock")
    lines = [
        f"<b>{quote(product.name)}</b>",
        _("Price: {price} each").format(price=format_money(offer.unit_price, offer.currency)),
        _("Quantity: from {min} to {max}").format(
            min=format_number(product.min_quantity), max=format_number(product.max_quantity)
        ),
        stock,
    ]
    if product.type:
        kind = _("Automatic") if product.type.lower() == "auto" else _("Delivered by the seller")
        lines.append(_("Delivery: {kind}").format(kind=kind))
    if product.require:
        lines.append(_("You will be asked for: {what}").format(what=quote(product.require)))
    return "\n".join(lines)


def product_confirm_text(draft: ProductDraft, bill: ProductQuote) -> str:
    lines = [
        _("🧾 <b>Check your order</b>"),
        _("Product: {name}").format(name=quote(bill.offer.product.name)),
        _("Quantity: {quantity}").format(quantity=format_number(bill.quantity)),
    ]
    if draft.require:
        lines.append(_("Will be sent: {what}").format(what=f"<code>{quote(draft.require)}</code>"))
    return "\n".join([*lines, "", *bill_lines(bill)])


def placed_text(order: OrderRecord, currency: str) -> str:
    """An order placed: a drip-feed one with its runs, any other with its quantity."""
    fields: dict[str, object] = {
        "id": order.id,
        "service": quote(order.service_name),
        "price": format_money(order.price, currency),
    }
    if order.runs and order.interval:
        text = _(
            "✅ <b>Order #{id} placed.</b>\n{service}\n{dripfeed}\nPaid: {price}\n\n"
            "I will tell you when it is done. Follow it in 📦 My orders."
        )
        fields["dripfeed"] = "\n".join(dripfeed_lines(order.quantity, order.runs, order.interval))
    else:
        text = _(
            "✅ <b>Order #{id} placed.</b>\n{service}\nQuantity: {quantity}\nPaid: {price}\n\n"
            "I will tell you when it is done. Follow it in 📦 My orders."
        )
        fields["quantity"] = format_number(order.quantity)
    return text.format(**fields)


def result_text(result: PlaceResult | OutOfStock) -> str:
    match result:
        case Placed(order=order, currency=currency):
            return placed_text(order, currency)
        case Refused(order=order, panel_out_of_funds=True):
            return _(
                "❌ Order #{id} could not be placed: the shop cannot take orders right now. "
                "Please try again later.\nYour money is back on your balance."
            ).format(id=order.id)
        case Refused(order=order, service_unavailable=True):
            return _(
                "❌ Order #{id} could not be placed: this service is not available right now. "
                "Please try again later or choose another one.\nYour money is back on your balance."
            ).format(id=order.id)
        case Refused(order=order, reason=reason):
            return _(
                "❌ The provider refused order #{id}: {reason}\nYour money is back on your balance."
            ).format(id=order.id, reason=quote(reason))
        case Held(order=order):
            return _(
                "⏳ Order #{id} is being checked: the provider did not answer clearly. "
                "Your money is held, not lost; we will confirm or refund it soon."
            ).format(id=order.id)
        case NotEnoughBalance(quote=bill):
            return not_enough_text(bill)
        case ServiceGone():
            return _("This service is no longer available. Nothing was charged.")
        case AlreadyPlaced(order=order):
            return _("This order was already placed: #{id}.").format(id=order.id)
        case LinkBusy(order=order):
            return _(
                "Order #{id} of this service for this link is still in progress. "
                "Please wait until it is completed. Nothing was charged."
            ).format(id=order.id)
        case OutOfStock():
            return _("Sorry, this product has just sold out. Nothing was charged.")


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def refill_line(refill: RefillRecord) -> str:
    states = {
        RefillStage.PENDING: _("in progress"),
        RefillStage.IN_PROGRESS: _("in progress"),
        RefillStage.COMPLETED: _("completed"),
        RefillStage.REJECTED: _("rejected by the provider"),
    }
    return _("♻️ Refill requested {when} — {state}").format(
        when=when(refill.created_at), state=states[refill.stage]
    )


def cancel_line(order: OrderRecord) -> str | None:
    """Where the person's cancel request stands, if they made one."""
    if order.cancel_requested_at is None:
        return None
    asked = when(order.cancel_requested_at)
    if order.cancel_error:
        return _("✖️ Cancel refused: {reason}").format(reason=quote(order.cancel_error))
    if order.stage in (Stage.CANCELED, Stage.PARTIAL):
        return _("✖️ Canceled as you asked ({when})").format(when=asked)
    if order.stage.is_final:
        return _("✖️ Cancel requested {when}, but the order was finished first").format(when=asked)
    return _("✖️ Cancel requested {when} — waiting for the provider").format(when=asked)


def order_card_text(order: OrderRecord, currency: str, refill: RefillRecord | None = None) -> str:
    lines = [
        _("📦 <b>Order #{id}</b>").format(id=order.id),
        quote(order.service_name),
        _("Link: {link}").format(link=quote(order.link))
        if order.kind is OrderKind.SERVICE
        else _("Product order"),
        *quantity_lines(order),
        _("Price: {price}").format(price=format_money(order.price, currency)),
        _("Status: {status}").format(
            status=f"{STAGE_ICONS[order.stage]} {stage_label(order.stage)}"
        ),
    ]
    if order.start_count is not None:
        lines.append(_("Start count: {count}").format(count=format_number(order.start_count)))
    if order.remains is not None and order.stage is not Stage.COMPLETED:
        lines.append(_("Remains: {count}").format(count=format_number(max(order.remains, 0))))
    if order.refunded > 0:
        lines.append(_("Refunded: {amount}").format(amount=format_money(order.refunded, currency)))
    if order.require_text:
        lines.append(_("Sent: {what}").format(what=f"<code>{quote(order.require_text)}</code>"))
    if order.note:
        lines.append(_("Note: {note}").format(note=quote(order.note)))
    if order.stage is Stage.FAILED and order.error:
        # The panel's "not enough funds" is about the shop's own panel account, not theirs.
        reason = (
            _("the shop cannot take orders right now")
            if PanelRefused(order.error).is_out_of_funds
            else order.error
        )
        lines.append(_("Reason: {reason}").format(reason=quote(reason)))
    lines.append(_("Placed: {when}").format(when=when(order.created_at)))
    requests = [refill_line(refill) if refill else None, cancel_line(order)]
    return "\n".join(lines + [line for line in requests if line])


def refill_requested() -> str:
    return _("Refill requested. I will tell you when it is done.")


def cancel_question(order: OrderRecord) -> str:
    return _(
        "✖️ <b>Cancel order #{id}?</b>\n{service}\n\n"
        "The provider is asked to stop it. If it has not started, the whole price comes back to "
        "your balance; if delivery has started, the undelivered part does. The refund comes "
        "when the provider confirms the cancel."
    ).format(id=order.id, service=quote(order.service_name))


def cancel_outcome_text(result: CancelResult) -> str:
    match result:
        case CancelRequested():
            return _("Cancel requested. The refund follows when the provider cancels it.")
        case CancelRefused():
            return _("The provider refused to cancel this order.")
        case CancelUnclear():
            return _(
                "The provider did not answer clearly. The request stands; check the order later."
            )
        case CancelAlreadyRequested():
            return _("A cancel request for this order was already sent.")
        case CancelNotOffered():
            return _("This order can no longer be canceled.")


def movement(entry: LedgerEntry) -> str:
    what = {
        "credit": _("Top-up"),
        "debit": _("Adjustment"),
        "order": _("Order #{ref}"),
        "refund": _("Refund for order #{ref}"),
        "topup": _("Top-up in Telegram Stars"),
        "topup_crypto": _("Top-up in crypto"),
        "topup_bank": _("Top-up by bank transfer"),
        "topup_manual": _("Top-up by card transfer"),
        "topup_refund": _("Stars payment refunded"),
        "topup_refund_reverted": _("Stars refund cancelled"),
        "promo": _("Promo code"),
        "referral": _("Invitation reward"),
        "referral_reversed": _("Invitation reward taken back (refund)"),
        "referral_restored": _("Invitation reward returned"),
    }.get(entry.kind, entry.kind)
    return what.format(ref=quote(entry.reference))
