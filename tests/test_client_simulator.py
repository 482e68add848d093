"""The panel client against the simulator over HTTP: actions, chunking, faults, no retried add."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from provider.client import PanelClient
from provider.errors import PanelRefused, PanelUnavailable
from provider.models import ItemError, OrderRequest, OrderStatus, ServiceType
from simulators.panel import PanelFarm, PanelSimulator

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sim() -> AsyncIterator[PanelSimulator]:
    simulator = PanelSimulator(tick_seconds=None, fault_delay_seconds=2.0)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def client(sim: PanelSimulator) -> AsyncIterator[PanelClient]:
    sim.clear_faults()
    sim.reset_counters()
    sim.set_balance(Decimal(1000))
    async with PanelClient(sim.url, "demo", timeout=0.5, read_attempts=3, backoff=0.01) as c:
        yield c


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def farm() -> AsyncIterator[PanelFarm]:
    async with PanelFarm.demo(tick_seconds=None, fail_ratio_canceled=0) as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def backup(farm: PanelFarm) -> AsyncIterator[PanelClient]:
    sim = farm["backup"]
    sim.clear_faults()
    sim.reset_counters()
    async with PanelClient(sim.url, sim.key, timeout=0.5, read_attempts=3, backoff=0.01) as c:
        yield c


async def place(client: PanelClient, link: str, quantity: int = 200) -> int:
    return await client.add(OrderRequest(1, link, quantity=quantity))


async def test_catalog_covers_every_type(client: PanelClient) -> None:
    services = await client.services()
    assert len(services) >= 30
    assert len({s.category for s in services}) >= 6
    kinds = {ServiceType.parse(s.type) for s in services}
    assert kinds == set(ServiceType)
    assert any(s.type == "Mentions" for s in services)  # unknown, ordered as Default
    products = await client.products()
    assert [p.product for p in products] == [1, 2, 3]
    assert [p.in_stock for p in products] == [True, False, True]


async def test_add_status_and_progress(client: PanelClient, sim: PanelSimulator) -> None:
    order_id = await place(client, "https://youtu.be/progress")
    state = await client.status(order_id)
    assert state.status is OrderStatus.PENDING
    assert state.charge == Decimal("0.5")  # 2.5 x 200 / 1000
    sim.set_order(order_id, status="Partial", remains=50, start_count=10)
    state = await client.status(order_id)
    assert (state.status, state.remains, state.start_count) == (OrderStatus.PARTIAL, 50, 10)


async def test_invalid_key_is_a_definite_error(sim: PanelSimulator) -> None:
    async with PanelClient(sim.url, "wrong", backoff=0.01) as wrong:
        with pytest.raises(PanelRefused, match="Invalid API key"):
            await wrong.balance()


async def test_validation_errors_come_back_as_provider_errors(client: PanelClient) -> None:
    with pytest.raises(PanelRefused, match="Quantity less than minimal 200"):
        await place(client, "https://youtu.be/small", quantity=10)
    with pytest.raises(PanelRefused, match="Incorrect service ID"):
        await client.add(OrderRequest(99999, "https://x.test", quantity=10))
    with pytest.raises(PanelRefused, match="Incorrect order ID"):
        await client.status(123456789)


async def test_no_funds_on_the_panel(client: PanelClient, sim: PanelSimulator) -> None:
    sim.set_balance(Decimal(0))
    with pytest.raises(PanelRefused) as caught:
        await place(client, "https://youtu.be/nofunds")
    assert caught.value.is_out_of_funds


async def test_balance(client: PanelClient) -> None:
    balance = await client.balance()
    assert balance.balance == Decimal(1000)
    assert balance.currency == "USD"


async def test_250_ids_are_three_requests_and_bad_ids_stay_per_id(
    client: PanelClient, sim: PanelSimulator
) -> None:
    ids = [await place(client, f"https://youtu.be/chunk{i}") for i in range(3)]
    sim.reset_counters()
    wanted = ids + list(range(1, 248))  # 3 real orders and 247 unknown ids: 250 ids
    states = await client.statuses(wanted)
    assert sim.request_counts["status"] == 3
    assert sorted(sim.multi_sizes["status"]) == [50, 100, 100]
    assert all(not isinstance(states[i], ItemError) for i in ids)
    assert isinstance(states[1], ItemError)
    assert len(states) == 250


async def test_add_is_never_retried_after_a_500(client: PanelClient, sim: PanelSimulator) -> None:
    before = len(sim.orders)
    sim.inject_fault("http500")
    with pytest.raises(PanelUnavailable):
        await place(client, "https://youtu.be/once")
    assert sim.request_counts["add"] == 1
    assert len(sim.orders) == before


@pytest.mark.parametrize("fault", ["http500", "html", "truncated", "drop", "delay"])
async def test_every_fault_is_unavailable_and_reads_recover(
    client: PanelClient, sim: PanelSimulator, fault: str
) -> None:
    sim.inject_fault(fault)
    balance = await client.balance()  # retried: the second attempt succeeds
    assert balance.balance == Decimal(1000)
    assert sim.request_counts["balance"] == 2
    sim.inject_fault(fault, count=3)
    with pytest.raises(PanelUnavailable):
        await client.balance()


async def test_refills_and_refill_status(client: PanelClient, sim: PanelSimulator) -> None:
    order_id = await place(client, "https://youtu.be/refill")
    with pytest.raises(PanelRefused, match="not eligible"):
        await client.refill(order_id)
    sim.set_order(order_id, status="Completed", remains=0)
    refill_id = await client.refill(order_id)
    assert await client.refill_status(refill_id) is OrderStatus.PENDING
    sim.set_refill(refill_id, "Completed")
    statuses = await client.refill_statuses([refill_id, 1])
    assert statuses[refill_id] is OrderStatus.COMPLETED
    assert isinstance(statuses[1], ItemError)
    other = await place(client, "https://youtu.be/refill2")
    answers = await client.refills([other])
    assert isinstance(answers[other], ItemError)


async def test_product_orders(client: PanelClient, sim: PanelSimulator) -> None:
    order_id = await client.add_product_order(1, 2, "me@example.com")
    state = await client.product_order_status(order_id)
    assert state.charge == Decimal("5")
    sim.set_product_order(order_id, status="Completed", result="code-1\ncode-2")
    states = await client.product_order_statuses([order_id, 5])
    done = states[order_id]
    assert not isinstance(done, ItemError)
    assert done.status is OrderStatus.COMPLETED
    assert done.result == "code-1\ncode-2"
    assert isinstance(states[5], ItemError)
    with pytest.raises(PanelRefused):
        await client.add_product_order(2, 1, "me@example.com")  # out of stock


# ---------------------------------------------------------------- several panels, cancel, drip-feed


async def test_each_panel_of_a_farm_with_its_own_key_and_currency(farm: PanelFarm) -> None:
    for name, currency in [("main", "USD"), ("backup", "USD"), ("vnd", "VND")]:
        sim = farm[name]
        async with PanelClient(sim.url, sim.key, backoff=0.01) as panel:
            assert (await panel.balance()).currency == currency
        async with PanelClient(sim.url, "demo-other", backoff=0.01) as wrong:
            with pytest.raises(PanelRefused, match="Invalid API key"):
                await wrong.balance()
    async with PanelClient(farm["vnd"].url, farm["vnd"].key) as vnd:
        assert (await vnd.balance()).balance == Decimal(25_000_000)
        assert (await vnd.services())[0].rate == Decimal(25000)


async def test_service_flags_for_cancel_and_dripfeed(backup: PanelClient, farm: PanelFarm) -> None:
    services = {s.service: s for s in await backup.services()}
    assert (services[101].cancel, services[101].dripfeed) == (True, True)
    assert (services[107].cancel, services[107].dripfeed) == (True, True)  # "1" and "1"
    assert (services[112].cancel, services[112].dripfeed) == (False, True)  # 0 and true
    assert (services[105].cancel, services[105].dripfeed) == (False, False)  # absent
    sim = farm["main"]
    async with PanelClient(sim.url, sim.key) as main:
        assert not any(s.cancel or s.dripfeed for s in await main.services())


async def test_dripfeed_order_through_the_client(backup: PanelClient, farm: PanelFarm) -> None:
    request = OrderRequest.for_type(
        ServiceType.DEFAULT, 101, "https://youtu.be/drip", quantity=200, runs=5, interval=30
    )
    order_id = await backup.add(request)
    state = await backup.status(order_id)
    assert state.charge == Decimal("1.05")  # 1.05 x 200 x 5 / 1000
    assert state.remains == 1000
    assert farm["backup"].orders[order_id].interval == 30
    with pytest.raises(PanelRefused, match="Drip-feed is disabled"):
        await backup.add(OrderRequest(102, "https://youtu.be/x", quantity=100, runs=2, interval=5))
    with pytest.raises(PanelRefused, match="Runs less than minimal 2"):
        await backup.add(OrderRequest(101, "https://youtu.be/y", quantity=100, runs=1, interval=5))


async def test_cancel_through_the_client(backup: PanelClient, farm: PanelFarm) -> None:
    sim = farm["backup"]
    before = sim.balance
    wanted = await backup.add(OrderRequest(106, "https://instagram.com/c1", quantity=100))
    refused = await backup.add(OrderRequest(108, "https://instagram.com/c2", quantity=100))
    answers = await backup.cancel([wanted, refused, 424242, wanted])
    assert answers == {
        wanted: True,
        refused: ItemError("Cancel is disabled for this service"),
        424242: ItemError("Incorrect order ID"),
    }
    assert sim.multi_sizes["cancel"] == [3]  # duplicates asked once
    assert (await backup.status(wanted)).status is OrderStatus.PENDING
    sim.advance()
    state = await backup.status(wanted)
    assert (state.status, state.remains, state.charge) == (OrderStatus.CANCELED, 100, Decimal(0))
    assert sim.balance == before - sim.orders[refused].charge
    assert await backup.cancel([wanted]) == {wanted: ItemError("Order not eligible for cancel.")}


async def test_cancel_is_chunked_and_never_retried(backup: PanelClient, farm: PanelFarm) -> None:
    sim = farm["backup"]
    answers = await backup.cancel(list(range(1, 151)))
    assert sim.multi_sizes["cancel"] == [100, 50]
    assert all(isinstance(answer, ItemError) for answer in answers.values())
    assert len(answers) == 150
    sim.reset_counters()
    sim.inject_fault("http500")
    with pytest.raises(PanelUnavailable):
        await backup.cancel([1])
    assert sim.request_counts["cancel"] == 1
