"""A realistic 1DG / Perfect Panel "API v2" SMM panel, served over HTTP.

Used by the tests, the benchmarks and as the demo panel when no real panel is configured::

    python -m provider.simulator --port 8800 --key demo
    python -m provider.simulator --port 8800 --panels main,backup,vnd

It speaks the API of ``panel-api.md``: one ``POST /api/v2`` endpoint, form-encoded fields,
errors as HTTP 200 ``{"error": "..."}`` with the panels' own messages, numbers sometimes as
strings and sometimes as JSON numbers. Orders move Pending -> In progress -> Completed (a
share ends Partial or Canceled) as time passes (``tick_seconds``) or on ``advance()``, from a
seeded random generator so that runs are reproducible.

Beyond the seed it offers the wider API v2 family where a service says so in ``services``:
``cancel`` (``orders`` = ids; answers ``[{"order": 1, "cancel": 1}, {"order": 2, "cancel":
{"error": "..."}}]``) and drip-feed (``runs`` and ``interval`` in minutes on ``add``; the
charge is rate x quantity x runs / 1000). A cancel is a request: the order turns Canceled (or
Partial, when it was already in progress) at its next step, and the panel refunds itself then.

``PanelFarm`` serves several panels on one server, each under its own prefix
(``/main/api/v2``, ``/backup/api/v2``, ``/vnd/api/v2``), each with its own key, catalog,
currency, balance, orders, faults and ``/<name>/_control/...``; ``make_panel`` builds the
presets named in ``PANEL_PRESETS``.

Tests steer it in-process (``set_order``, ``inject_fault``, ...) or, when it runs in another
process, through JSON endpoints under ``/_control/``.

Money is ``Decimal`` throughout; JSON numbers are written from the decimal literal, never
through a float. This module imports nothing from the project but the standard library and
aiohttp.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import logging
import random
import re
import secrets
import signal
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any, Final

from aiohttp import web

log = logging.getLogger(__name__)

API_PATH: Final = "/api/v2"
CONTROL_PATH: Final = "/_control"
CURRENCY: Final = "USD"
FIRST_ORDER_ID: Final = 1000
FIRST_REFILL_ID: Final = 500
FIRST_PRODUCT_ORDER_ID: Final = 7000
MAX_IDS: Final = 100

ERR_KEY: Final = "Invalid API key"
ERR_REQUEST: Final = "Incorrect request"
ERR_SERVICE: Final = "Incorrect service ID"
ERR_ORDER: Final = "Incorrect order ID"
ERR_REFILL: Final = "Incorrect refill ID"
ERR_PRODUCT: Final = ERR_REQUEST  # the panels' docs name no message for a bad product id
ERR_FUNDS: Final = "Not enough funds on balance"
ERR_MISSING: Final = "There are missing required parameters. Please check your API Manual"
ERR_ACTIVE: Final = "You have active order with this link. Please wait until order being completed."
ERR_NOT_ELIGIBLE: Final = "Order not eligible for refill."
ERR_REFILL_DISABLED: Final = "Refill is disabled for this service"
ERR_OUT_OF_STOCK: Final = "Out of stock"
# The panels' docs name no messages for these; worded like their refill siblings.
ERR_CANCEL_DISABLED: Final = "Cancel is disabled for this service"
ERR_NOT_CANCELABLE: Final = "Order not eligible for cancel."
ERR_DRIPFEED_DISABLED: Final = "Drip-feed is disabled for this service"

# Drip-feed rules of the simulated panels: quantity is per run and within min..max, and the
# total (quantity x runs) must stay within max as well.
DRIP_MIN_RUNS: Final = 2
DRIP_MAX_RUNS: Final = 1000
DRIP_MIN_INTERVAL: Final = 1  # minutes
DRIP_MAX_INTERVAL: Final = 1440

FAULT_KINDS: Final = frozenset({"http500", "html", "truncated", "delay", "drop"})
MULTI_PARAMS: Final = {
    "status": "orders",
    "cancel": "orders",
    "refill": "orders",
    "refill_status": "refills",
    "product_order_status": "orders",
}
_FINAL_ORDER: Final = frozenset({"completed", "partial", "canceled"})
_FINAL_REFILL: Final = frozenset({"completed", "rejected"})
_CHARGE_STEP: Final = Decimal("0.00001")
_BALANCE_STEP: Final = Decimal("0.0001")
_INT_RE: Final = re.compile(r"-?[0-9]+")

_HTML_500: Final = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center>"
    "</body></html>"
)
_HTML_CLOUDFLARE: Final = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">panel.example</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript>Enable JavaScript and cookies to continue</noscript>
</div></div><div class="footer"><div class="footer-inner">
<span>Ray ID: 8c1f2e3d4a5b6c7d</span> <span>Performance &amp; security by Cloudflare</span>
</div></div></body></html>
"""


# --------------------------------------------------------------------------- catalog

_ABSENT: Final = object()


def _service(
    sid: int,
    category: str,
    name: str,
    type_: str,
    rate: str | int,
    min_: str | int,
    max_: str | int,
    refill: object = _ABSENT,
    **extra: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "service": sid,
        "name": name,
        "type": type_,
        "category": category,
        "rate": rate,
        "min": min_,
        "max": max_,
    }
    if refill is not _ABSENT:
        entry["refill"] = refill
    entry.update(extra)
    return entry


def default_services() -> list[dict[str, Any]]:
    """The demo catalog, as the panel sends it (strings and numbers mixed like real panels)."""
    yt, ig, tt, fb, tg, tw = "YouTube", "Instagram", "TikTok", "Facebook", "Telegram", "Twitter / X"
    desc = "Start: 0-1 hour<br>Speed: 10K/day<br>Link: https://youtube.com/watch?v=..."
    return [
        _service(1, "Youtube", "Youtube views", "Default", "2.5", "200", "10000", True),
        _service(2, "Facebook", "Facebook comments", "Custom Comments", "4", "10", "1500", False),
        _service(3, yt, "🔥 YouTube Views [Non Drop] & Fast <HQ> ", "Default", "1.2", "100",
                 "1000000", "1", description=desc),
        _service(4, yt, "YouTube Likes [Real] ⚡", "Default", "3.45", "10", "50000", 1),
        _service(5, yt, "YouTube Subscribers [30 Days Refill ♻️]", "Default", "28.9", "50",
                 "20000", True, cancel=False, dripfeed=False),
        _service(6, yt, "YouTube Custom Comments 💬", "Custom Comments", "12", "5", "1000", False),
        _service(7, yt, "YouTube Views - Suggested Videos 🎯", "Special (1DG)", "6.5", "1000",
                 "500000", False),
        _service(8, yt, "YouTube Views - Suggested + Search [1DG]", "Special 1 (1DG)", "7.25",
                 "1000", "500000"),
        _service(9, yt, "YouTube Views from Keyword Search (test size) ", "Special (1DG)", "8",
                 "10", "10000", "0"),
        _service(10, yt, "YouTube Suggest & Search Mix <small>", "Special 1 (1DG)", "9.5", "10",
                 "10000", 0),
        _service(11, yt, "YouTube 1000 Views Package 📦", "Package", "1.9", "1", "1", False),
        _service(12, yt, "YouTube Live Stream Views [1 Hour] Package", "Package", "15", 1, 1),
        _service(13, ig, "Instagram Followers [Max 50K] 👥", "Default", "0.89", "10", "50000",
                 "0"),
        _service(14, ig, "Instagram Likes | Instant & Cheap", "Default", "0.27819", 10, 100000),
        _service(15, ig, "Instagram Reels Views 🚀", "Default", "0.0045", "100", "10000000", False),
        _service(16, ig, "Instagram Custom Comments <Arabic>", "Custom Comments", "15.5", "10",
                 "500", 0),
        _service(17, ig, "Instagram Mentions [Followers of @username]", "Mentions", "6", "100",
                 "50000", False, description="Link: the post; usernames are taken from the list"),
        _service(18, ig, "Instagram 500 Likes Package", "Package", "0.6", "1", "1"),
        _service(19, ig, "Instagram Story Views", "Default", "0.35", "100", "20000", True),
        _service(20, tt, "TikTok Views ⚡ [Instant]", "Default", "0.01", "100", "100000000", True),
        _service(21, tt, "TikTok Likes [Refill 30D] ♻️", "Default", "1.75", "10", "100000", "1"),
        _service(22, tt, "TikTok Followers & Likes Combo", "Default", "4", 50, 20000, False),
        _service(23, tt, "TikTok Custom Comments", "Custom Comments", "20", "10", "1000", False),
        _service(24, tt, "TikTok Shares ", "Default", "0.5", "100", "1000000"),
        _service(25, fb, "Facebook Page Likes + Followers 👍", "Default", "5.5", "100", "100000",
                 True),
        _service(26, fb, "Facebook Post Reactions [❤️ Love]", "Default", "2.2", "50", "10000", 1),
        _service(27, fb, "Facebook Video Views", "Default", "0.9", "500", "10000000", False),
        _service(28, fb, "Facebook Live Stream Viewers [30 Min] Package", "Package", "3.5", "1",
                 "1", False),
        _service(29, tg, "Telegram Channel Members [No Refill]", "Default", "0.98", "500",
                 "100000", False),
        _service(30, tg, "Telegram Post Views [Last 5 Posts] 👁", "Default", "0.05", "10",
                 "1000000", "0"),
        _service(31, tg, "Telegram Reactions 👍❤️🔥 Mix", "Default", "0.3", "10", "50000"),
        _service(32, tg, "Telegram Premium Members 💎 [7 Days]", "Default", "45", "100", "10000",
                 1),
        _service(33, tw, "Twitter/X Followers [HQ]", "Default", "8.9", "100", "50000", True),
        _service(34, tw, "X (Twitter) Likes", "Default", "2.15", "10", "20000", "1"),
        _service(35, tw, "X Retweets & Reposts", "Default", "3", "10", "10000", False),
        _service(36, tw, "X Custom Replies", "Custom Comments", "25", "5", "500", False),
        _service(37, tw, "Twitter Mentions [Custom List]", "Mentions", "10", "10", "10000"),
        _service(38, "Spotify", "Spotify Plays [Premium] 🎵", "Default", "1.1", "1000",
                 "10000000", True),
        _service(39, "Website Traffic", "Website Traffic from Google <Worldwide>", "Default",
                 "0.15", "1000", "1000000", False),
    ]  # fmt: skip


def default_products() -> list[dict[str, Any]]:
    """The seed's three products (rates are JSON numbers there, so Decimal here)."""
    return [
        {"product": 1, "name": "Netflix premium 1 month", "require": "Input your account",
         "rate": Decimal("2.5"), "min": 1, "max": 10, "category": "Netflix",
         "status": "In stock", "inventory": 40, "type": "Auto"},
        {"product": 2, "name": "Youtube premium 1 month", "require": "Input your account",
         "rate": 5, "min": 1, "max": 1, "category": "Youtube",
         "status": "Out of stock", "inventory": 0, "type": "Auto"},
        {"product": 3, "name": "Facebook account 5000 friends",
         "rate": Decimal("0.5"), "min": 1, "max": 2, "category": "Facebook",
         "status": "In stock", "type": "Service"},
    ]  # fmt: skip


def backup_services() -> list[dict[str, Any]]:
    """A second USD panel selling the same kinds of services as the main one under other ids,
    some cheaper and some dearer, so that routing and failover can be shown. Several services
    allow ``cancel`` and several Default ones ``dripfeed`` (flags in every spelling panels use).
    """
    yt, ig, tt, fb, tg, tw = "YouTube", "Instagram", "TikTok", "Facebook", "Telegram", "Twitter / X"
    return [
        _service(101, yt, "YouTube Views [Backup Server] ⚡", "Default", "1.05", "100", "1000000",
                 "1", cancel=True, dripfeed=True),
        _service(102, yt, "YouTube Likes [Real]", "Default", "3.9", "10", "50000", True,
                 cancel=True, dripfeed=False),
        _service(103, yt, "YouTube Subscribers [Non Drop] ", "Default", "31.5", "50", "20000",
                 True, cancel=False),
        _service(104, yt, "YouTube Custom Comments", "Custom Comments", "10.8", "5", "1000",
                 False, cancel=True),
        _service(105, yt, "YouTube 1000 Views Package", "Package", "2.1", "1", "1", False),
        _service(106, ig, "Instagram Followers [Refill 30D] ♻️", "Default", "0.95", "10", "50000",
                 True, cancel=True, dripfeed=True),
        _service(107, ig, "Instagram Likes [Fast & Cheap]", "Default", "0.25", 10, 100000, 0,
                 cancel="1", dripfeed="1"),
        _service(108, ig, "Instagram Reels Views", "Default", "0.004", "100", "10000000", False,
                 dripfeed=True),
        _service(109, tt, "TikTok Views", "Default", "0.012", "100", "100000000", True,
                 dripfeed=1),
        _service(110, tt, "TikTok Likes <Refill>", "Default", "1.6", "10", "100000", "1",
                 cancel=1),
        _service(111, tt, "TikTok Followers", "Default", "4.4", 50, 20000, False, cancel=True),
        _service(112, fb, "Facebook Page Likes", "Default", "5.2", "100", "100000", True,
                 cancel=0, dripfeed=True),
        _service(113, tg, "Telegram Channel Members [Backup]", "Default", "1.05", "500", "100000",
                 False, cancel=True, dripfeed=True),
        _service(114, tg, "Telegram Post Views", "Default", "0.045", "10", "1000000", "0",
                 dripfeed="1"),
        _service(115, tw, "Twitter/X Followers", "Default", "9.5", "100", "50000", True,
                 cancel=True),
        _service(116, "Spotify", "Spotify Plays", "Default", "0.99", "1000", "10000000", True,
                 dripfeed=True),
        _service(117, "Website Traffic", "Website Traffic from Google", "Default", "0.18", "1000",
                 "1000000", False, cancel=True, dripfeed=True),
    ]  # fmt: skip


def vnd_services() -> list[dict[str, Any]]:
    """A Vietnamese 1DG panel: rates in VND per 1000 (25,000 VND per 1000 views), no cancel
    and no drip-feed, like the seed; names partly in Vietnamese."""
    yt, fb, ig, tt, tg = "YouTube", "Facebook", "Instagram", "TikTok", "Telegram"
    return [
        _service(1, yt, "Tăng view YouTube [VN] 🇻🇳", "Default", "25000", "100", "1000000", True),
        _service(2, yt, "YouTube Likes", "Default", "85000", "10", "50000", False),
        _service(3, yt, "Sub YouTube [Bảo hành 30 ngày]", "Default", "720000", "50", "20000", 1),
        _service(4, yt, "YouTube Views - Suggested Videos", "Special (1DG)", "162500", "1000",
                 "500000", False),
        _service(5, yt, "YouTube Views - Suggested + Search", "Special 1 (1DG)", "181250",
                 "1000", "500000"),
        _service(6, yt, "Gói 1000 view YouTube 📦", "Package", "47500", "1", "1", False),
        _service(7, fb, "Like Fanpage Facebook", "Default", "125000", "100", "100000", "1"),
        _service(8, fb, "Facebook Post Reactions", "Default", "55000", "50", "10000", False),
        _service(9, fb, "Bình luận Facebook", "Custom Comments", "100000", "10", "1500", False),
        _service(10, ig, "Instagram Followers", "Default", "22000", "10", "50000", "0"),
        _service(11, ig, "Instagram Likes", "Default", 7000, 10, 100000, False),
        _service(12, tt, "TikTok Views", "Default", "312.5", "100", "100000000", True),
        _service(13, tt, "TikTok Followers", "Default", "99000", "50", "20000", 1),
        _service(14, tg, "Telegram Members", "Default", "24500", "500", "100000", False),
    ]  # fmt: skip


def vnd_products() -> list[dict[str, Any]]:
    """Digital products priced in VND per unit."""
    return [
        {"product": 1, "name": "Netflix Premium 1 tháng", "require": "Nhập email tài khoản",
         "rate": 65000, "min": 1, "max": 5, "category": "Netflix", "status": "In stock",
         "inventory": 12, "type": "Auto"},
        {"product": 2, "name": "YouTube Premium 1 tháng", "require": "Nhập email tài khoản",
         "rate": Decimal("45000.5"), "min": 1, "max": 1, "category": "Youtube",
         "status": "In stock", "inventory": 3, "type": "Auto"},
    ]  # fmt: skip


def no_products() -> list[dict[str, Any]]:
    return []


def make_large_catalog(n_services: int, n_categories: int) -> list[dict[str, Any]]:
    """A deterministic catalog of ``n_services`` services spread over ``n_categories``."""
    if n_services < 0 or n_categories < 1:
        raise ValueError("need n_services >= 0 and n_categories >= 1")
    networks = ["YouTube", "Instagram", "TikTok", "Facebook", "Telegram", "Twitter / X",
                "Spotify", "Twitch", "Discord", "Website Traffic"]  # fmt: skip
    types = ["Default", "Default", "Package", "Default", "Custom Comments", "Default",
             "Special (1DG)", "Default", "Special 1 (1DG)", "Mentions"]  # fmt: skip
    refills: list[object] = [True, False, "1", "0", 1, 0, _ABSENT]
    decorations = ["🔥 ", "", "⚡ ", "", "♻️ ", ""]
    suffixes = ["", " [Non Drop]", " & Fast", " <HQ>", " ", " | Cheap"]
    rng = random.Random(n_services * 7919 + n_categories)
    out: list[dict[str, Any]] = []
    for i in range(n_services):
        sid = i + 1
        c = i % n_categories
        network = networks[c % len(networks)]
        category = network if c < len(networks) else f"{network} [{c // len(networks) + 1}]"
        type_ = types[i % len(types)]
        name = f"{decorations[i % 6]}{network} {type_} #{sid}{suffixes[i % 5]}"
        rate = _plain(Decimal(rng.randint(1, 5_000_000)).scaleb(-5))
        min_: str | int
        max_: str | int
        if type_ == "Package":
            min_, max_ = "1", "1"
        else:
            min_ = str(rng.choice([1, 10, 50, 100, 1000]))
            max_ = str(rng.choice([5000, 100_000, 1_000_000]))
        if i % 7 == 3:
            min_, max_ = int(min_), int(max_)
        out.append(_service(sid, category, name, type_, rate, min_, max_, refills[i % 7]))
    return out


# --------------------------------------------------------------------------- parsing helpers


class _PanelError(Exception):
    """Raised inside an action: the panel answers ``{"error": message}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class _RawJson:
    """Already serialized JSON, embedded verbatim."""

    text: str


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a number: {value!r}")
    return result


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise ValueError(f"not an integer: {value!r}")


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


def _plain(value: Decimal) -> str:
    """``Decimal`` as a plain literal without exponent or trailing zeros: 2.5, 0.27819, 100."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _charge(value: Decimal) -> Decimal:
    return value.quantize(_CHARGE_STEP, rounding=ROUND_HALF_UP)


def _to_json(value: object) -> str:
    """Compact JSON; ``Decimal`` becomes a JSON number written from its literal."""
    if isinstance(value, _RawJson):
        return value.text
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal")
        return _plain(value)
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}:{_to_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_to_json(v) for v in value) + "]"
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value.strip():
        raise _PanelError(ERR_MISSING)
    return value


def _quantity(fields: Mapping[str, str], low: int, high: int) -> int:
    raw = _required(fields, "quantity").strip()
    if not _INT_RE.fullmatch(raw):
        raise _PanelError(ERR_REQUEST)
    return _in_range(int(raw), low, high)


def _in_range(quantity: int, low: int, high: int) -> int:
    if quantity < low:
        raise _PanelError(f"Quantity less than minimal {low}")
    if quantity > high:
        raise _PanelError(f"Quantity more than maximum {high}")
    return quantity


def _bounded(fields: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = _required(fields, name).strip()
    if not _INT_RE.fullmatch(raw):
        raise _PanelError(ERR_REQUEST)
    value = int(raw)
    if value < low:
        raise _PanelError(f"{name.capitalize()} less than minimal {low}")
    if value > high:
        raise _PanelError(f"{name.capitalize()} more than maximum {high}")
    return value


def _drip_feed(
    fields: Mapping[str, str], service: _Service, quantity: int
) -> tuple[int, int] | None:
    """``(runs, interval)`` when ``add`` asks for drip-feed, ``None`` when it does not.

    Only Default services that list ``dripfeed`` take it; ``quantity`` is per run.
    """
    if not (fields.get("runs", "").strip() or fields.get("interval", "").strip()):
        return None
    if not service.dripfeed or service.type.casefold() != "default":
        raise _PanelError(ERR_DRIPFEED_DISABLED)
    runs = _bounded(fields, "runs", DRIP_MIN_RUNS, DRIP_MAX_RUNS)
    interval = _bounded(fields, "interval", DRIP_MIN_INTERVAL, DRIP_MAX_INTERVAL)
    if quantity * runs > service.max:
        raise _PanelError(f"Total quantity more than maximum {service.max}")
    return runs, interval


def _id_list(raw: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise _PanelError(ERR_MISSING)
    if len(ids) > MAX_IDS:
        raise _PanelError(ERR_REQUEST)
    return ids


def _parse_id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _json_id(raw: str) -> int | str:
    parsed = _parse_id(raw)
    return raw if parsed is None else parsed


# --------------------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class _Service:
    id: int
    type: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> _Service:
        return cls(
            id=_int(raw["service"]),
            type=str(raw.get("type") or "Default"),
            rate=_decimal(raw["rate"]),
            min=_int(raw["min"]),
            max=_int(raw["max"]),
            refill=_truthy(raw.get("refill", False)),
            cancel=_truthy(raw.get("cancel", False)),
            dripfeed=_truthy(raw.get("dripfeed", False)),
        )


@dataclass(slots=True)
class SimOrder:
    """A service order. ``outcome*`` is decided at creation; the rest is what the API shows."""

    id: int
    service: int
    link: str
    quantity: int  # for drip-feed, the total: quantity per run x runs
    full_charge: Decimal  # what was debited at creation
    charge: Decimal  # what the panel keeps now (less after Partial / Canceled)
    outcome: str  # "Completed", "Partial" or "Canceled"
    outcome_remains: int
    real_start_count: int
    anchor: float  # when the last timed step happened
    status: str = "Pending"
    start_count: str = "0"
    remains: str = ""
    frozen: bool = False  # set_order() was used: time no longer moves it
    runs: int | None = None  # drip-feed only
    interval: int | None = None  # drip-feed only, minutes
    cancel_requested: bool = False  # the next step ends it Canceled (or Partial)

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in _FINAL_ORDER


@dataclass(slots=True)
class SimRefill:
    id: int
    order: int
    outcome: str  # "Completed" or "Rejected"
    anchor: float
    status: str = "Pending"
    frozen: bool = False

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in _FINAL_REFILL


@dataclass(slots=True)
class SimProductOrder:
    id: int
    product: int
    quantity: int
    require: str | None
    charge: Decimal
    outcome: str  # "Completed", "Partial" or "Canceled"
    outcome_remains: int
    anchor: float
    status: str = "Pending"
    remains: int | None = None
    result: str | None = None
    note: str | None = None
    frozen: bool = False

    @property
    def is_final(self) -> bool:
        return self.status.casefold() in _FINAL_ORDER


Action = Callable[[Mapping[str, str]], object]


class PanelSimulator:
    """An in-memory SMM panel with the 1DG "API v2" over HTTP. See the module docstring."""

    def __init__(
        self,
        *,
        key: str = "demo",
        tick_seconds: float | None = 5.0,
        seed: int = 1,
        services: list[dict[str, Any]] | None = None,
        products: list[dict[str, Any]] | None = None,
        fail_ratio_partial: float = 0.1,
        fail_ratio_canceled: float = 0.05,
        fail_ratio_rejected: float = 0.1,
        overdelivery_ratio: float = 0.2,
        latency_seconds: float = 0.0,
        fault_delay_seconds: float = 30.0,
        balance: Decimal = Decimal("1000"),
        currency: str = CURRENCY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.key = key
        self.currency = currency
        self.tick_seconds = tick_seconds
        self.fail_ratio_partial = fail_ratio_partial
        self.fail_ratio_canceled = fail_ratio_canceled
        self.fail_ratio_rejected = fail_ratio_rejected
        self.overdelivery_ratio = overdelivery_ratio
        self.latency_seconds = latency_seconds
        self.fault_delay_seconds = fault_delay_seconds
        self._clock = clock
        self._rng = random.Random(seed)
        self._balance = Decimal(balance)

        raw_services = copy.deepcopy(default_services() if services is None else services)
        self._services_raw = raw_services
        self._services = {s.id: s for s in map(_Service.parse, raw_services)}
        self._services_json: _RawJson | None = None
        self._disabled: set[int] = set()  # switched off: not listed, refused on `add`
        raw_products = copy.deepcopy(default_products() if products is None else products)
        self._products: dict[int, dict[str, Any]] = {_int(p["product"]): p for p in raw_products}

        self.orders: dict[int, SimOrder] = {}
        self.refills: dict[int, SimRefill] = {}
        self.product_orders: dict[int, SimProductOrder] = {}
        self._active_links: dict[tuple[int, str], int] = {}
        self._next_order = FIRST_ORDER_ID
        self._next_refill = FIRST_REFILL_ID
        self._next_product_order = FIRST_PRODUCT_ORDER_ID

        self.added: list[dict[str, str]] = []
        self.request_counts: Counter[str] = Counter()
        self.multi_sizes: dict[str, list[int]] = {action: [] for action in MULTI_PARAMS}
        self._faults: deque[str] = deque()

        self._actions: dict[str, Action] = {
            "services": self._act_services,
            "add": self._act_add,
            "status": self._act_status,
            "balance": self._act_balance,
            "refill": self._act_refill,
            "refill_status": self._act_refill_status,
            "products": self._act_products,
            "add_product_order": self._act_add_product_order,
            "product_order_status": self._act_product_order_status,
            "cancel": self._act_cancel,
        }
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._app = self.build_app()

    # ------------------------------------------------------------------ lifecycle

    @property
    def app(self) -> web.Application:
        return self._app

    @property
    def url(self) -> str:
        """The API URL, once started: ``http://127.0.0.1:<port>/api/v2`` (in a farm
        ``http://127.0.0.1:<port>/<name>/api/v2``)."""
        if self._url is None:
            raise RuntimeError("simulator not started")
        return self._url

    @property
    def base_url(self) -> str:
        """The root of this panel, for ``/_control/...``: ``http://127.0.0.1:<port>`` (in a
        farm ``http://127.0.0.1:<port>/<name>``)."""
        return self.url.removesuffix(API_PATH)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = a free port) and return the API URL."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._stopping.clear()
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._url = f"http://{bound_host}:{bound_port}{API_PATH}"
        return self._url

    async def stop(self) -> None:
        self._stopping.set()  # cut "delay" faults short
        if self._runner is not None:
            runner, self._runner, self._url = self._runner, None, None
            await runner.cleanup()

    def attach(self, url: str) -> None:
        """Served by another server (a ``PanelFarm``) whose API URL for this panel is ``url``."""
        if self._runner is not None or self._url is not None:
            raise RuntimeError("simulator already started")
        self._stopping.clear()
        self._url = url

    def detach(self) -> None:
        """The serving farm stops: cut "delay" faults short and forget the URL."""
        self._stopping.set()
        self._url = None

    # ------------------------------------------------------------------ control (Python API)

    @property
    def balance(self) -> Decimal:
        return self._balance

    def set_balance(self, balance: Decimal | str | int) -> None:
        self._balance = _decimal(balance)

    def set_service_enabled(self, service_id: int, enabled: bool) -> None:
        """Switch a service off (gone from `services`, `add` answers "Incorrect service ID",
        as panels do for a disabled service) or on again."""
        if enabled:
            self._disabled.discard(service_id)
        else:
            self._disabled.add(service_id)
        self._services_json = None

    def set_product_stock(self, product_id: int, inventory: int) -> None:
        product = self._products[product_id]
        product["inventory"] = inventory
        product["status"] = "In stock" if inventory > 0 else "Out of stock"

    def inject_fault(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` API requests fail; faults queue in order.

        ``http500``, ``html`` and ``drop`` answer before the action runs (nothing is done);
        ``truncated`` and ``delay`` run the action (an ``add`` creates the order) and then
        cut the answer in half / answer after ``fault_delay_seconds``.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        self._faults.extend([kind] * count)

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset_counters(self) -> None:
        self.request_counts.clear()
        for sizes in self.multi_sizes.values():
            sizes.clear()

    def advance(self, steps: int = 1) -> None:
        """Move every non-final order, refill and product order ``steps`` steps forward.

        ``advance(0)`` only brings the lazily evaluated states up to date.
        """
        for order in self.orders.values():
            self._refresh_order(order)
            for _ in range(steps):
                self._step_order(order)
        for refill in self.refills.values():
            self._refresh_refill(refill)
            for _ in range(steps):
                self._step_refill(refill)
        for product_order in self.product_orders.values():
            self._refresh_product_order(product_order)
            for _ in range(steps):
                self._step_product_order(product_order)

    def set_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | str | None = None,
        start_count: int | str | None = None,
        charge: Decimal | str | None = None,
    ) -> None:
        """Force what ``status`` shows for an order; it then stops moving with time.

        Without ``charge``, Canceled charges 0 and Partial charges the delivered share. The
        panel balance is credited (or debited) with the change of charge.
        """
        order = self.orders[order_id]
        self._refresh_order(order)
        order.frozen = True
        if status is not None:
            order.status = status
        if remains is not None:
            order.remains = str(remains)
        if start_count is not None:
            order.start_count = str(start_count)
        new_charge = order.charge
        if charge is not None:
            new_charge = _decimal(charge)
        elif status is not None and status.casefold() == "canceled":
            new_charge = Decimal(0)
        elif status is not None and status.casefold() == "partial":
            with contextlib.suppress(ValueError):
                left = min(max(_int(order.remains), 0), order.quantity)
                delivered = order.quantity - left
                new_charge = _charge(order.full_charge * delivered / order.quantity)
        self._recharge_order(order, new_charge)

    def set_refill(self, refill_id: int, status: str) -> None:
        refill = self.refills[refill_id]
        refill.frozen = True
        refill.status = status

    def set_product_order(
        self,
        order_id: int,
        status: str | None = None,
        remains: int | None = None,
        result: str | None = None,
        note: str | None = None,
    ) -> None:
        """Force what ``product_order_status`` shows; the order then stops moving with time."""
        order = self.product_orders[order_id]
        self._refresh_product_order(order)
        order.frozen = True
        if status is not None:
            order.status = status
            if status.casefold() == "canceled":
                self._balance += order.charge
                order.charge = Decimal(0)
                order.result = order.remains = None
        if remains is not None:
            order.remains = remains
        if result is not None:
            order.result = result
        if note is not None:
            order.note = note

    def stats(self) -> dict[str, Any]:
        return {
            "request_counts": dict(self.request_counts),
            "multi_sizes": {action: list(sizes) for action, sizes in self.multi_sizes.items()},
            "balance": self._balance_text(),
            "currency": self.currency,
            "orders": len(self.orders),
            "refills": len(self.refills),
            "product_orders": len(self.product_orders),
            "faults_pending": list(self._faults),
            "added": list(self.added),
        }

    # ------------------------------------------------------------------ HTTP

    def build_app(self) -> web.Application:
        """A new aiohttp application serving this panel: ``/api/v2`` and ``/_control/...``.

        Each call builds a fresh one, so a ``PanelFarm`` can mount it as a sub-application.
        """
        app = web.Application()
        app.router.add_post(API_PATH, self._handle_api)
        app.router.add_get(API_PATH, self._handle_api)
        controls: dict[str, Callable[[dict[str, Any]], object]] = {
            "fault": self._ctl_fault,
            "order": self._ctl_order,
            "refill": self._ctl_refill,
            "product_order": self._ctl_product_order,
            "product_stock": self._ctl_product_stock,
            "balance": self._ctl_balance,
            "advance": self._ctl_advance,
            "reset_counters": self._ctl_reset_counters,
        }
        for name, fn in controls.items():
            app.router.add_post(f"{CONTROL_PATH}/{name}", self._control_handler(fn))
        app.router.add_get(f"{CONTROL_PATH}/stats", self._handle_stats)
        return app

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        fields = await _read_fields(request)
        action = fields.get("action", "")
        if action:
            self.request_counts[action] += 1
        multi_param = MULTI_PARAMS.get(action)
        if multi_param is not None and multi_param in fields:
            ids = [part for part in fields[multi_param].split(",") if part.strip()]
            self.multi_sizes[action].append(len(ids))
        if self.latency_seconds > 0:
            await asyncio.sleep(self.latency_seconds)

        fault = self._faults.popleft() if self._faults else None
        if fault == "http500":
            return web.Response(status=500, text=_HTML_500, content_type="text/html")
        if fault == "html":
            return web.Response(
                text=_HTML_CLOUDFLARE,
                content_type="text/html",
                headers={"Server": "cloudflare", "CF-RAY": "8c1f2e3d4a5b6c7d-FRA"},
            )
        if fault == "drop":
            if request.transport is not None:
                request.transport.abort()  # the client sees the server disconnect
            return web.Response(status=204)
        if fault == "delay":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.fault_delay_seconds)

        body = _to_json(self._answer(fields))
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        return web.Response(text=body, content_type="application/json")

    def _answer(self, fields: Mapping[str, str]) -> object:
        if not secrets.compare_digest(fields.get("key", "").encode(), self.key.encode()):
            return {"error": ERR_KEY}
        handler = self._actions.get(fields.get("action", ""))
        if handler is None:
            return {"error": ERR_REQUEST}
        try:
            return handler(fields)
        except _PanelError as exc:
            return {"error": exc.message}

    def _control_handler(
        self, fn: Callable[[dict[str, Any]], object]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                body = await request.json(loads=partial(json.loads, parse_float=Decimal))
            except json.JSONDecodeError:
                body = None
            if request.can_read_body and not isinstance(body, dict):
                return _json_response({"error": "body must be a JSON object"}, status=400)
            try:
                result = fn(body or {})
            except KeyError as exc:
                return _json_response({"error": f"unknown id or missing field: {exc}"}, 404)
            except (ValueError, TypeError, AttributeError) as exc:
                return _json_response({"error": str(exc)}, status=400)
            return _json_response(result if result is not None else {"ok": True})

        return handle

    async def _handle_stats(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.stats())

    def _ctl_fault(self, body: dict[str, Any]) -> None:
        self.inject_fault(str(body["kind"]), _int(body.get("count", 1)))

    def _ctl_order(self, body: dict[str, Any]) -> None:
        self.set_order(
            _int(body["order"]),
            status=body.get("status"),
            remains=body.get("remains"),
            start_count=body.get("start_count"),
            charge=None if body.get("charge") is None else str(body["charge"]),
        )

    def _ctl_refill(self, body: dict[str, Any]) -> None:
        self.set_refill(_int(body["refill"]), str(body["status"]))

    def _ctl_product_order(self, body: dict[str, Any]) -> None:
        remains = body.get("remains")
        self.set_product_order(
            _int(body["order"]),
            status=body.get("status"),
            remains=None if remains is None else _int(remains),
            result=body.get("result"),
            note=body.get("note"),
        )

    def _ctl_product_stock(self, body: dict[str, Any]) -> None:
        self.set_product_stock(_int(body["product"]), _int(body["inventory"]))

    def _ctl_balance(self, body: dict[str, Any]) -> dict[str, str]:
        self.set_balance(_decimal(body["balance"]))
        return {"balance": self._balance_text()}

    def _ctl_advance(self, body: dict[str, Any]) -> None:
        self.advance(_int(body.get("steps", 1)))

    def _ctl_reset_counters(self, body: dict[str, Any]) -> None:
        self.reset_counters()

    # ------------------------------------------------------------------ actions

    def _act_services(self, fields: Mapping[str, str]) -> object:
        if self._services_json is None:
            listed = [
                s for s in self._services_raw if _parse_id(str(s["service"])) not in self._disabled
            ]
            self._services_json = _RawJson(_to_json(listed))
        return self._services_json

    def _act_balance(self, fields: Mapping[str, str]) -> object:
        return {"balance": self._balance_text(), "currency": self.currency}

    def _act_add(self, fields: Mapping[str, str]) -> object:
        sid = _parse_id(_required(fields, "service"))
        service = self._services.get(sid) if sid is not None else None
        if service is None or service.id in self._disabled:
            raise _PanelError(ERR_SERVICE)
        link = _required(fields, "link").strip()
        kind = service.type.casefold()
        if kind == "package":
            quantity = 1
        elif kind == "custom comments":
            comments = _required(fields, "comments").splitlines()
            quantity = _in_range(sum(1 for c in comments if c.strip()), service.min, service.max)
        else:  # Default, Special (1DG), Special 1 (1DG) and types we do not know
            if kind == "special (1dg)":
                _required(fields, "list")
            elif kind == "special 1 (1dg)":
                _required(fields, "suggest")
                _required(fields, "search")
            quantity = _quantity(fields, service.min, service.max)

        drip = _drip_feed(fields, service, quantity)
        if drip is not None:
            quantity *= drip[0]  # from here on, quantity is the total over every run

        active_id = self._active_links.get((service.id, link))
        if active_id is not None:
            active = self.orders[active_id]
            self._refresh_order(active)
            if not active.is_final:
                raise _PanelError(ERR_ACTIVE)
        charge = service.rate if kind == "package" else _charge(service.rate * quantity / 1000)
        self._debit(charge)

        roll = self._rng.random()
        outcome, outcome_remains = "Completed", 0
        if roll < self.fail_ratio_canceled:
            outcome, outcome_remains = "Canceled", quantity
        elif roll < self.fail_ratio_canceled + self.fail_ratio_partial and quantity > 1:
            outcome, outcome_remains = "Partial", self._rng.randint(1, quantity - 1)
        elif self._rng.random() < self.overdelivery_ratio:
            outcome_remains = -self._rng.randint(1, 10)
        order = SimOrder(
            id=self._next_order,
            service=service.id,
            link=link,
            quantity=quantity,
            full_charge=charge,
            charge=charge,
            outcome=outcome,
            outcome_remains=outcome_remains,
            real_start_count=self._rng.randint(0, 5000),
            anchor=self._clock(),
            remains=str(quantity),
            runs=None if drip is None else drip[0],
            interval=None if drip is None else drip[1],
        )
        self._next_order += 1
        self.orders[order.id] = order
        self._active_links[(service.id, link)] = order.id
        self.added.append({k: v for k, v in fields.items() if k != "key"})
        return {"order": order.id}

    def _act_status(self, fields: Mapping[str, str]) -> object:
        if "orders" in fields:
            answer: dict[str, object] = {}
            for raw in _id_list(fields["orders"]):
                try:
                    answer[raw] = self._order_view(raw)
                except _PanelError as exc:
                    answer[raw] = {"error": exc.message}
            return answer
        return self._order_view(_required(fields, "order"))

    def _act_refill(self, fields: Mapping[str, str]) -> object:
        if "orders" in fields:
            answer: list[object] = []
            for raw in _id_list(fields["orders"]):
                try:
                    answer.append({"order": _json_id(raw), "refill": self._create_refill(raw)})
                except _PanelError as exc:
                    answer.append({"order": _json_id(raw), "refill": {"error": exc.message}})
            return answer
        return {"refill": str(self._create_refill(_required(fields, "order")))}

    def _act_refill_status(self, fields: Mapping[str, str]) -> object:
        if "refills" in fields:
            answer: list[object] = []
            for raw in _id_list(fields["refills"]):
                try:
                    status: object = self._refill_status(raw)
                except _PanelError as exc:
                    status = {"error": exc.message}
                answer.append({"refill": _json_id(raw), "status": status})
            return answer
        return {"status": self._refill_status(_required(fields, "refill"))}

    def _act_cancel(self, fields: Mapping[str, str]) -> object:
        """Per id ``{"order": id, "cancel": 1}`` or ``{"order": id, "cancel": {"error": ...}}``.

        The family's docs name only ``orders``; a lone ``order`` is answered the same way.
        """
        raw_ids = fields["orders"] if "orders" in fields else _required(fields, "order")
        answer: list[object] = []
        for raw in _id_list(raw_ids):
            try:
                self._request_cancel(raw)
            except _PanelError as exc:
                answer.append({"order": _json_id(raw), "cancel": {"error": exc.message}})
            else:
                answer.append({"order": _json_id(raw), "cancel": 1})
        return answer

    def _act_products(self, fields: Mapping[str, str]) -> object:
        return list(self._products.values())

    def _act_add_product_order(self, fields: Mapping[str, str]) -> object:
        pid = _parse_id(_required(fields, "product"))
        product = self._products.get(pid) if pid is not None else None
        if product is None:
            raise _PanelError(ERR_PRODUCT)
        needs = product.get("require")
        require = fields.get("require", "").strip() or None
        if needs and require is None:
            raise _PanelError(ERR_MISSING)
        if str(product.get("status", "")).casefold() == "out of stock":
            raise _PanelError(ERR_OUT_OF_STOCK)
        quantity = _quantity(fields, _int(product["min"]), _int(product["max"]))
        inventory = product.get("inventory")
        if inventory is not None and _int(inventory) < quantity:
            raise _PanelError(ERR_OUT_OF_STOCK)
        charge = _charge(_decimal(product["rate"]) * quantity)
        self._debit(charge)
        if inventory is not None:
            self.set_product_stock(_int(product["product"]), _int(inventory) - quantity)

        roll = self._rng.random()
        outcome, outcome_remains = "Completed", 0
        if roll < self.fail_ratio_canceled:
            outcome, outcome_remains = "Canceled", quantity
        elif roll < self.fail_ratio_canceled + self.fail_ratio_partial and quantity > 1:
            outcome, outcome_remains = "Partial", self._rng.randint(1, quantity - 1)
        order = SimProductOrder(
            id=self._next_product_order,
            product=_int(product["product"]),
            quantity=quantity,
            require=require if needs else None,
            charge=charge,
            outcome=outcome,
            outcome_remains=outcome_remains,
            anchor=self._clock(),
        )
        self._next_product_order += 1
        self.product_orders[order.id] = order
        return {"order": order.id}

    def _act_product_order_status(self, fields: Mapping[str, str]) -> object:
        if "orders" in fields:
            answer: dict[str, object] = {}
            for raw in _id_list(fields["orders"]):
                try:
                    answer[raw] = self._product_order_view(raw)
                except _PanelError as exc:
                    answer[raw] = {"error": exc.message}
            return answer
        return self._product_order_view(_required(fields, "order"))

    # ------------------------------------------------------------------ views and lookups

    def _balance_text(self) -> str:
        return format(self._balance.quantize(_BALANCE_STEP, rounding=ROUND_DOWN), "f")

    def _debit(self, charge: Decimal) -> None:
        if charge > self._balance:
            raise _PanelError(ERR_FUNDS)
        self._balance -= charge

    def _find_order(self, raw: str) -> SimOrder:
        order_id = _parse_id(raw)
        order = self.orders.get(order_id) if order_id is not None else None
        if order is None:
            raise _PanelError(ERR_ORDER)
        self._refresh_order(order)
        return order

    def _order_view(self, raw: str) -> dict[str, str]:
        order = self._find_order(raw)
        view = {
            "charge": _plain(order.charge),
            "start_count": order.start_count,
            "status": order.status,
            "remains": order.remains,
            "currency": self.currency,
        }
        if order.runs is not None:  # drip-feed panels add the runs; clients ignore what they
            view["runs"] = str(order.runs)  # do not know, and remains counts every run
        return view

    def _request_cancel(self, raw: str) -> None:
        order = self._find_order(raw)
        if not self._services[order.service].cancel:
            raise _PanelError(ERR_CANCEL_DISABLED)
        if order.is_final or order.cancel_requested:
            raise _PanelError(ERR_NOT_CANCELABLE)
        order.cancel_requested = True

    def _create_refill(self, raw: str) -> int:
        order = self._find_order(raw)
        if not self._services[order.service].refill:
            raise _PanelError(ERR_REFILL_DISABLED)
        if order.status.casefold() != "completed":
            raise _PanelError(ERR_NOT_ELIGIBLE)
        for refill in self.refills.values():
            if refill.order == order.id:
                self._refresh_refill(refill)
                if not refill.is_final:
                    raise _PanelError(ERR_NOT_ELIGIBLE)
        rejected = self._rng.random() < self.fail_ratio_rejected
        refill = SimRefill(
            id=self._next_refill,
            order=order.id,
            outcome="Rejected" if rejected else "Completed",
            anchor=self._clock(),
        )
        self._next_refill += 1
        self.refills[refill.id] = refill
        return refill.id

    def _refill_status(self, raw: str) -> str:
        refill_id = _parse_id(raw)
        refill = self.refills.get(refill_id) if refill_id is not None else None
        if refill is None:
            raise _PanelError(ERR_REFILL)
        self._refresh_refill(refill)
        return refill.status

    def _product_order_view(self, raw: str) -> dict[str, object]:
        order_id = _parse_id(raw)
        order = self.product_orders.get(order_id) if order_id is not None else None
        if order is None:
            raise _PanelError(ERR_ORDER)
        self._refresh_product_order(order)
        view: dict[str, object] = {"charge": order.charge, "status": order.status}
        if order.remains is not None:
            view["remains"] = order.remains
        if order.result is not None:
            view["result"] = order.result
        if order.note is not None:
            view["note"] = order.note
        return view

    # ------------------------------------------------------------------ progression

    def _due_steps(self, item: SimOrder | SimRefill | SimProductOrder) -> int:
        """Timed steps owed since ``item.anchor``; moves the anchor past them."""
        if item.frozen or not self.tick_seconds or item.is_final:
            return 0
        due = int((self._clock() - item.anchor) // self.tick_seconds)
        if due <= 0:
            return 0
        item.anchor += due * self.tick_seconds
        return min(due, 2)  # two steps reach a final state

    def _refresh_order(self, order: SimOrder) -> None:
        for _ in range(self._due_steps(order)):
            self._step_order(order)

    def _refresh_refill(self, refill: SimRefill) -> None:
        for _ in range(self._due_steps(refill)):
            self._step_refill(refill)

    def _refresh_product_order(self, order: SimProductOrder) -> None:
        for _ in range(self._due_steps(order)):
            self._step_product_order(order)

    def _step_order(self, order: SimOrder) -> None:
        if order.is_final:
            return
        if order.cancel_requested:
            self._finish_canceled(order)
            return
        if order.status == "Pending":
            order.status = "In progress"
            order.start_count = str(order.real_start_count)
            order.remains = str((order.quantity + 1) // 2)
            return
        order.status = order.outcome
        order.remains = str(order.outcome_remains)
        delivered = order.quantity - max(order.outcome_remains, 0)
        self._recharge_order(order, _charge(order.full_charge * delivered / order.quantity))

    def _finish_canceled(self, order: SimOrder) -> None:
        """A canceled order that had not started delivers nothing: Canceled, remains = quantity,
        charge 0. One already in progress keeps what it delivered, as real panels do: Partial."""
        left = order.quantity
        if order.status.casefold() not in {"pending", "processing"}:
            with contextlib.suppress(ValueError):
                left = min(max(_int(order.remains), 0), order.quantity)
        delivered = order.quantity - left
        order.status = "Partial" if delivered else "Canceled"
        order.remains = str(left)
        self._recharge_order(order, _charge(order.full_charge * delivered / order.quantity))

    def _recharge_order(self, order: SimOrder, new_charge: Decimal) -> None:
        """The panel refunds (or takes) the difference on its own balance."""
        self._balance += order.charge - new_charge
        order.charge = new_charge

    def _step_refill(self, refill: SimRefill) -> None:
        if refill.is_final:
            return
        refill.status = "In progress" if refill.status == "Pending" else refill.outcome

    def _step_product_order(self, order: SimProductOrder) -> None:
        if order.is_final:
            return
        if order.status == "Pending":
            order.status = "In progress"
            return
        order.status = order.outcome
        undelivered = order.outcome_remains
        delivered = order.quantity - undelivered
        if undelivered:
            product = self._products.get(order.product)
            if product is not None and product.get("inventory") is not None:
                self.set_product_stock(order.product, _int(product["inventory"]) + undelivered)
            new_charge = _charge(order.charge * delivered / order.quantity)
            self._balance += order.charge - new_charge
            order.charge = new_charge
        if order.outcome == "Canceled":
            order.note = "Out of stock"
            return
        if order.outcome == "Partial":
            order.remains = undelivered
        order.result = "\n".join(
            str(uuid.UUID(int=self._rng.getrandbits(128), version=4)) for _ in range(delivered)
        )


async def _read_fields(request: web.Request) -> dict[str, str]:
    """Query string, then form-encoded / multipart / JSON body (the body wins)."""
    fields = dict(request.query)
    if not request.can_read_body:
        return fields
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            body = await request.json()
            if isinstance(body, dict):
                fields.update({str(k): str(v) for k, v in body.items()})
        return fields
    for name, value in (await request.post()).items():
        if isinstance(value, str):
            fields[name] = value
        elif isinstance(value, bytes | bytearray):
            fields[name] = value.decode("utf-8", "replace")
        else:  # an uploaded file part
            fields[name] = value.file.read().decode("utf-8", "replace")
    return fields


def _json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(text=_to_json(data), status=status, content_type="application/json")


# --------------------------------------------------------------------------- several panels


@dataclass(frozen=True, slots=True)
class PanelPreset:
    """What tells one demo panel from another."""

    key: str
    currency: str
    balance: Decimal
    services: Callable[[], list[dict[str, Any]]]
    products: Callable[[], list[dict[str, Any]]]


PANEL_PRESETS: Final[Mapping[str, PanelPreset]] = {
    # The seed panel: neither cancel nor drip-feed.
    "main": PanelPreset("demo", "USD", Decimal("1000"), default_services, default_products),
    # Overlaps main under other ids and rates; cancel and drip-feed on some services.
    "backup": PanelPreset("demo-backup", "USD", Decimal("500"), backup_services, no_products),
    # Answers in VND at VND-scale rates.
    "vnd": PanelPreset("demo-vnd", "VND", Decimal("25000000"), vnd_services, vnd_products),
}
_PANEL_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def make_panel(name: str, *, key: str | None = None, **options: Any) -> PanelSimulator:
    """The preset panel ``name`` (see ``PANEL_PRESETS``); ``options`` go to ``PanelSimulator``."""
    preset = PANEL_PRESETS.get(name)
    if preset is None:
        raise ValueError(f"unknown panel {name!r}; one of {sorted(PANEL_PRESETS)}")
    return PanelSimulator(
        key=preset.key if key is None else key,
        currency=preset.currency,
        balance=preset.balance,
        services=preset.services(),
        products=preset.products(),
        **options,
    )


class PanelFarm:
    """Several ``PanelSimulator`` on one server, each under its own prefix.

    Panel ``name`` answers at ``/<name>/api/v2`` and is steered at ``/<name>/_control/...``;
    ``GET /_control/panels`` lists the panels (names, URLs, currencies; never keys). Each
    panel's ``url`` and ``base_url`` point at its prefix while the farm runs.
    """

    def __init__(self, panels: Mapping[str, PanelSimulator]) -> None:
        if not panels:
            raise ValueError("a farm needs at least one panel")
        for name in panels:
            if not _PANEL_NAME_RE.fullmatch(name):
                raise ValueError(f"bad panel name {name!r}: lowercase letters, digits, - and _")
        self.panels = dict(panels)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @classmethod
    def demo(
        cls,
        names: Sequence[str] = tuple(PANEL_PRESETS),
        *,
        keys: Mapping[str, str] | None = None,
        seed: int = 1,
        **options: Any,
    ) -> PanelFarm:
        """The preset panels ``names``; each gets its own seed so their outcomes differ."""
        keys = keys or {}
        return cls(
            {
                name: make_panel(name, key=keys.get(name), seed=seed + index, **options)
                for index, name in enumerate(names)
            }
        )

    def __getitem__(self, name: str) -> PanelSimulator:
        return self.panels[name]

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("farm not started")
        return self._base_url

    @property
    def urls(self) -> dict[str, str]:
        """Each panel's API URL, once started."""
        return {name: sim.url for name, sim in self.panels.items()}

    def build_app(self) -> web.Application:
        root = web.Application()
        for name, sim in self.panels.items():
            root.add_subapp(f"/{name}", sim.build_app())
        root.router.add_get(f"{CONTROL_PATH}/panels", self._handle_panels)
        return root

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> dict[str, str]:
        """Serve every panel on host:port (0 = a free port); returns name -> API URL."""
        if self._runner is not None:
            raise RuntimeError("farm already started")
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        attached: list[PanelSimulator] = []
        try:
            await web.TCPSite(runner, host, port).start()
            bound_host, bound_port = runner.addresses[0][:2]
            if ":" in bound_host:
                bound_host = f"[{bound_host}]"
            base = f"http://{bound_host}:{bound_port}"
            for name, sim in self.panels.items():
                sim.attach(f"{base}/{name}{API_PATH}")  # refuses a panel served elsewhere
                attached.append(sim)
        except BaseException:
            for sim in attached:
                sim.detach()
            await runner.cleanup()
            raise
        self._runner, self._base_url = runner, base
        return self.urls

    async def stop(self) -> None:
        if self._runner is None:
            return  # never started: its panels may be served elsewhere, leave them be
        for sim in self.panels.values():
            sim.detach()
        runner, self._runner, self._base_url = self._runner, None, None
        await runner.cleanup()

    async def __aenter__(self) -> PanelFarm:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle_panels(self, request: web.Request) -> web.StreamResponse:
        return _json_response(
            {name: {"url": sim.url, "currency": sim.currency} for name, sim in self.panels.items()}
        )


# --------------------------------------------------------------------------- standalone


def _key_hint(key: str) -> str:
    """Demo keys in full (people type them); any other key masked, as it may be a real one."""
    if key == "demo" or any(key == preset.key for preset in PANEL_PRESETS.values()):
        return f'key "{key}"'
    return f"key {key[:2]}{'*' * max(len(key) - 2, 0)} ({len(key)} characters)"


def panel_names(text: str) -> list[str]:
    """``--panels main,backup,vnd``: preset names, comma-separated, each once."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PANEL_PRESETS]
    if not names or unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"expected distinct names among {', '.join(PANEL_PRESETS)}, got {text!r}"
        )
    return names


def describe_farm(farm: PanelFarm) -> list[str]:
    """One line per panel: name, currency, API URL and key, for the console."""
    width = max(len(sim.url) for sim in farm.panels.values())
    return [
        f"panel {name:<8} {sim.currency:<4} {sim.url:<{width}}  {_key_hint(sim.key)}"
        for name, sim in farm.panels.items()
    ]


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(args: argparse.Namespace) -> None:
    options: dict[str, Any] = {"tick_seconds": args.tick or None, "latency_seconds": args.latency}
    if args.panels:
        farm = PanelFarm.demo(args.panels, keys={"main": args.key}, seed=args.seed, **options)
        await farm.start(args.host, args.port)
        try:
            for line in describe_farm(farm):
                log.info("%s", line)
            log.info("Control under <panel root>/_control/...; list at %s/_control/panels",
                     farm.base_url)  # fmt: skip
            await _wait_for_signal()
        finally:
            await farm.stop()
        return
    sim = PanelSimulator(key=args.key, seed=args.seed, **options)
    url = await sim.start(args.host, args.port)
    log.info("Panel simulator at %s (%s); control under %s", url, _key_hint(args.key), CONTROL_PATH)
    try:
        await _wait_for_signal()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m provider.simulator",
        description='A realistic 1DG / Perfect Panel "API v2" SMM panel for demos and tests.',
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8800, help="port (default: 8800; 0 = any)")
    parser.add_argument(
        "--key",
        default="demo",
        help='the API key accepted (default: "demo"); with --panels, the key of "main"',
    )
    parser.add_argument(
        "--panels",
        type=panel_names,
        default=None,
        help=(
            "serve several panels on one port, each at /<name>/api/v2 with its own key: "
            f"a comma-separated choice of {', '.join(PANEL_PRESETS)} "
            "(default: one panel at /api/v2)"
        ),
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=5.0,
        help="seconds per order status step (default: 5; 0 = only /_control/advance moves them)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every API call (default: 0)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
