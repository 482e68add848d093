"""Reading a request's form fields as the panels do, refusing with their own messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from simulators.panel.errors import (
    ERR_DRIPFEED_DISABLED,
    ERR_MISSING,
    ERR_REQUEST,
    Refusal,
)
from simulators.panel.shelf import Service
from simulators.panel.values import INT_RE

MAX_IDS: Final = 100  # ids in one call of a multi-id action

# Drip-feed rules of the simulated panels: quantity is per run and within min..max, and the
# total (quantity x runs) must stay within max as well.
DRIP_MIN_RUNS: Final = 2
DRIP_MAX_RUNS: Final = 1000
DRIP_MIN_INTERVAL: Final = 1  # minutes
DRIP_MAX_INTERVAL: Final = 1440


def required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value.strip():
        raise Refusal(ERR_MISSING)
    return value


def quantity(fields: Mapping[str, str], low: int, high: int) -> int:
    raw = required(fields, "quantity").strip()
    if not INT_RE.fullmatch(raw):
        raise Refusal(ERR_REQUEST)
    return in_range(int(raw), low, high)


def in_range(count: int, low: int, high: int) -> int:
    if count < low:
        raise Refusal(f"Quantity less than minimal {low}")
    if count > high:
        raise Refusal(f"Quantity more than maximum {high}")
    return count


def bounded(fields: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = required(fields, name).strip()
    if not INT_RE.fullmatch(raw):
        raise Refusal(ERR_REQUEST)
    value = int(raw)
    if value < low:
        raise Refusal(f"{name.capitalize()} less than minimal {low}")
    if value > high:
        raise Refusal(f"{name.capitalize()} more than maximum {high}")
    return value


def service_quantity(fields: Mapping[str, str], service: Service) -> int:
    """The quantity an `add` asks for, by the service's type: a Package is one, Custom
    Comments count their lines, and the Special types need their extra fields."""
    kind = service.kind
    if kind == "package":
        return 1
    if kind == "custom comments":
        comments = required(fields, "comments").splitlines()
        return in_range(sum(1 for c in comments if c.strip()), service.min, service.max)
    # Default, Special (1DG), Special 1 (1DG) and types we do not know
    if kind == "special (1dg)":
        required(fields, "list")
    elif kind == "special 1 (1dg)":
        required(fields, "suggest")
        required(fields, "search")
    return quantity(fields, service.min, service.max)


def drip_feed(fields: Mapping[str, str], service: Service, per_run: int) -> tuple[int, int] | None:
    """``(runs, interval)`` when ``add`` asks for drip-feed, ``None`` when it does not.

    Only Default services that list ``dripfeed`` take it; ``per_run`` is the quantity.
    """
    if not (fields.get("runs", "").strip() or fields.get("interval", "").strip()):
        return None
    if not service.dripfeed or service.kind != "default":
        raise Refusal(ERR_DRIPFEED_DISABLED)
    runs = bounded(fields, "runs", DRIP_MIN_RUNS, DRIP_MAX_RUNS)
    interval = bounded(fields, "interval", DRIP_MIN_INTERVAL, DRIP_MAX_INTERVAL)
    if per_run * runs > service.max:
        raise Refusal(f"Total quantity more than maximum {service.max}")
    return runs, interval


def id_list(raw: str) -> list[str]:
    """``orders=1,2,3``: up to ``MAX_IDS`` ids, each as it was typed."""
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise Refusal(ERR_MISSING)
    if len(ids) > MAX_IDS:
        raise Refusal(ERR_REQUEST)
    return ids
