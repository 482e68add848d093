"""What an order is: its stages and kinds, and the records read of it (storage/order_repository.py
writes and reads them): the whole order, and the few columns a reseller's status or the tracker
reads of many."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from storage.records import Record, column


class Stage(StrEnum):
    """Where an order is. The first three are ours; the rest mirror the panel's statuses."""

    SUBMITTING = "submitting"  # written, panel not yet answered
    UNCONFIRMED = "unconfirmed"  # the panel's answer was ambiguous: money held, admins check
    FAILED = "failed"  # the panel refused; refunded
    PENDING = "pending"
    PROCESSING = "processing"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PARTIAL = "partial"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STAGES


FINAL_STAGES = frozenset({Stage.FAILED, Stage.COMPLETED, Stage.PARTIAL, Stage.CANCELED})

# Word for word the condition of the partial index orders_open: SQLite uses that index only
# when a query repeats it, and then reads just the open orders instead of the whole table.
OPEN = "status NOT IN ('completed', 'partial', 'canceled', 'failed', 'refunded')"


class OrderKind(StrEnum):
    SERVICE = "service"
    PRODUCT = "product"


@dataclass(frozen=True, slots=True)
class NewOrder:
    user_id: int
    service_id: int
    service_name: str
    service_type: str
    link: str
    quantity: int
    price: Decimal
    draft_key: str
    refill_allowed: bool = False
    comments: str | None = None
    list: str | None = None
    suggest: str | None = None
    search: str | None = None
    kind: OrderKind = OrderKind.SERVICE
    require_text: str | None = None
    panel: str = "main"  # the panel it is sent to first (failover records the next one)
    panel_service_id: int | None = None
    runs: int | None = None  # drip-feed: `quantity` is per run, paid for quantity x runs
    interval: int | None = None  # drip-feed: minutes between runs
    cancel_allowed: bool = False  # the panel's service took cancel requests when ordered
    via_api: bool = False  # placed with a reseller's key (reseller_api/)


@dataclass(frozen=True, slots=True)
class OrderRecord(Record):
    """A service order, or a product order (kind); for a product, service_* are the product's."""

    id: int
    kind: OrderKind
    user_id: int
    service_id: int
    service_name: str
    service_type: str
    link: str
    quantity: int
    comments: str | None
    list: str | None
    suggest: str | None
    search: str | None
    require_text: str | None
    result: str | None
    note: str | None
    price: Decimal
    charge: Decimal | None
    stage: Stage = field(metadata=column("status"))
    panel_order_id: int | None
    start_count: int | None
    remains: int | None
    refunded: Decimal
    error: str | None
    last_answer: str | None
    refill_allowed: bool
    created_at: int
    updated_at: int
    resolved_by: int | None = None  # the admin who settled it while it was unconfirmed
    panel: str = "main"  # the panel that holds it (the one tried last while unconfirmed)
    panel_service_id: int | None = None
    runs: int | None = None
    interval: int | None = None
    cancel_allowed: bool = False
    cancel_requested_at: int | None = None  # the person asked the panel to cancel it
    cancel_error: str | None = None  # the panel refused that request, in its words
    cancel_unclear_at: int | None = None  # the panel gave no clear answer to that request
    via_api: bool = False  # placed with a reseller's key: followed there (and by callbacks)


@dataclass(frozen=True, slots=True)
class OrderSnapshot(Record):
    """What a reseller's `status` of up to 100 orders reads of each: a few columns, not all."""

    id: int
    kind: OrderKind
    stage: Stage = field(metadata=column("status"))
    quantity: int
    runs: int | None
    price: Decimal
    refunded: Decimal
    start_count: int | None
    remains: int | None
    result: str | None
    note: str | None


SNAPSHOT_COLUMNS = (
    "id, kind, status, quantity, runs, price, refunded, start_count, remains, result, note"
)


@dataclass(frozen=True, slots=True)
class TrackedOrder(Record):
    """An open order as the tracker compares it with the panel's answer: a few columns of
    thousands of rows each cycle. What changes is re-read whole before it is written."""

    id: int
    panel_order_id: int
    stage: Stage = field(metadata=column("status"))
    start_count: int | None
    remains: int | None
    result: str | None
    panel: str = "main"


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    """The panel's latest word on an order."""

    order_id: int
    stage: Stage
    charge: Decimal | None
    start_count: int | None
    remains: int | None
    result: str | None
    note: str | None
    last_answer: str
