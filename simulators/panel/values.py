"""Values as panels read and write them: numbers that come as strings or JSON numbers, flags in
every spelling, ids typed by people, and JSON whose money is written from its decimal literal
(never through a float)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

INT_RE: Final = re.compile(r"-?[0-9]+")


@dataclass(frozen=True, slots=True)
class RawJson:
    """Already serialized JSON, embedded verbatim (the services list, written once)."""

    text: str


def decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return result


def integer(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"not an integer: {value!r}")


def truthy(value: object) -> bool:
    """A flag as panels spell it: true, 1, "1", "true", "yes"."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def parse_id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def json_id(raw: str) -> int | str:
    """An id echoed back: a number when it is one, else the text as it came."""
    parsed = parse_id(raw)
    return raw if parsed is None else parsed


def plain(value: Decimal) -> str:
    """``Decimal`` as a plain literal without exponent or trailing zeros: 2.5, 0.27819, 100."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def to_json(value: object) -> str:
    """Compact JSON; ``Decimal`` becomes a JSON number written from its literal."""
    if isinstance(value, RawJson):
        return value.text
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal")
        return plain(value)
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    raise TypeError(f"cannot serialize {type(value).__name__}")
