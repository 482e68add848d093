"""Several panels in one simulator, and the API v2 family's cancel and drip-feed, over HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from functools import partial
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from simulators.panel import (
    PANEL_PRESETS,
    PanelFarm,
    PanelSimulator,
    describe_farm,
    main,
    make_panel,
)

ERR_KEY = "Invalid API key"
ERR_MISSING = "There are missing required parameters. Please check your API Manual"
ERR_CANCEL_DISABLED = "Cancel is disabled for this service"
ERR_NOT_CANCELABLE = "Order not eligible for cancel."
ERR_DRIP_DISABLED = "Drip-feed is disabled for this service"
_loads = partial(json.loads, parse_float=Decimal)


class Farm:
    """A running farm and one HTTP session: raw calls to any of its panels."""

    def __init__(self, farm: PanelFarm, session: aiohttp.ClientSession) -> None:
        self.farm = farm
        self.session = session

    def __getitem__(self, name: str) -> PanelSimulator:
        return self.farm[name]

    async def call(
        self, name: str, action: str, *, key: str | None = None, **fields: object
    ) -> Any:
        sim = self.farm[name]
        data = {"key": sim.key if key is None else key, "action": action}
        data |= {k: str(v) for k, v in fields.items()}
        async with self.session.post(sim.url, data=data) as resp:
            assert resp.status == 200
            return _loads(await resp.text())

    async def raw(self, name: str, **fields: str) -> tuple[int, str]:
        sim = self.farm[name]
        async with self.session.post(sim.url, data={"key": sim.key, **fields}) as resp:
            return resp.status, await resp.text()

    async def add(self, name: str, service: int, link: str, **fields: Any) -> int:
        answer = await self.call(name, "add", service=service, link=link, **fields)
        assert "order" in answer, answer
        return int(answer["order"])


SURE: dict[str, Any] = {  # every order completes exactly, unless a test cancels it
    "tick_seconds": None,
    "fail_ratio_partial": 0,
    "fail_ratio_canceled": 0,
    "fail_ratio_rejected": 0,
    "overdelivery_ratio": 0,
}


@pytest_asyncio.fixture
async def farm() -> AsyncIterator[Farm]:
    async with PanelFarm.demo(**SURE) as running, aiohttp.ClientSession() as session:
        yield Farm(running, session)


# ---------------------------------------------------------------- one server, several panels


async def test_each_panel_has_its_own_path_and_key(farm: Farm) -> None:
    urls = farm.farm.urls
    assert list(urls) == ["main", "backup", "vnd"]
    assert {url.removesuffix(f"/{name}/api/v2") for name, url in urls.items()} == {
        farm.farm.base_url
    }
    assert farm.farm.base_url.startswith("http://127.0.0.1:")
    assert [farm[name].key for name in urls] == ["demo", "demo-backup", "demo-vnd"]
    for name in urls:
        assert "balance" in await farm.call(name, "balance")
    assert await farm.call("backup", "balance", key="demo") == {"error": ERR_KEY}
    assert await farm.call("main", "balance", key="demo-backup") == {"error": ERR_KEY}
    assert await farm.call("vnd", "balance", key="") == {"error": ERR_KEY}
    async with farm.session.post(f"{farm.farm.base_url}/api/v2", data={"key": "demo"}) as r:
        assert r.status == 404  # a farm serves no panel at the root


async def test_currencies_and_vnd_scale_rates(farm: Farm) -> None:
    assert await farm.call("main", "balance") == {"balance": "1000.0000", "currency": "USD"}
    assert await farm.call("backup", "balance") == {"balance": "500.0000", "currency": "USD"}
    assert await farm.call("vnd", "balance") == {"balance": "25000000.0000", "currency": "VND"}
    views = (await farm.call("vnd", "services"))[0]
    assert (views["rate"], views["min"]) == ("25000", "100")
    order = await farm.add("vnd", 1, "https://youtu.be/vn", quantity=1000)
    status = await farm.call("vnd", "status", order=order)
    assert (status["charge"], status["currency"]) == ("25000", "VND")
    assert await farm.call("vnd", "balance") == {"balance": "24975000.0000", "currency": "VND"}
    product = await farm.call("vnd", "add_product_order", product=1, quantity=2, require="a@b.c")
    state = await farm.call("vnd", "product_order_status", order=product["order"])
    assert state["charge"] == 130000
    assert farm["main"].balance == Decimal(1000)  # the other panels' money did not move


async def test_catalogs_main_plain_backup_overlapping_with_cancel_and_dripfeed(farm: Farm) -> None:
    main_services = await farm.call("main", "services")
    backup = await farm.call("backup", "services")
    vnd = await farm.call("vnd", "services")
    flagged = [s for s in main_services + vnd if _flag(s, "cancel") or _flag(s, "dripfeed")]
    assert flagged == []  # like the seed panel: neither cancel nor drip-feed
    assert not {s["service"] for s in backup} & {s["service"] for s in main_services}
    assert {s["category"] for s in backup} <= {s["category"] for s in main_services}
    assert sum(_flag(s, "cancel") for s in backup) >= 5
    drip = [s for s in backup if _flag(s, "dripfeed")]
    assert len(drip) >= 5 and {s["type"] for s in drip} == {"Default"}
    assert {repr(s.get("cancel", "absent")) for s in backup} >= {"True", "'1'", "1", "0"}

    def rate(services: list[dict[str, Any]], name: str) -> Decimal:
        return next(Decimal(s["rate"]) for s in services if s["name"].startswith(name))

    # the same kinds of services at other prices: some cheaper, some dearer
    assert rate(backup, "YouTube Views [Backup") < rate(main_services, "🔥 YouTube Views")
    assert rate(backup, "YouTube Likes") > rate(main_services, "YouTube Likes")
    assert rate(backup, "Instagram Likes") < rate(main_services, "Instagram Likes")
    assert rate(backup, "Instagram Followers") > rate(main_services, "Instagram Followers")
    assert min(Decimal(s["rate"]) for s in vnd) >= 250  # VND per 1000


async def test_panels_keep_their_own_orders_faults_and_controls(farm: Farm) -> None:
    backup_order = await farm.add("backup", 102, "https://youtu.be/a", quantity=10)
    assert backup_order == 1000  # every panel numbers its own orders
    assert await farm.call("main", "status", order=1000) == {"error": "Incorrect order ID"}
    farm["backup"].inject_fault("http500")
    assert (await farm.call("main", "balance"))["currency"] == "USD"  # main is not affected
    assert (await farm.raw("backup", action="balance"))[0] == 500
    base = farm["backup"].base_url
    assert base == f"{farm.farm.base_url}/backup"
    async with farm.session.post(f"{base}/_control/advance", json={"steps": 2}) as r:
        assert (r.status, await r.json()) == (200, {"ok": True})
    assert (await farm.call("backup", "status", order=backup_order))["status"] == "Completed"
    async with farm.session.get(f"{base}/_control/stats") as r:
        stats = await r.json()
    assert stats["request_counts"] == {"add": 1, "balance": 1, "status": 1}
    assert stats["currency"] == "USD"
    async with farm.session.get(f"{farm['vnd'].base_url}/_control/stats") as r:
        assert (await r.json())["request_counts"] == {}
    async with farm.session.get(f"{farm.farm.base_url}/_control/panels") as r:
        listed = await r.json()
    assert listed["vnd"] == {"url": farm["vnd"].url, "currency": "VND"}
    assert "demo" not in json.dumps(listed)  # no keys


async def test_farm_rules_and_restart() -> None:
    with pytest.raises(ValueError, match="bad panel name"):
        PanelFarm({"Main Panel": PanelSimulator()})
    with pytest.raises(ValueError, match="at least one"):
        PanelFarm({})
    with pytest.raises(ValueError, match="unknown panel"):
        make_panel("nope")
    farm = PanelFarm({"a": PanelSimulator(tick_seconds=None), "b": PanelSimulator(key="k")})
    first = await farm.start()
    await farm.stop()
    with pytest.raises(RuntimeError):
        _ = farm["a"].url
    second = await farm.start()  # a stopped farm starts again, with the panels' state kept
    try:
        assert set(first) == set(second) == {"a", "b"}
        assert second["b"].endswith("/b/api/v2")
        with pytest.raises(RuntimeError, match="already started"):
            await farm.start()
    finally:
        await farm.stop()
    alone = PanelSimulator()
    await alone.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            await PanelFarm({"x": alone}).start()
    finally:
        await alone.stop()


# ---------------------------------------------------------------- drip-feed


async def test_dripfeed_charges_every_run(farm: Farm) -> None:
    order = await farm.add(
        "backup", 101, "https://youtu.be/drip", quantity=100, runs=3, interval=15
    )
    assert farm["backup"].added[0] == {
        "action": "add", "service": "101", "link": "https://youtu.be/drip", "quantity": "100",
        "runs": "3", "interval": "15",
    }  # fmt: skip
    status = await farm.call("backup", "status", order=order)
    # 1.05 per 1000 x 100 per run x 3 runs
    assert status == {
        "charge": "0.315", "start_count": "0", "status": "Pending", "remains": "300",
        "currency": "USD", "runs": "3",
    }  # fmt: skip
    assert farm["backup"].balance == Decimal("500") - Decimal("0.315")
    farm["backup"].advance(2)
    done = await farm.call("backup", "status", order=order)
    assert (done["status"], done["remains"], done["charge"]) == ("Completed", "0", "0.315")
    plain = await farm.add("backup", 101, "https://youtu.be/plain", quantity=100, runs="")
    assert "runs" not in await farm.call("backup", "status", order=plain)  # empty = no drip-feed


@pytest.mark.parametrize(
    ("panel", "fields", "error"),
    [
        ("backup", {"service": 102, "quantity": 100, "runs": 2, "interval": 5}, ERR_DRIP_DISABLED),
        ("backup", {"service": 105, "runs": 2, "interval": 5}, ERR_DRIP_DISABLED),  # Package
        ("backup", {"service": 104, "comments": "a\nb\nc\nd\ne", "runs": 2, "interval": 5},
         ERR_DRIP_DISABLED),
        ("main", {"service": 1, "quantity": 200, "runs": 2, "interval": 5}, ERR_DRIP_DISABLED),
        ("backup", {"service": 101, "quantity": 100, "runs": 1, "interval": 5},
         "Runs less than minimal 2"),
        ("backup", {"service": 101, "quantity": 100, "runs": 1001, "interval": 5},
         "Runs more than maximum 1000"),
        ("backup", {"service": 101, "quantity": 100, "runs": 2, "interval": 0},
         "Interval less than minimal 1"),
        ("backup", {"service": 101, "quantity": 100, "runs": 2, "interval": 1441},
         "Interval more than maximum 1440"),
        ("backup", {"service": 101, "quantity": 100, "runs": 2}, ERR_MISSING),
        ("backup", {"service": 101, "quantity": 100, "interval": 5}, ERR_MISSING),
        ("backup", {"service": 101, "quantity": 100, "runs": "two", "interval": 5},
         "Incorrect request"),
        ("backup", {"service": 101, "quantity": 99, "runs": 2, "interval": 5},
         "Quantity less than minimal 100"),  # the minimum holds per run
        ("backup", {"service": 113, "quantity": 50000, "runs": 3, "interval": 5},
         "Total quantity more than maximum 100000"),
    ],
)  # fmt: skip
async def test_dripfeed_rejections(
    farm: Farm, panel: str, fields: dict[str, Any], error: str
) -> None:
    before = farm[panel].balance
    assert await farm.call(panel, "add", link="https://t.me/x", **fields) == {"error": error}
    assert farm[panel].orders == {} and farm[panel].balance == before


# ---------------------------------------------------------------- cancel


async def test_cancel_a_pending_order_refunds_once_at_the_next_step(farm: Farm) -> None:
    order = await farm.add("backup", 106, "https://instagram.com/a", quantity=1000)  # 0.95
    assert farm["backup"].balance == Decimal("499.05")
    assert await farm.call("backup", "cancel", orders=order) == [{"order": order, "cancel": 1}]
    assert (await farm.call("backup", "status", order=order))["status"] == "Pending"
    assert await farm.call("backup", "cancel", orders=order) == [
        {"order": order, "cancel": {"error": ERR_NOT_CANCELABLE}}  # asked already
    ]
    farm["backup"].advance()
    canceled = await farm.call("backup", "status", order=order)
    assert (canceled["status"], canceled["remains"], canceled["charge"]) == (
        "Canceled", "1000", "0"
    )  # fmt: skip
    assert farm["backup"].balance == Decimal(500)
    farm["backup"].advance(3)
    assert farm["backup"].balance == Decimal(500)  # refunded once
    assert await farm.call("backup", "cancel", orders=order) == [
        {"order": order, "cancel": {"error": ERR_NOT_CANCELABLE}}
    ]
    again = await farm.add("backup", 106, "https://instagram.com/a", quantity=1000)
    assert again > order  # a canceled order frees its link


async def test_cancel_of_many_answers_per_id_in_order(farm: Farm) -> None:
    pending = await farm.add("backup", 107, "https://instagram.com/p", quantity=100)
    no_cancel = await farm.add("backup", 108, "https://instagram.com/r", quantity=100)
    done = await farm.add("backup", 110, "https://tiktok.com/d", quantity=10)
    farm["backup"].set_order(done, status="Completed", remains=0)
    answer = await farm.call("backup", "cancel", orders=f"{pending}, {no_cancel},{done},4242,abc")
    assert answer == [
        {"order": pending, "cancel": 1},
        {"order": no_cancel, "cancel": {"error": ERR_CANCEL_DISABLED}},
        {"order": done, "cancel": {"error": ERR_NOT_CANCELABLE}},
        {"order": 4242, "cancel": {"error": "Incorrect order ID"}},
        {"order": "abc", "cancel": {"error": "Incorrect order ID"}},
    ]
    assert farm["backup"].multi_sizes["cancel"] == [5]
    assert await farm.call("backup", "cancel") == {"error": ERR_MISSING}
    assert await farm.call("backup", "cancel", orders=" , ") == {"error": ERR_MISSING}
    too_many = ",".join(str(1000 + i) for i in range(101))
    assert await farm.call("backup", "cancel", orders=too_many) == {"error": "Incorrect request"}
    single = await farm.call("backup", "cancel", order=no_cancel)  # a lone `order` works too
    assert single == [{"order": no_cancel, "cancel": {"error": ERR_CANCEL_DISABLED}}]
    main_order = await farm.add("main", 3, "https://youtu.be/m", quantity=100)
    assert await farm.call("main", "cancel", orders=main_order) == [
        {"order": main_order, "cancel": {"error": ERR_CANCEL_DISABLED}}
    ]


async def test_cancel_in_progress_ends_partial_with_the_delivered_share(farm: Farm) -> None:
    order = await farm.add("backup", 113, "https://t.me/c", quantity=1000, runs=2, interval=60)
    farm["backup"].advance()
    running = await farm.call("backup", "status", order=order)
    assert (running["status"], running["remains"]) == ("In progress", "1000")
    assert await farm.call("backup", "cancel", orders=order) == [{"order": order, "cancel": 1}]
    farm["backup"].advance()
    partial_ = await farm.call("backup", "status", order=order)
    # 1.05 x 2000 / 1000 = 2.1 charged; half delivered keeps 1.05
    assert (partial_["status"], partial_["remains"], partial_["charge"]) == (
        "Partial", "1000", "1.05"
    )  # fmt: skip
    assert farm["backup"].balance == Decimal("500") - Decimal("1.05")


async def test_cancel_follows_the_clock() -> None:
    now = [0.0]
    sim = make_panel("backup", tick_seconds=5, clock=lambda: now[0])
    async with PanelFarm({"backup": sim}) as running, aiohttp.ClientSession() as session:
        farm = Farm(running, session)
        order = await farm.add("backup", 117, "https://x.test", quantity=1000)
        now[0] = 1.0
        assert await farm.call("backup", "cancel", orders=order) == [{"order": order, "cancel": 1}]
        seen = []
        for now[0] in (4.9, 5.0, 100.0):
            status = await farm.call("backup", "status", order=order)
            seen.append((status["status"], status["charge"]))
        assert seen == [("Pending", "0.18"), ("Canceled", "0"), ("Canceled", "0")]
        assert sim.balance == Decimal(500)


# ---------------------------------------------------------------- faults on the new actions


async def test_faults_reach_cancel_and_dripfeed(farm: Farm) -> None:
    backup = farm["backup"]
    order = await farm.add("backup", 115, "https://x.com/f", quantity=100)
    backup.inject_fault("http500")
    backup.inject_fault("html")
    status, _ = await farm.raw("backup", action="cancel", orders=str(order))
    assert status == 500
    status, body = await farm.raw("backup", action="cancel", orders=str(order))
    assert status == 200 and "Cloudflare" in body
    assert not backup.orders[order].cancel_requested  # neither reached the panel
    backup.inject_fault("truncated")
    _, body = await farm.raw("backup", action="cancel", orders=str(order))
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    assert backup.orders[order].cancel_requested  # the truncated answer's cancel happened
    backup.inject_fault("drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await farm.call("backup", "add", service=101, link="l", quantity=100, runs=2, interval=1)
    assert list(backup.orders) == [order]
    assert backup.request_counts["cancel"] == 3


# ---------------------------------------------------------------- command line


def test_panels_flag_in_help_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--panels" in capsys.readouterr().out
    for bad in ("main,nope", "main,main", ","):
        with pytest.raises(SystemExit):
            main(["--panels", bad])
        assert "--panels" in capsys.readouterr().err


async def test_console_lines_name_each_panel_url_and_key() -> None:
    farm = PanelFarm.demo(["main", "vnd"], keys={"main": "sk-real-looking-key"}, tick_seconds=None)
    async with farm:
        lines = describe_farm(farm)
    assert len(lines) == 2
    assert "/main/api/v2" in lines[0] and "sk****" in lines[0] and "sk-real" not in lines[0]
    assert "/vnd/api/v2" in lines[1] and "VND" in lines[1]
    assert f'key "{PANEL_PRESETS["vnd"].key}"' in lines[1]


def _flag(service: dict[str, Any], name: str) -> bool:
    value = service.get(name, False)
    return str(value).strip().lower() in {"1", "true"}
