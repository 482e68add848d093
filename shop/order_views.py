"""Orders as the panel family's API v2 describes them (`/work/shared/panel-api.md`): what the
reseller API's `status` answers and what a status callback carries, written once here.

Money is a plain decimal string ("2.5", "0.27819"), never through a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shop.dripfeed import total_quantity
from storage.orders import OrderRecord, OrderSnapshot, Stage
from storage.refills import RefillRecord, RefillStage

Described = OrderRecord | OrderSnapshot  # a whole order, or what a status reads of it


def money(value: Decimal) -> str:
    """2.5, 0.27819, 0: no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


# Our stages as the family names them. Held for /resolve is still Pending to a reseller: the
# order may exist, the money is held, and an admin settles it.
STATUS_NAMES = {
    Stage.SUBMITTING: "Pending",
    Stage.UNCONFIRMED: "Pending",
    Stage.PENDING: "Pending",
    Stage.PROCESSING: "Processing",
    Stage.IN_PROGRESS: "In progress",
    Stage.COMPLETED: "Completed",
    Stage.PARTIAL: "Partial",
    Stage.CANCELED: "Canceled",
    Stage.FAILED: "Canceled",  # refused, or settled as not placed: refunded in full
}
REFILL_NAMES = {
    RefillStage.PENDING: "Pending",
    RefillStage.IN_PROGRESS: "In progress",
    RefillStage.COMPLETED: "Completed",
    RefillStage.REJECTED: "Rejected",
}


def status_and_remains(order: Described) -> tuple[str, int | None]:
    """The family's status and remains of an order: a refunded order is Canceled (all of it
    back) or Partial with the undelivered share it refunded (an admin's refund by hand)."""
    total = total_quantity(order.quantity, order.runs)  # every run of a drip-fed order
    status = STATUS_NAMES[order.stage]
    if order.price > 0 and order.refunded >= order.price:
        return "Canceled", total
    if order.stage is Stage.FAILED:
        return "Canceled", total
    if order.refunded > 0 and order.stage is Stage.COMPLETED:
        share = int(total * order.refunded / order.price)
        return "Partial", max(order.remains or 0, share)
    if order.remains is None and not order.stage.is_final:
        return status, total  # nothing delivered yet, as far as we know
    return status, order.remains


def order_view(order: Described, currency: str) -> dict[str, Any]:
    """`status` of one service order: charge is what the reseller paid (after refunds)."""
    status, remains = status_and_remains(order)
    return {
        "charge": money(order.price - order.refunded),
        "start_count": None if order.start_count is None else str(order.start_count),
        "status": status,
        "remains": None if remains is None else str(remains),
        "currency": currency,
    }


def product_order_view(order: Described, currency: str) -> dict[str, Any]:
    """`product_order_status` of one product order: the result once delivered."""
    status, remains = status_and_remains(order)
    if status == "Processing":
        status = "In progress"  # products have no Processing
    view: dict[str, Any] = {
        "charge": money(order.price - order.refunded),
        "status": status,
        "currency": currency,
    }
    if status == "Partial" and remains is not None:
        view["remains"] = str(remains)
    if order.result:
        view["result"] = order.result
    if order.note:
        view["note"] = order.note
    return view


def refill_status(refill: RefillRecord) -> str:
    return REFILL_NAMES[refill.stage]
