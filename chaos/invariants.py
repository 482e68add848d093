"""The money rules, checked in the bot's SQLite file after a trial (read-only, through storage).

The ledger's UNIQUE (kind, reference) stops the same row twice; these checks look for the
business meaning of "applied twice": an order refunded as never placed yet attached to a panel
order, refunds that do not add up to the order's `refunded`, a charge with no order.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from storage.db import Database
from storage.ledger import LedgerEntry
from storage.orders import OrderRecord, Stage

REFUND_KINDS = ("refund", "admin_refund")
MAX_SHOWN = 5  # problems of one kind listed before "and N more"


async def money_problems(db: Database) -> list[str]:
    orders = {row["id"]: OrderRecord.from_row(row) for row in await db.fetchall(
        "SELECT * FROM orders ORDER BY id")}  # fmt: skip
    entries = [LedgerEntry.from_row(row) for row in await db.fetchall(
        "SELECT * FROM ledger ORDER BY id")]  # fmt: skip
    problems = await balance_problems(db, entries)
    problems += order_problems(orders, entries)
    return problems


def shortened(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_SHOWN:
        return problems
    return [*problems[:MAX_SHOWN], f"... and {len(problems) - MAX_SHOWN} more"]


async def balance_problems(db: Database, entries: list[LedgerEntry]) -> list[str]:
    """Each balance is the sum of its ledger, and each row's balance_after the running sum."""
    problems = []
    running: dict[int, Decimal] = defaultdict(Decimal)
    for entry in entries:
        running[entry.user_id] += entry.amount
        if entry.balance_after != running[entry.user_id]:
            problems.append(
                f"ledger row {entry.id} ({entry.kind}:{entry.reference}) says balance "
                f"{entry.balance_after}, its rows add up to {running[entry.user_id]}"
            )
    rows = await db.fetchall("SELECT id, balance FROM users ORDER BY id")
    for row in rows:
        balance = Decimal(row["balance"]) / 1_000_000
        if balance != running.get(row["id"], Decimal(0)):
            problems.append(
                f"user {row['id']}: balance {balance} but ledger sum {running.get(row['id'], 0)}"
            )
    return shortened(problems)


def order_problems(orders: dict[int, OrderRecord], entries: list[LedgerEntry]) -> list[str]:
    charges: dict[int, list[LedgerEntry]] = defaultdict(list)
    refunds: dict[int, list[LedgerEntry]] = defaultdict(list)
    problems = []
    for entry in entries:
        if not entry.reference.isdigit():
            continue  # credits, top-ups: their references are not orders
        if entry.kind == "order":
            order = orders.get(int(entry.reference))
            if order is None or order.user_id != entry.user_id:
                problems.append(f"charge {entry.id} for order {entry.reference} with no such order")
            charges[int(entry.reference)].append(entry)
        elif entry.kind in REFUND_KINDS:
            refunds[int(entry.reference)].append(entry)
    for order in orders.values():
        problems += one_order_problems(order, charges[order.id], refunds[order.id])
    return shortened(problems)


def one_order_problems(
    order: OrderRecord, charges: list[LedgerEntry], refunds: list[LedgerEntry]
) -> list[str]:
    name = f"order #{order.id} ({order.stage.value})"
    problems = []
    charged = -sum((entry.amount for entry in charges), Decimal(0))
    if order.price > 0 and charged != order.price:
        problems.append(f"{name}: price {order.price} but charged {charged}")
    refunded = sum((entry.amount for entry in refunds), Decimal(0))
    if refunded != order.refunded:
        problems.append(f"{name}: refunded column {order.refunded}, refund rows {refunded}")
    if not Decimal(0) <= order.refunded <= order.price:
        problems.append(f"{name}: refunded {order.refunded} of a price of {order.price}")
    if order.stage is Stage.FAILED and order.refunded != order.price:
        problems.append(f"{name}: failed with {order.refunded} of {order.price} refunded")
    if order.panel_order_id is not None:
        problems += attached_problems(name, order, refunds)
    return problems


def attached_problems(name: str, order: OrderRecord, refunds: list[LedgerEntry]) -> list[str]:
    """An order on the panel was not "never placed": a full refund of that kind is a double
    application (the panel delivers, the customer has the money back)."""
    if order.stage is Stage.FAILED:
        return [f"{name}: settled as not placed, yet attached to panel order "
                f"{order.panel_order_id}"]  # fmt: skip
    not_placed = [e for e in refunds if e.kind == "refund" and e.amount == order.price]
    delivered = order.stage not in (Stage.CANCELED, Stage.PARTIAL)  # those refund in full
    if not_placed and delivered and order.price > 0:
        return [f"{name}: on the panel as {order.panel_order_id} and refunded in full"]
    return []
