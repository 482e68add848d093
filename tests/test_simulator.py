"""The panel simulator, exercised over real HTTP as a client of the panel would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from functools import partial
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from simulators.panel import PanelSimulator, main, make_large_catalog

ERR_MISSING = "There are missing required parameters. Please check your API Manual"
ERR_ACTIVE = "You have active order with this link. Please wait until order being completed."
_loads = partial(json.loads, parse_float=Decimal)


class Panel:
    """A thin raw client: posts form fields, returns the decoded JSON."""

    def __init__(self, sim: PanelSimulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.url = sim.url

    async def call(self, action: str, *, key: str = "demo", **fields: object) -> Any:
        data = {"key": key, "action": action, **{k: str(v) for k, v in fields.items()}}
        async with self.session.post(self.url, data=data) as resp:
            assert resp.status == 200
            assert resp.content_type == "application/json"
            return _loads(await resp.text())

    async def control(self, name: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.sim.base_url}/_control/{name}"
        if body is None:
            async with self.session.get(url) as resp:
                assert resp.status == 200
                return await resp.json()
        async with self.session.post(url, json=body) as resp:
            return resp.status, await resp.json()


async def _open(sim: PanelSimulator) -> AsyncIterator[Panel]:
    await sim.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield Panel(sim, session)
    finally:
        await sim.stop()


@pytest_asyncio.fixture
async def panel() -> AsyncIterator[Panel]:
    async for p in _open(PanelSimulator(tick_seconds=None, seed=1)):
        yield p


@pytest_asyncio.fixture
async def sure_panel() -> AsyncIterator[Panel]:
    """Every order completes exactly (no Partial, Canceled, over-delivery or rejected refill)."""
    sim = PanelSimulator(
        tick_seconds=None,
        fail_ratio_partial=0,
        fail_ratio_canceled=0,
        fail_ratio_rejected=0,
        overdelivery_ratio=0,
    )
    async for p in _open(sim):
        yield p


# ---------------------------------------------------------------- transport and key


async def test_wrong_key_missing_and_unknown_action(panel: Panel) -> None:
    assert await panel.call("balance", key="nope") == {"error": "Invalid API key"}
    assert await panel.call("balance", key="") == {"error": "Invalid API key"}
    assert await panel.call("") == {"error": "Incorrect request"}
    assert await panel.call("cancel_everything") == {"error": "Incorrect request"}


async def test_query_params_and_multipart_are_accepted(panel: Panel) -> None:
    async with panel.session.post(panel.url, params={"key": "demo", "action": "balance"}) as r:
        assert (await r.json())["currency"] == "USD"
    form = aiohttp.FormData()
    form.add_field("key", "demo")
    form.add_field("action", "balance")
    form.add_field("unused", b"x", filename="x.txt")
    async with panel.session.post(panel.url, data=form) as r:
        assert (await r.json())["balance"] == "1000.0000"


async def test_start_reports_a_free_port_url(panel: Panel) -> None:
    assert panel.url.startswith("http://127.0.0.1:")
    assert panel.url.endswith("/api/v2")
    assert not panel.url.endswith(":0/api/v2")


# ---------------------------------------------------------------- catalog


async def test_services_catalog_is_realistic(panel: Panel) -> None:
    async with panel.session.post(panel.url, data={"key": "demo", "action": "services"}) as r:
        raw = await r.text()
    services = _loads(raw)
    assert len(services) >= 36
    assert len({s["category"] for s in services}) >= 6
    types = {s["type"] for s in services}
    assert {"Default", "Package", "Custom Comments", "Special (1DG)", "Special 1 (1DG)"} <= types
    assert types - {"Default", "Package", "Custom Comments", "Special (1DG)", "Special 1 (1DG)"}
    assert services[0] == {
        "service": 1, "name": "Youtube views", "type": "Default", "category": "Youtube",
        "rate": "2.5", "min": "200", "max": "10000", "refill": True,
    }  # fmt: skip
    assert services[1]["type"] == "Custom Comments"
    assert (services[1]["rate"], services[1]["refill"]) == ("4", False)
    assert '"min":10,' in raw  # some numbers are JSON numbers
    assert any(s["name"] != s["name"].strip() for s in services)
    assert any("<" in s["name"] and "&" in s["name"] for s in services)
    assert {repr(s.get("refill", "absent")) for s in services} >= {
        "True", "False", "'1'", "'0'", "1", "0", "'absent'"
    }  # fmt: skip
    assert any(s["rate"] == "0.27819" for s in services)
    for kind in types:
        assert any(s["type"] == kind and int(s["min"]) <= 10 for s in services), kind
    for package in (s for s in services if s["type"] == "Package"):
        assert int(package["min"]) == int(package["max"]) == 1


async def test_products_are_the_seeds(panel: Panel) -> None:
    async with panel.session.post(panel.url, data={"key": "demo", "action": "products"}) as r:
        raw = await r.text()
    products = _loads(raw)
    assert [p["product"] for p in products] == [1, 2, 3]
    assert '"rate":2.5,' in raw and '"rate":5,' in raw and '"rate":0.5,' in raw
    assert products[1]["status"] == "Out of stock" and products[1]["inventory"] == 0
    assert "require" not in products[2] and "inventory" not in products[2]


async def test_catalog_can_be_replaced() -> None:
    catalog = make_large_catalog(500, 40)
    assert len(catalog) == 500
    assert len({s["category"] for s in catalog}) == 40
    assert len({s["service"] for s in catalog}) == 500
    assert catalog == make_large_catalog(500, 40)
    products = [{"product": 9, "name": "Key", "rate": "1", "min": 1, "max": 5}]
    async for p in _open(PanelSimulator(services=catalog, products=products)):
        services = await p.call("services")
        assert len(services) == 500
        assert [x["product"] for x in await p.call("products")] == [9]


# ---------------------------------------------------------------- add and its validation


async def test_add_default_debits_and_records_fields(panel: Panel) -> None:
    first = await panel.call("add", service=1, link="https://youtu.be/a", quantity=1000)
    second = await panel.call("add", service=4, link="https://youtu.be/b", quantity=10)
    assert first == {"order": 1000}
    assert second == {"order": 1001}
    assert panel.sim.added[0] == {
        "action": "add", "service": "1", "link": "https://youtu.be/a", "quantity": "1000"
    }  # fmt: skip
    # 2.5 * 1000 / 1000 + 3.45 * 10 / 1000
    assert panel.sim.balance == Decimal("1000") - Decimal("2.5") - Decimal("0.0345")
    assert await panel.call("balance") == {"balance": "997.4655", "currency": "USD"}
    status = await panel.call("status", order=1000)
    assert status == {
        "charge": "2.5", "start_count": "0", "status": "Pending", "remains": "1000",
        "currency": "USD",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"service": 999, "link": "l", "quantity": 300}, "Incorrect service ID"),
        ({"service": "x", "link": "l", "quantity": 300}, "Incorrect service ID"),
        ({"link": "l", "quantity": 300}, ERR_MISSING),
        ({"service": 1, "quantity": 300}, ERR_MISSING),
        ({"service": 1, "link": "l"}, ERR_MISSING),
        ({"service": 1, "link": "l", "quantity": 199}, "Quantity less than minimal 200"),
        ({"service": 1, "link": "l", "quantity": 10001}, "Quantity more than maximum 10000"),
        ({"service": 1, "link": "l", "quantity": "many"}, "Incorrect request"),
        ({"service": 2, "link": "l", "comments": "a\nb"}, "Quantity less than minimal 10"),
        ({"service": 2, "link": "l", "quantity": 20}, ERR_MISSING),
        ({"service": 9, "link": "l", "quantity": 20}, ERR_MISSING),
        ({"service": 10, "link": "l", "quantity": 20, "suggest": "v1"}, ERR_MISSING),
        ({"service": 10, "link": "l", "quantity": 20, "search": "k1"}, ERR_MISSING),
    ],
)
async def test_add_rejections(panel: Panel, fields: dict[str, Any], error: str) -> None:
    assert await panel.call("add", **fields) == {"error": error}
    assert panel.sim.added == []
    assert panel.sim.balance == Decimal("1000")


async def test_add_each_type(panel: Panel) -> None:
    comments = "Great video!\n\n  \nSo <good> & fun\r\n" + "\n".join(f"c{i}" for i in range(8))
    custom = await panel.call("add", service=2, link="fb/1", comments=comments)
    package = await panel.call("add", service=11, link="yt/p", quantity=5000)
    special = await panel.call("add", service=9, link="yt/s", quantity=10, list="v1\nv2")
    special1 = await panel.call(
        "add", service=10, link="yt/s1", quantity=10, suggest="v1", search="kw"
    )
    mentions = await panel.call("add", service=37, link="x/m", quantity=50)
    assert all("order" in r for r in (custom, package, special, special1, mentions))
    orders = panel.sim.orders
    assert orders[custom["order"]].quantity == 10  # non-empty lines only
    assert orders[custom["order"]].charge == Decimal("0.04")
    assert orders[package["order"]].quantity == 1
    assert orders[package["order"]].charge == Decimal("1.9")  # the flat rate
    assert orders[mentions["order"]].charge == Decimal("0.5")
    assert panel.sim.added[1]["quantity"] == "5000"  # recorded as received


async def test_active_order_with_same_link(panel: Panel) -> None:
    first = await panel.call("add", service=4, link="yt/x", quantity=10)
    assert await panel.call("add", service=4, link="yt/x", quantity=10) == {"error": ERR_ACTIVE}
    assert "order" in await panel.call("add", service=34, link="yt/x", quantity=10)
    panel.sim.set_order(first["order"], status="Completed", remains=0)
    assert "order" in await panel.call("add", service=4, link="yt/x", quantity=10)


async def test_not_enough_funds(panel: Panel) -> None:
    panel.sim.set_balance(Decimal("0.02"))
    assert await panel.call("add", service=1, link="l", quantity=200) == {
        "error": "Not enough funds on balance"
    }
    assert "order" in await panel.call("add", service=30, link="l", quantity=100)  # 0.005
    assert await panel.call("balance") == {"balance": "0.0150", "currency": "USD"}


# ---------------------------------------------------------------- status and progression


async def test_multi_status_with_bad_ids_and_limit(panel: Panel) -> None:
    a = (await panel.call("add", service=4, link="a", quantity=10))["order"]
    b = (await panel.call("add", service=4, link="b", quantity=10))["order"]
    answer = await panel.call("status", orders=f"{a}, 4242,{b},abc")
    assert set(answer) == {str(a), "4242", str(b), "abc"}
    assert answer["4242"] == {"error": "Incorrect order ID"}
    assert answer["abc"] == {"error": "Incorrect order ID"}
    assert answer[str(a)]["status"] == "Pending"
    assert await panel.call("status", order=4242) == {"error": "Incorrect order ID"}
    too_many = ",".join(str(1000 + i) for i in range(101))
    assert await panel.call("status", orders=too_many) == {"error": "Incorrect request"}
    assert "1099" in await panel.call("status", orders=too_many.rsplit(",", 1)[0])
    assert panel.sim.request_counts["status"] == 4
    assert panel.sim.request_counts["add"] == 2
    assert panel.sim.multi_sizes["status"] == [4, 101, 100]
    panel.sim.reset_counters()
    assert panel.sim.request_counts == {}
    assert panel.sim.multi_sizes["status"] == []


async def test_progression_by_advance(sure_panel: Panel) -> None:
    panel = sure_panel
    order = (await panel.call("add", service=1, link="l", quantity=1000))["order"]
    panel.sim.advance()
    progress = await panel.call("status", order=order)
    assert progress["status"] == "In progress"
    assert 0 < int(progress["remains"]) < 1000
    assert int(progress["start_count"]) >= 0
    panel.sim.advance()
    done = await panel.call("status", order=order)
    assert (done["status"], done["remains"], done["charge"]) == ("Completed", "0", "2.5")
    panel.sim.advance(5)
    assert (await panel.call("status", order=order))["status"] == "Completed"


async def test_partial_and_canceled_refund_the_panel_balance() -> None:
    sim = PanelSimulator(tick_seconds=None, fail_ratio_partial=1.0, fail_ratio_canceled=0)
    async for panel in _open(sim):
        order = (await panel.call("add", service=1, link="l", quantity=1000))["order"]
        panel.sim.advance(2)
        partial_ = await panel.call("status", order=order)
        remains = int(partial_["remains"])
        assert partial_["status"] == "Partial" and 0 < remains < 1000
        assert Decimal(partial_["charge"]) == Decimal("2.5") * (1000 - remains) / 1000
        assert panel.sim.balance == Decimal(1000) - Decimal(partial_["charge"])

    sim = PanelSimulator(tick_seconds=None, fail_ratio_canceled=1.0)
    async for panel in _open(sim):
        order = (await panel.call("add", service=1, link="l", quantity=1000))["order"]
        panel.sim.advance(2)
        canceled = await panel.call("status", order=order)
        assert (canceled["status"], canceled["charge"], canceled["remains"]) == (
            "Canceled", "0", "1000"
        )  # fmt: skip
        assert panel.sim.balance == Decimal(1000)


async def test_progression_by_time_is_lazy_and_reproducible() -> None:
    now = [0.0]

    async def run() -> list[Any]:
        seen: list[Any] = []
        now[0] = 0.0
        sim = PanelSimulator(tick_seconds=5, seed=7, fail_ratio_partial=0.3, clock=lambda: now[0])
        async for panel in _open(sim):
            ids = [
                (await panel.call("add", service=4, link=f"l{i}", quantity=100))["order"]
                for i in range(20)
            ]
            query = ",".join(map(str, ids))
            for t in (4.9, 5.0, 9.9, 10.0, 100.0):
                now[0] = t
                seen.append(await panel.call("status", orders=query))
        return seen

    first = await run()
    statuses = [{v["status"] for v in snapshot.values()} for snapshot in first]
    assert statuses[0] == {"Pending"}
    assert statuses[1] == statuses[2] == {"In progress"}
    assert statuses[3] <= {"Completed", "Partial", "Canceled"}
    assert "Partial" in statuses[3]
    assert first[3] == first[4]
    assert await run() == first


async def test_set_order_overrides(panel: Panel) -> None:
    order = (await panel.call("add", service=1, link="l", quantity=1000))["order"]
    panel.sim.set_order(order, status="In Progress", remains="Unknown", start_count=12)
    assert await panel.call("status", order=order) == {
        "charge": "2.5", "start_count": "12", "status": "In Progress", "remains": "Unknown",
        "currency": "USD",
    }  # fmt: skip
    panel.sim.set_order(order, status="Partial", remains=400)
    answer = await panel.call("status", order=order)
    assert (answer["charge"], answer["remains"]) == ("1.5", "400")
    assert panel.sim.balance == Decimal("998.5")


# ---------------------------------------------------------------- refills


async def test_refill_rules_and_status(sure_panel: Panel) -> None:
    panel = sure_panel
    refillable = (await panel.call("add", service=4, link="a", quantity=10))["order"]
    no_refill = (await panel.call("add", service=35, link="b", quantity=10))["order"]
    assert await panel.call("refill", order=refillable) == {
        "error": "Order not eligible for refill."
    }
    panel.sim.advance(2)
    assert await panel.call("refill", order=no_refill) == {
        "error": "Refill is disabled for this service"
    }
    assert await panel.call("refill", order=999999) == {"error": "Incorrect order ID"}
    refill = await panel.call("refill", order=refillable)
    assert refill == {"refill": "500"}
    assert await panel.call("refill_status", refill=500) == {"status": "Pending"}
    assert await panel.call("refill_status", refill=1) == {"error": "Incorrect refill ID"}
    panel.sim.advance()
    assert await panel.call("refill_status", refill=500) == {"status": "In progress"}
    panel.sim.advance()
    assert await panel.call("refill_status", refill=500) == {"status": "Completed"}
    panel.sim.set_refill(500, "Rejected")
    assert await panel.call("refill_status", refills="500,77") == [
        {"refill": 500, "status": "Rejected"},
        {"refill": 77, "status": {"error": "Incorrect refill ID"}},
    ]
    assert panel.sim.multi_sizes["refill_status"] == [2]


async def test_multi_refill(sure_panel: Panel) -> None:
    panel = sure_panel
    a = (await panel.call("add", service=4, link="a", quantity=10))["order"]
    b = (await panel.call("add", service=35, link="b", quantity=10))["order"]
    panel.sim.advance(2)
    answer = await panel.call("refill", orders=f"{a},{b},5")
    assert answer == [
        {"order": a, "refill": 500},
        {"order": b, "refill": {"error": "Refill is disabled for this service"}},
        {"order": 5, "refill": {"error": "Incorrect order ID"}},
    ]
    assert await panel.call("refill", orders=str(a)) == [
        {"order": a, "refill": {"error": "Order not eligible for refill."}}
    ]  # one refill at a time
    assert panel.sim.multi_sizes["refill"] == [3, 1]


# ---------------------------------------------------------------- products


async def test_product_orders(sure_panel: Panel) -> None:
    panel = sure_panel
    assert await panel.call("add_product_order", product=1, quantity=3) == {"error": ERR_MISSING}
    assert await panel.call("add_product_order", product=2, quantity=1, require="me") == {
        "error": "Out of stock"
    }
    assert await panel.call("add_product_order", product=9, quantity=1) == {
        "error": "Incorrect request"
    }
    assert await panel.call("add_product_order", product=1, quantity=11, require="me") == {
        "error": "Quantity more than maximum 10"
    }
    order = await panel.call("add_product_order", product=1, quantity=3, require="me@x.com")
    no_require = await panel.call("add_product_order", product=3, quantity=2)
    assert order == {"order": 7000} and no_require == {"order": 7001}
    assert panel.sim.balance == Decimal("1000") - Decimal("7.5") - Decimal("1")
    products = await panel.call("products")
    assert products[0]["inventory"] == 37
    assert await panel.call("product_order_status", order=7000) == {
        "charge": Decimal("7.5"), "status": "Pending"
    }  # fmt: skip
    panel.sim.advance(2)
    done = await panel.call("product_order_status", order=7000)
    assert (done["status"], done["charge"]) == ("Completed", Decimal("7.5"))
    assert len(done["result"].splitlines()) == 3
    panel.sim.set_product_order(7001, status="Canceled", note="Out of stock")
    many = await panel.call("product_order_status", orders="7000,7001,1")
    assert many["7001"] == {"charge": 0, "status": "Canceled", "note": "Out of stock"}
    assert many["1"] == {"error": "Incorrect order ID"}
    assert await panel.call("product_order_status", order=1) == {"error": "Incorrect order ID"}
    panel.sim.set_product_stock(2, 5)
    assert "order" in await panel.call("add_product_order", product=2, quantity=1, require="me")


async def test_canceled_product_order_restores_stock() -> None:
    async for panel in _open(PanelSimulator(tick_seconds=None, fail_ratio_canceled=1.0)):
        await panel.call("add_product_order", product=1, quantity=4, require="me")
        panel.sim.advance(2)
        status = await panel.call("product_order_status", order=7000)
        assert status == {"charge": 0, "status": "Canceled", "note": "Out of stock"}
        assert (await panel.call("products"))[0]["inventory"] == 40
        assert panel.sim.balance == Decimal(1000)


# ---------------------------------------------------------------- faults


async def test_fault_http500_html_truncated(panel: Panel) -> None:
    panel.sim.inject_fault("http500")
    panel.sim.inject_fault("html")
    panel.sim.inject_fault("truncated")
    data = {"key": "demo", "action": "add", "service": "4", "link": "l", "quantity": "10"}
    async with panel.session.post(panel.url, data=data) as r:
        assert r.status == 500 and "<html>" in await r.text()
    async with panel.session.post(panel.url, data=data) as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert "Cloudflare" in await r.text()
    assert panel.sim.orders == {}  # neither reached the panel
    async with panel.session.post(panel.url, data=data) as r:
        assert r.status == 200 and r.content_type == "application/json"
        with pytest.raises(json.JSONDecodeError):
            json.loads(await r.text())
    assert list(panel.sim.orders) == [1000]  # the truncated answer's order exists
    assert await panel.call("balance") == {"balance": "999.9655", "currency": "USD"}
    assert panel.sim.request_counts["add"] == 3


async def test_fault_drop_disconnects(panel: Panel) -> None:
    panel.sim.inject_fault("drop", count=2)
    for _ in range(2):
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await panel.call("balance")
    assert (await panel.call("balance"))["currency"] == "USD"


async def test_fault_delay_times_out_the_client() -> None:
    sim = PanelSimulator(tick_seconds=None, fault_delay_seconds=0.5)
    async for panel in _open(sim):
        panel.sim.inject_fault("delay")
        timeout = aiohttp.ClientTimeout(total=0.1)
        data = {"key": "demo", "action": "add", "service": "4", "link": "l", "quantity": "10"}
        with pytest.raises(asyncio.TimeoutError):
            async with panel.session.post(panel.url, data=data, timeout=timeout) as r:
                await r.read()
        assert (await panel.call("balance"))["currency"] == "USD"  # next one is normal
        await asyncio.sleep(0.5)
        assert list(panel.sim.orders) == [1000]  # the delayed add went through


async def test_unknown_fault_kind_is_refused(panel: Panel) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        panel.sim.inject_fault("meteor")


# ---------------------------------------------------------------- HTTP control


async def test_control_endpoints(sure_panel: Panel) -> None:
    panel = sure_panel
    order = (await panel.call("add", service=4, link="a", quantity=10))["order"]
    assert await panel.control("advance", {"steps": 2}) == (200, {"ok": True})
    assert (await panel.call("status", order=order))["status"] == "Completed"
    assert await panel.control("order", {"order": order, "status": "Canceled"}) == (
        200, {"ok": True}
    )  # fmt: skip
    assert (await panel.call("status", order=order))["charge"] == "0"
    status, body = await panel.control("order", {"order": 1, "status": "Canceled"})
    assert status == 404 and "error" in body
    assert await panel.control("balance", {"balance": "12.5"}) == (200, {"balance": "12.5000"})
    assert panel.sim.balance == Decimal("12.5")
    assert (await panel.control("fault", {"kind": "http500", "count": 1}))[0] == 200
    assert (await panel.control("fault", {"kind": "nope"}))[0] == 400
    async with panel.session.post(panel.url, data={"key": "demo", "action": "balance"}) as r:
        assert r.status == 500
    await panel.call("status", orders=f"{order},1")
    stats = await panel.control("stats")
    assert stats["request_counts"] == {"add": 1, "status": 3, "balance": 1}
    assert stats["multi_sizes"]["status"] == [2]
    assert stats["added"][0]["link"] == "a"
    await panel.control("reset_counters", {})
    assert (await panel.control("stats"))["request_counts"] == {}


async def test_latency_is_added() -> None:
    async for panel in _open(PanelSimulator(latency_seconds=0.05)):
        loop = asyncio.get_running_loop()
        started = loop.time()
        await panel.call("balance")
        assert loop.time() - started >= 0.05


def test_help_names_the_default_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert '"demo"' in out and "--port" in out and "--tick" in out
