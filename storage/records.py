"""A table's row read into its record: one reader for every frozen dataclass of storage/.

A record class derives from `Record` and gets `from_row(row)`: each field is read from the
column of its name (or the one `column()` names), as the field's type says: a `Decimal` is
money, read from integer micro-units (storage/money.py), unless marked `DECIMAL_TEXT` (a rate or
a percent, kept as text); a `bool` from 0 or 1; an enum from its value; anything else as SQLite
gives it. NULL stays None where the type allows it (or, in a record read through a LEFT JOIN,
NULL_IS_DEFAULT, reads as the field's default). Every field needs its column in the row (a
missing one raises IndexError): a record is never half read.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, Self, TypeVar

from storage.money import from_micros

R = TypeVar("R", bound="Record")
Read = Callable[[Any], Any]
# For each record class, once: (field, column, how the value is read; None: as it is).
Plan = tuple[tuple[str, str, Read | None], ...]

COLUMN = "column"  # field metadata: the column a field is read from, when named otherwise
TEXT = "text"  # field metadata: a Decimal kept as text, not micro-units
_plans: dict[type, Plan] = {}


def column(name: str) -> Mapping[str, Any]:
    """Field metadata: the field is read from the column `name`
    (`stage: Stage = field(metadata=column("status"))`)."""
    return {COLUMN: name}


# Field metadata: a Decimal kept as text, a rate or a percent (`field(metadata=DECIMAL_TEXT)`).
DECIMAL_TEXT: Mapping[str, Any] = {TEXT: True}


class Record:
    """A frozen dataclass read from a row (see the module's doc)."""

    __slots__ = ()
    # True for a record read through a LEFT JOIN (a route and the panel's item it leads to): a
    # NULL column reads as its field's default, where the field has one.
    NULL_IS_DEFAULT: ClassVar[bool] = False

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        return read_record(cls, row)


def read_record(cls: type[R], row: sqlite3.Row) -> R:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _plan(cls)
    make: Callable[..., R] = cls
    return make(**{name: row[c] if read is None else read(row[c]) for name, c, read in plan})


def _plan(cls: type[Record]) -> Plan:
    hints = typing.get_type_hints(cls)
    plan = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]  # a Record is a dataclass
        read = _reader(hints[field.name], text=field.metadata.get(TEXT, False))
        if cls.NULL_IS_DEFAULT and field.default is not dataclasses.MISSING:
            read = _or_default(read, field.default)
        plan.append((field.name, field.metadata.get(COLUMN, field.name), read))
    return tuple(plan)


def _or_default(read: Read | None, default: Any) -> Read:
    def or_default(value: Any) -> Any:
        if value is None:
            return default
        return value if read is None else read(value)

    return or_default


def _micros(value: Any) -> Decimal:
    """Money, which SQL keeps in integer micro-units only: anything else is refused, never
    misread (a Decimal kept as text must be marked DECIMAL_TEXT)."""
    if not isinstance(value, int):
        raise TypeError(f"money must be integer micro-units, not {type(value).__name__}")
    return from_micros(value)


def _reader(hint: Any, *, text: bool) -> Read | None:
    """How a column is read into a field of this type (None: as it is)."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    kinds = typing.get_args(hint) if union else (hint,)
    optional = type(None) in kinds
    kind = next(k for k in kinds if k is not type(None))
    read: Read
    if kind is Decimal:
        read = Decimal if text else _micros
    elif kind is bool:
        return bool  # NULL reads False, as an unset flag
    elif isinstance(kind, type) and issubclass(kind, Enum):
        read = kind
    else:
        return None
    if optional:
        return lambda value: None if value is None else read(value)
    return read


# A row tuple: a named tuple whose fields are a table's columns, in their order, for the rows a
# sync reads and writes by the ten thousand (a dataclass costs ten times more to make). It is
# written as it is (INSERT ... ({columns}) VALUES ({placeholders})), read back with its
# `from_row` (`cls._make(row)` of a `SELECT {columns}`), and read by name everywhere else.


def columns(cls: type[Any]) -> str:
    """A row tuple's columns, for a SELECT or an INSERT: its fields, in their order."""
    fields: tuple[str, ...] = cls._fields
    return ", ".join(fields)


def placeholders(cls: type[Any]) -> str:
    """As many `?` as a row tuple has columns, for an INSERT of it as it is."""
    fields: tuple[str, ...] = cls._fields
    return ", ".join("?" for _ in fields)
