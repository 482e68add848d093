"""What the Mini App's API answers: the shop's objects as JSON, money and numbers already written
as the chat writes them (shop/formatting.py), in the person's language.

Texts shared with the chat are HTML there (values escaped, a few tags); `plain` turns them into
the text the page inserts as text. Nothing here is ever inserted into the page as HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

from provider.models import ServiceType
from shop.checkout import Bill
from shop.dripfeed import MAX_INTERVAL, MIN_INTERVAL, MIN_RUNS, offers_dripfeed, order_total
from shop.formatting import format_money, format_number
from shop.i18n import _, ngettext
from shop.offers import Offer
from shop.order_form import Checked, runs_limit, service_fields
from shop.order_input import MAX_LIST_LINES
from shop.order_texts import STAGE_ICONS, movement, order_card_text
from shop.paging import Page
from shop.products import MAX_REQUIRE_LENGTH, ProductOffer
from shop.texts import stage_label
from storage.catalog import Category, ServiceRecord
from storage.ledger import LedgerEntry
from storage.orders import OrderKind, OrderRecord, Stage
from storage.products import ProductRecord
from storage.refills import RefillRecord

Json = dict[str, Any]
# The tags our own texts use (shop/order_texts.py and friends); values inside are escaped.
TAG = re.compile(r"</?(?:b|i|u|s|code|pre|a)(?:\s[^<>]*)?>", re.IGNORECASE)
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
MAX_DESCRIPTION = 2000
# How the page colours an order's status pill.
TONES = {
    Stage.SUBMITTING: "waiting",
    Stage.UNCONFIRMED: "waiting",
    Stage.PENDING: "waiting",
    Stage.PROCESSING: "active",
    Stage.IN_PROGRESS: "active",
    Stage.COMPLETED: "done",
    Stage.PARTIAL: "partial",
    Stage.CANCELED: "failed",
    Stage.FAILED: "failed",
}


def plain(text: str) -> str:
    """A text of ours written for the chat's HTML, as plain text."""
    return html.unescape(TAG.sub("", text))


def rows(text: str) -> list[Json]:
    """A chat card's lines as label/value rows ("Price: 2.50 USD" -> Price | 2.50 USD); a line
    without a label is a row of its own. Empty lines are dropped."""
    found = []
    for line in plain(text).split("\n"):
        if not line.strip():
            continue
        label, sep, value = line.partition(": ")
        found.append({"label": label, "value": value} if sep else {"label": "", "value": line})
    return found


def page_of(page: Page[Any], items: list[Json]) -> Json:
    return {"items": items, "page": page.page, "pages": page.pages, "total": page.total}


def when(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# ---- the catalog ---------------------------------------------------------------------------------


def category(item: Category) -> Json:
    return {"id": item.id, "name": item.name, "count": format_number(item.service_count)}


def badges(offer: Offer) -> list[str]:
    found = []
    if offer.service.refill:
        found.append("refill")
    if offer.service.cancel:
        found.append("cancel")
    if offers_dripfeed(offer):
        found.append("dripfeed")
    return found


def service_row(offer: Offer) -> Json:
    service = offer.service
    return {
        "id": service.id,
        "name": service.name,
        "price": format_money(offer.unit_price, offer.currency),
        "per": "package" if offer.is_package else "thousand",
        "min": None if offer.is_package else format_number(service.min_quantity),
        "max": None if offer.is_package else format_number(service.max_quantity),
        "badges": badges(offer),
    }


def gone_row(service: ServiceRecord) -> Json:
    """A service listed but sold nowhere right now (its panel is off): shown, not ordered."""
    return {"id": service.id, "name": service.name, "price": None, "badges": []}


def service_page(offer: Offer) -> Json:
    service = offer.service
    description = BREAK.sub("\n", service.description or "").strip()[:MAX_DESCRIPTION]
    limits: Json = {
        "list": {"min": format_number(1), "max": format_number(MAX_LIST_LINES)},
        "interval": {"min": format_number(MIN_INTERVAL), "max": format_number(MAX_INTERVAL)},
        "runs": {"min": format_number(MIN_RUNS)},
    }
    if offer.kind is ServiceType.CUSTOM_COMMENTS:
        limits["comments"] = {
            "min": format_number(service.min_quantity),
            "max": format_number(service.max_quantity),
        }
    return {
        **service_row(offer),
        "category": service.category,
        "description": description,
        "fields": service_fields(offer),
        "limits": limits,
    }


def found_text(total: int) -> str:
    return ngettext("{count} service found", "{count} services found", total).format(
        count=format_number(total)
    )


# ---- a form, checked -----------------------------------------------------------------------------


def checked(
    result: Checked[Any], offer: Offer | None, price: Decimal | None, currency: str
) -> Json:
    """Each wrong field's words; the live price and how much it pays for, once known."""
    answer: Json = {
        "errors": result.errors,
        "price": None if price is None else format_money(price, currency),
        "quantity": None if result.quantity is None else format_number(result.quantity),
    }
    if offer is not None and offer.kind is ServiceType.CUSTOM_COMMENTS and result.quantity:
        answer["count_text"] = ngettext(
            "Comments: {count} comment", "Comments: {count} comments", result.quantity
        ).format(count=format_number(result.quantity))
    draft = result.draft
    quantity = getattr(draft, "quantity", 0) if draft is not None else 0
    if offer is not None and "runs" in service_fields(offer) and quantity:
        answer["runs_max"] = format_number(runs_limit(offer, quantity))
    return answer


def confirm(card_text: str, bill: Bill, draft_key: str) -> Json:
    """The confirm screen: the chat's card as rows (its title left out), the money apart."""
    money = bill.currency
    return {
        "draft": draft_key,
        "rows": rows(card_text)[1:],
        "price": format_money(bill.price, money),
        "balance": format_money(bill.balance, money),
        "balance_after": format_money(bill.balance_after, money),
        "missing": format_money(bill.missing, money) if bill.missing > 0 else None,
    }


# ---- products ------------------------------------------------------------------------------------


def product_category(item: Category) -> Json:
    return category(item)


def product_row(product: ProductRecord, offer: ProductOffer | None) -> Json:
    return {
        "id": product.id,
        "name": product.name,
        "price": None if offer is None else format_money(offer.unit_price, offer.currency),
        "in_stock": product.in_stock,
        "stock": None if product.inventory is None else format_number(product.inventory),
    }


def product_page(offer: ProductOffer, card_text: str) -> Json:
    product = offer.product
    return {
        **product_row(product, offer),
        "rows": rows(card_text)[1:],  # the name is the page's title
        "min": format_number(product.min_quantity),
        "max": format_number(product.max_quantity),
        "require": product.require or "",
        "require_max": format_number(MAX_REQUIRE_LENGTH),
        "fields": ["quantity", "require"] if product.require else ["quantity"],
    }


# ---- orders --------------------------------------------------------------------------------------


def progress(order: OrderRecord) -> Json | None:
    """Delivered of ordered, when the panel has said how much remains (or it is complete)."""
    total = order_total(order)
    if order.kind is OrderKind.PRODUCT or total <= 0:
        return None
    if order.stage is Stage.COMPLETED:
        done = total
    elif order.remains is not None:
        done = min(total, max(0, total - order.remains))
    else:
        return None
    return {
        "done": format_number(done),
        "total": format_number(total),
        "percent": round(100 * done / total),
    }


def order_card(order: OrderRecord, currency: str, *, can_refill: bool, can_cancel: bool) -> Json:
    return {
        "id": order.id,
        "number": f"#{order.id}",
        "name": order.service_name,
        "product": order.kind is OrderKind.PRODUCT,
        "status": stage_label(order.stage),
        "icon": STAGE_ICONS[order.stage],
        "tone": TONES[order.stage],
        "progress": progress(order),
        "runs": format_number(order.runs) if order.runs else None,
        "price": format_money(order.price, currency),
        "when": when(order.created_at),
        "can_refill": can_refill,
        "can_cancel": can_cancel,
        "has_result": bool(order.result),
    }


def order_detail(
    order: OrderRecord,
    currency: str,
    refill: RefillRecord | None,
    *,
    can_refill: bool,
    can_cancel: bool,
) -> Json:
    """The list's card, with the chat's card as rows (its title, name and status left out: the
    page shows them above) and a product's result to copy."""
    card = order_card(order, currency, can_refill=can_refill, can_cancel=can_cancel)
    status = f"{STAGE_ICONS[order.stage]} {stage_label(order.stage)}"  # the page's pill says it
    card["rows"] = [
        row for row in rows(order_card_text(order, currency, refill))[2:] if row["value"] != status
    ]
    card["result"] = order.result or None
    return card


# ---- the balance ---------------------------------------------------------------------------------


def movement_row(entry: LedgerEntry, currency: str) -> Json:
    sign = "+" if entry.amount > 0 else "−"
    return {
        "amount": f"{sign}{format_money(abs(entry.amount), currency)}",
        "credit": entry.amount > 0,
        "what": plain(movement(entry)),
    }


def banned(text: str) -> Json:
    return {"error": "banned", "title": _("Account suspended"), "message": text}
