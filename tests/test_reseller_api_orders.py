"""Ordering through the reseller API: `add` for every service type (drip-feed too), `status`
of one and of many, the family's refusals (nothing charged), the one-active-order-per-link
rule, refills and cancels, products, a discount that would sell below cost, and our own panel
client using the API as a panel. Real HTTP to the shop's web server and to the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from provider.client import PanelClient
from provider.errors import PanelRefused
from provider.models import ItemError, OrderRequest, OrderStatus
from shop.service_drafts import OrderDraft
from shop.settlement import Settler
from storage.orders import OrderRecord, Stage
from tests.harness import ShopBot, World
from tests.reseller_kit import api_world, new_reseller, selling_shop

pytestmark = pytest.mark.asyncio(loop_scope="module")
LINK = "https://youtu.be/reseller"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    async with api_world() as shared:
        yield shared


@pytest_asyncio.fixture(loop_scope="module")
async def shop(world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    world.sim.clear_faults()
    async with selling_shop(world, tmp_path) as running:
        yield running


async def order_of(shop: ShopBot, order_id: int) -> OrderRecord:
    order = await shop.app.services.people.order(order_id)
    assert order is not None
    return order


async def panel_id(shop: ShopBot, order_id: int) -> int:
    order = await order_of(shop, order_id)
    assert order.panel_order_id is not None
    return order.panel_order_id


async def finish(shop: ShopBot, order_id: int, status: str, remains: int = 0) -> None:
    """The panel says the order ended so; the shop's tracker learns it."""
    shop.sim.set_order(await panel_id(shop, order_id), status=status, remains=remains)
    await shop.app.tracker.sync_once()


async def test_add_every_type_and_follow_it(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="50")
    sent = len(shop.sim.added)
    orders = {
        "default": await reseller.call("add", service=1, link=LINK + "1", quantity=1000),
        "comments": await reseller.call(
            "add", service=2, link=LINK + "2", comments="a\nb\n\n" + "\n".join("cdefghij")
        ),
        "special": await reseller.call(
            "add", service=9, link=LINK + "3", quantity=100, list="video 1\nvideo 2"
        ),
        "special_1": await reseller.call(
            "add", service=10, link=LINK + "4", quantity=50, suggest="s1", search="k1\nk2"
        ),
        "package": await reseller.call("add", service=11, link=LINK + "5"),
        "unknown_type": await reseller.call("add", service=17, link=LINK + "6", quantity=100),
        "dripfeed": await reseller.call(
            "add", service=101, link=LINK + "7", quantity=100, runs=3, interval=30
        ),
    }
    assert all(set(answer) == {"order"} for answer in orders.values()), orders
    forwarded = [{k: v for k, v in f.items() if k != "action"} for f in shop.sim.added[sent:]]
    assert forwarded == [
        {"service": "1", "link": LINK + "1", "quantity": "1000"},
        {"service": "2", "link": LINK + "2", "comments": "\n".join("abcdefghij")},
        {"service": "9", "link": LINK + "3", "quantity": "100", "list": "video 1\nvideo 2"},
        {
            "service": "10",
            "link": LINK + "4",
            "quantity": "50",
            "suggest": "s1",
            "search": "k1\nk2",
        },
        {"service": "11", "link": LINK + "5"},
        {"service": "17", "link": LINK + "6", "quantity": "100"},
        {"service": "101", "link": LINK + "7", "quantity": "100", "runs": "3", "interval": "30"},
    ]
    # The shop's prices (30% markup), charged once each through the ledger.
    prices = {
        "default": "3.25", "comments": "0.052", "special": "1.04", "special_1": "0.6175",
        "package": "2.47", "unknown_type": "0.78", "dripfeed": "0.4095",
    }  # fmt: skip
    for name, answer in orders.items():
        order = await order_of(shop, answer["order"])
        assert order.via_api and order.user_id == reseller.user_id
        assert order.price == Decimal(prices[name]), name
    spent = sum(Decimal(price) for price in prices.values())
    assert await reseller.balance() == Decimal(50) - spent

    default = orders["default"]["order"]
    assert await reseller.call("status", order=default) == {
        "charge": "3.25",
        "start_count": None,
        "status": "Pending",
        "remains": "1000",
        "currency": "USD",
    }
    drip = orders["dripfeed"]["order"]
    assert (await reseller.call("status", order=drip))["remains"] == "300"  # every run
    await finish(shop, default, "Completed")
    many = await reseller.call("status", orders=f"{default},{drip},999999,abc")
    assert many[str(default)]["status"] == "Completed"
    assert many[str(default)]["remains"] == "0"
    assert many[str(drip)]["status"] == "Pending"
    assert many["999999"] == many["abc"] == {"error": "Incorrect order ID"}


async def test_add_refusals_charge_nothing(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="1")
    cases: list[tuple[dict[str, object], str]] = [
        ({"service": 1, "link": LINK, "quantity": 100}, "Quantity less than minimal 200"),
        ({"service": 1, "link": LINK, "quantity": 10001}, "Quantity more than maximum 10000"),
        ({"service": 1, "link": LINK, "quantity": 0}, "Quantity less than minimal 200"),
        ({"service": 1, "link": LINK, "quantity": "12.5"}, "Incorrect request"),
        ({"service": 2, "link": LINK, "comments": "a\nb"}, "Quantity less than minimal 10"),
        ({"service": 1, "link": "not a link", "quantity": 1000}, "Incorrect link"),
        ({"service": 1, "quantity": 1000}, "There are missing required parameters. Please check your API Manual"),
        ({"service": 1, "link": LINK}, "There are missing required parameters. Please check your API Manual"),
        ({"service": 9, "link": LINK, "quantity": 100}, "There are missing required parameters. Please check your API Manual"),
        ({"service": 9, "link": LINK, "quantity": 100, "list": "\n".join("x" * 101)}, "List more than maximum 100"),
        ({"service": 999, "link": LINK, "quantity": 1000}, "Incorrect service ID"),
        ({"service": 1, "link": LINK, "quantity": 1000, "runs": 2, "interval": 5}, "Drip-feed is disabled for this service"),
        ({"service": 101, "link": LINK, "quantity": 1000, "runs": 1, "interval": 5}, "Runs less than minimal 2"),
        ({"service": 101, "link": LINK, "quantity": 1000, "runs": 2000, "interval": 5}, "Runs more than maximum 1000"),
        ({"service": 101, "link": LINK, "quantity": 500_000, "runs": 3, "interval": 5}, "Total quantity more than maximum 1000000"),
        ({"service": 101, "link": LINK, "quantity": 1000, "runs": 2, "interval": 2000}, "Interval more than maximum 1440"),
        ({"service": 101, "link": LINK, "quantity": 1000, "runs": 2}, "There are missing required parameters. Please check your API Manual"),
        ({"service": 1, "link": LINK, "quantity": 1000}, "Not enough funds on balance"),  # 3.25
    ]  # fmt: skip
    sent = len(shop.sim.added)
    for fields, expected in cases:
        assert await reseller.call("add", **fields) == {"error": expected}, fields
    assert len(shop.sim.added) == sent  # nothing reached the panel
    assert await reseller.balance() == Decimal(1)
    assert await shop.app.services.people.order_count(reseller.user_id) == 0


async def test_one_active_order_per_link(world: World, shop: ShopBot, tmp_path: Path) -> None:
    reseller = await new_reseller(shop, balance="20")
    first = await reseller.call("add", service=1, link=LINK, quantity=1000)
    # A script retrying after a timeout: refused, nothing charged.
    again = await reseller.call("add", service=1, link=LINK, quantity=1000)
    assert again == {
        "error": "You have active order with this link. Please wait until order being completed."
    }
    assert await reseller.balance() == Decimal("16.75")
    # Another service, or another reseller, on the same link: fine.
    assert "order" in await reseller.call("add", service=4, link=LINK, quantity=100)
    other = await new_reseller(shop, balance="20")
    assert "order" in await other.call("add", service=1, link=LINK + "?other", quantity=1000)
    # Once the order is done, the link takes a new one.
    await finish(shop, first["order"], "Completed")
    assert "order" in await reseller.call("add", service=1, link=LINK, quantity=1000)


async def test_the_owner_may_turn_the_link_rule_off(world: World, tmp_path: Path) -> None:
    async with selling_shop(world, tmp_path, reseller_one_order_per_link=False) as shop:
        reseller = await new_reseller(shop, balance="20")
        link = LINK + "?twice"
        asked = shop.sim.request_counts["add"]
        assert "order" in await reseller.call("add", service=1, link=link, quantity=1000)
        # The shop lets it through; this panel has the rule too, and refuses it itself.
        second = await reseller.call("add", service=1, link=link, quantity=1000)
        assert shop.sim.request_counts["add"] == asked + 2
        assert second == {
            "error": "You have active order with this link. Please wait until order being completed."
        }
        assert await reseller.balance() == Decimal("16.75")  # the refused one refunded


async def test_status_follows_every_stage(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="50")
    partial = (await reseller.call("add", service=1, link=LINK + "p", quantity=1000))["order"]
    await finish(shop, partial, "Partial", remains=400)  # 40% undelivered: 1.3 back
    assert await reseller.call("status", order=partial) == {
        "charge": "1.95",
        "start_count": "0",  # the panel's
        "status": "Partial",
        "remains": "400",
        "currency": "USD",
    }
    canceled = (await reseller.call("add", service=1, link=LINK + "c", quantity=1000))["order"]
    await finish(shop, canceled, "Canceled", remains=1000)
    view = await reseller.call("status", order=canceled)
    assert (view["status"], view["charge"], view["remains"]) == ("Canceled", "0", "1000")
    assert await reseller.balance() == Decimal(50) - Decimal("1.95")

    # The panel's answer was unclear: held for /resolve, the reseller reads Pending.
    shop.sim.inject_fault("http500")
    held = (await reseller.call("add", service=1, link=LINK + "h", quantity=1000))["order"]
    assert (await order_of(shop, held)).stage is Stage.UNCONFIRMED
    assert (await reseller.call("status", order=held))["status"] == "Pending"
    await Settler(shop.app.books).with_refund(held, "USD", 1)
    view = await reseller.call("status", order=held)
    assert (view["status"], view["charge"]) == ("Canceled", "0")
    assert await reseller.balance() == Decimal(50) - Decimal("1.95")

    # Someone else's order is not this reseller's to read.
    stranger = await new_reseller(shop, balance="5")
    assert await stranger.call("status", order=partial) == {"error": "Incorrect order ID"}
    assert await reseller.call("status", orders=",".join(str(i) for i in range(1, 102))) == {
        "error": "Too many IDs: at most 100 at once"
    }


async def test_refills(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="20")
    order = (await reseller.call("add", service=1, link=LINK + "r", quantity=1000))["order"]
    not_yet = await reseller.call("refill", order=order)
    assert not_yet == {"error": "Order not eligible for refill."}
    await finish(shop, order, "Completed")
    refill = await reseller.call("refill", order=order)
    assert set(refill) == {"refill"} and refill["refill"].isdigit()
    assert await reseller.call("refill_status", refill=refill["refill"]) == {"status": "Pending"}
    again = await reseller.call("refill", orders=f"{order},424242")
    assert again == [
        {"order": order, "refill": {"error": "Order not eligible for refill."}},
        {"order": 424242, "refill": {"error": "Incorrect order ID"}},
    ]
    panel_refill = max(shop.sim.refills)
    shop.sim.set_refill(panel_refill, "Completed")
    await shop.app.tracker.sync_refills()
    statuses = await reseller.call("refill_status", refills=f"{refill['refill']},77777")
    assert statuses == [
        {"refill": int(refill["refill"]), "status": "Completed"},
        {"refill": 77777, "status": {"error": "Incorrect refill ID"}},
    ]
    comments = await reseller.call("add", service=2, link=LINK, comments="\n".join("abcdefghij"))
    await finish(shop, comments["order"], "Completed")
    assert await reseller.call("refill", order=comments["order"]) == {
        "error": "Refill is disabled for this service"
    }


async def test_cancels(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="20")
    order = (await reseller.call("add", service=101, link=LINK + "x", quantity=1000))["order"]
    plain = (await reseller.call("add", service=1, link=LINK + "y", quantity=1000))["order"]
    answer = await reseller.call("cancel", orders=f"{order},{plain},5555")
    assert answer == [
        {"order": order, "cancel": 1},
        {"order": plain, "cancel": {"error": "Cancel is disabled for this service"}},
        {"order": 5555, "cancel": {"error": "Incorrect order ID"}},
    ]
    assert (await reseller.call("cancel", orders=str(order)))[0]["cancel"] == {
        "error": "Order not eligible for cancel."
    }
    before = await reseller.balance()
    shop.sim.advance()  # the panel acts on the request
    await shop.app.tracker.sync_once()
    view = await reseller.call("status", order=order)
    assert view["status"] in ("Canceled", "Partial")
    assert await reseller.balance() > before  # refunded by the tracker, once


async def test_products(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="20")
    listed = {item["product"]: item for item in await reseller.call("products")}
    assert listed[1] == {
        "product": 1,
        "name": "Netflix premium 1 month",
        "rate": "3.25",
        "min": "1",
        "max": "10",
        "category": "Netflix",
        "status": "In stock",
        "type": "Auto",
        "require": "Input your account",
        "inventory": 40,
    }
    assert listed[2]["status"] == "Out of stock"
    missing = await reseller.call("add_product_order", product=1, quantity=2)
    assert missing == {
        "error": "There are missing required parameters. Please check your API Manual"
    }
    assert await reseller.call("add_product_order", product=1, quantity=11, require="me") == {
        "error": "Quantity more than maximum 10"
    }
    assert await reseller.call("add_product_order", product=2, quantity=1, require="me") == {
        "error": "Out of stock"
    }
    assert await reseller.call("add_product_order", product=99, quantity=1) == {
        "error": "Incorrect product ID"
    }
    placed = await reseller.call("add_product_order", product=1, quantity=2, require="me@x")
    order = placed["order"]
    assert await reseller.balance() == Decimal("13.5")
    assert shop.sim.product_orders[max(shop.sim.product_orders)].require == "me@x"
    assert await reseller.call("product_order_status", order=order) == {
        "charge": "6.5",
        "status": "Pending",
        "currency": "USD",
    }
    panel_order = (await order_of(shop, order)).panel_order_id
    assert panel_order is not None
    shop.sim.set_product_order(panel_order, status="Completed", result="code-1\ncode-2")
    await shop.app.tracker.sync_products_once()
    many = await reseller.call("product_order_status", orders=f"{order},123")
    assert many[str(order)]["status"] == "Completed"
    assert many[str(order)]["result"] == "code-1\ncode-2"
    assert many["123"] == {"error": "Incorrect order ID"}
    # A product order is not a service order, and the other way round.
    assert await reseller.call("status", order=order) == {"error": "Incorrect order ID"}


async def test_a_discount_never_sells_below_cost(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="20")
    await shop.app.services.resellers.set_discount(reseller.user_id, Decimal(10))
    ten = (await reseller.call("add", service=1, link=LINK + "d1", quantity=1000))["order"]
    assert (await order_of(shop, ten)).price == Decimal("2.925")
    await shop.app.services.resellers.set_discount(reseller.user_id, Decimal(90))
    at_cost = (await reseller.call("add", service=1, link=LINK + "d2", quantity=1000))["order"]
    assert (await order_of(shop, at_cost)).price == Decimal("2.5")  # the panel's own price
    product = await reseller.call("add_product_order", product=3, quantity=2)
    assert (await order_of(shop, product["order"])).price == Decimal(1)  # 0.5 x 2, at cost
    # The same price in the chat's quote: the discount is the shop's, not the API's.
    draft = OrderDraft(service_id=1, link=LINK, quantity=1000)
    quote = await shop.app.services.ordering.quote(reseller.user_id, draft)
    assert quote is not None and quote.price == Decimal("2.5")


async def test_our_own_client_uses_the_api_as_a_panel(shop: ShopBot) -> None:
    reseller = await new_reseller(shop, balance="30")
    async with PanelClient(reseller.url, reseller.key.key, read_attempts=1) as client:
        balance = await client.balance()
        assert (balance.balance, balance.currency) == (Decimal(30), "USD")
        services = {service.service: service for service in await client.services()}
        assert services[1].rate == Decimal("3.25") and services[101].dripfeed
        order = await client.add(OrderRequest(1, LINK + "c", quantity=1000))
        drip = await client.add(OrderRequest(101, LINK + "c2", quantity=100, runs=2, interval=5))
        state = await client.status(order)
        assert state.status is OrderStatus.PENDING and state.remains == 1000
        assert state.charge == Decimal("3.25") and state.currency == "USD"
        states = await client.statuses([order, drip, 31337])
        assert isinstance(states[31337], ItemError)
        await finish(shop, order, "Completed")
        refill = await client.refill(order)
        assert await client.refill_status(refill) is OrderStatus.PENDING
        assert await client.refill_statuses([refill]) == {refill: OrderStatus.PENDING}
        assert await client.cancel([drip]) == {drip: True}
        with pytest.raises(PanelRefused, match="active order"):
            await client.add(OrderRequest(101, LINK + "c2", quantity=100))
        products = await client.products()
        assert {p.product for p in products} == {1, 2, 3}
        product_order = await client.add_product_order(3, 1)
        product_state = await client.product_order_status(product_order)
        assert product_state.status is OrderStatus.PENDING
    async with PanelClient(reseller.url, "wrong", read_attempts=1) as stranger:
        with pytest.raises(PanelRefused, match="Invalid API key"):
            await stranger.balance()
