"""Typed panel answers, parsed tolerantly: real panels send numbers as strings or numbers,
booleans as true/"1"/1, "Unknown" remains, null start counts, odd capitals and extra fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _decimal_or_none(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _int_or_none(value: Any) -> int | None:
    if type(value) is int:  # the common cases first: a catalog has tens of thousands of them
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    number = _decimal_or_none(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value) if isinstance(value, bool | int | Decimal) else False


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _money(value: Any) -> Decimal:
    number = _decimal_or_none(value)
    if number is None or number < 0:
        raise ValueError("not a price")
    return number


def _quantity(value: Any) -> int:
    number = _int_or_none(value)
    if number is None or number < 0:
        raise ValueError("not a quantity")
    return number


Text = Annotated[str, BeforeValidator(_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Money = Annotated[Decimal, BeforeValidator(_money)]
Quantity = Annotated[int, BeforeValidator(_quantity)]
OptionalMoney = Annotated[Decimal | None, BeforeValidator(_decimal_or_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_int_or_none)]


class OrderStatus(StrEnum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    PARTIAL = "Partial"
    CANCELED = "Canceled"
    REJECTED = "Rejected"  # refills
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, value: Any) -> OrderStatus:
        key = _text(value).lower().replace("_", " ")
        return _STATUS_ALIASES.get(key, cls.UNKNOWN)

    @property
    def is_final(self) -> bool:
        return self in {OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED,
                        OrderStatus.REJECTED}  # fmt: skip


_STATUS_ALIASES = {status.value.lower(): status for status in OrderStatus} | {
    "inprogress": OrderStatus.IN_PROGRESS,
    "cancelled": OrderStatus.CANCELED,
    "refunded": OrderStatus.CANCELED,
}

Status = Annotated[OrderStatus, BeforeValidator(OrderStatus.parse)]


class PanelModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Service(PanelModel):
    service: Quantity
    name: Text
    type: Text = "Default"
    category: Text = ""
    rate: Money
    min: Quantity = 1
    max: Quantity = 1
    refill: Flag = False
    cancel: Flag = False
    dripfeed: Flag = False
    description: Text = ""


class Product(PanelModel):
    product: Quantity
    name: Text
    require: Text = ""
    rate: Money
    min: Quantity = 1
    max: Quantity = 1
    category: Text = ""
    status: Text = ""
    inventory: OptionalInt = None
    type: Text = ""

    @property
    def in_stock(self) -> bool:
        if self.inventory is not None and self.inventory <= 0:
            return False
        return "out" not in self.status.lower()


class OrderState(PanelModel):
    """The answer to `status` for one order."""

    status: Status
    charge: OptionalMoney = None
    start_count: OptionalInt = None
    remains: OptionalInt = None  # negative = over-delivered; None = "Unknown" or absent
    currency: Text = ""


class ProductOrderState(PanelModel):
    status: Status
    charge: OptionalMoney = None
    remains: OptionalInt = None
    result: Text = ""
    note: Text = ""


class Balance(PanelModel):
    balance: Money
    currency: Text = Field(default="USD")


@dataclass(frozen=True, slots=True)
class ItemError:
    """A per-id error inside a multi answer, e.g. "Incorrect order ID"."""

    message: str


class ServiceType(StrEnum):
    DEFAULT = "Default"
    PACKAGE = "Package"
    CUSTOM_COMMENTS = "Custom Comments"
    SPECIAL = "Special (1DG)"
    SPECIAL_1 = "Special 1 (1DG)"

    @classmethod
    def parse(cls, value: str) -> ServiceType:
        """Unknown types of the wider Perfect Panel family are ordered as Default."""
        lowered = value.strip().lower()
        for member in cls:
            if member.value.lower() == lowered:
                return member
        return cls.DEFAULT


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """The fields `add` sends; which ones depends on the service type (see `for_type`).

    `runs` and `interval` (minutes) ask for drip-feed on a Default service whose `dripfeed`
    flag is set: `quantity` is then per run and the panel charges rate x quantity x runs / 1000.
    """

    service: int
    link: str
    quantity: int | None = None
    comments: str | None = None
    list: str | None = None
    suggest: str | None = None
    search: str | None = None
    runs: int | None = None
    interval: int | None = None

    def form(self) -> dict[str, str]:
        fields = {
            "service": self.service,
            "link": self.link,
            "quantity": self.quantity,
            "comments": self.comments,
            "list": self.list,
            "suggest": self.suggest,
            "search": self.search,
            "runs": self.runs,
            "interval": self.interval,
        }
        return {name: str(value) for name, value in fields.items() if value is not None}

    @classmethod
    def for_type(
        cls,
        service_type: ServiceType,
        service: int,
        link: str,
        *,
        quantity: int = 0,
        lines: Sequence[str] = (),
        suggest: Sequence[str] = (),
        search: Sequence[str] = (),
        runs: int | None = None,
        interval: int | None = None,
    ) -> OrderRequest:
        """Exactly the fields the panel expects for this type (docs/panel-api.md); drip-feed's
        `runs` and `interval` are sent for Default only (and only when given)."""
        match service_type:
            case ServiceType.PACKAGE:
                return cls(service, link)
            case ServiceType.CUSTOM_COMMENTS:
                return cls(service, link, comments="\n".join(lines))
            case ServiceType.SPECIAL:
                return cls(service, link, quantity=quantity, list="\n".join(lines))
            case ServiceType.SPECIAL_1:
                return cls(
                    service, link, quantity=quantity,
                    suggest="\n".join(suggest), search="\n".join(search),
                )  # fmt: skip
            case _:
                return cls(service, link, quantity=quantity, runs=runs, interval=interval)
