"""The simulated panels' catalogs, as the panels send them (strings and numbers mixed like real
panels), and the presets that tell one demo panel from another (``PANEL_PRESETS``)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from simulators.panel.values import plain

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
        rate = plain(Decimal(rng.randint(1, 5_000_000)).scaleb(-5))
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
