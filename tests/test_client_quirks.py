"""Every quirk of docs/panel-api.md ("What real panels send"), fed through the client over HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from provider.client import PanelClient
from provider.errors import PanelRefused, PanelUnavailable
from provider.models import ItemError, OrderRequest, OrderStatus, ServiceType
from tests.canned_panel import CannedPanel

SECRET = "sk-live-very-secret-key"


@pytest_asyncio.fixture
async def panel() -> AsyncIterator[CannedPanel]:
    canned = CannedPanel()
    await canned.start()
    yield canned
    await canned.stop()


@pytest_asyncio.fixture
async def client(panel: CannedPanel) -> AsyncIterator[PanelClient]:
    async with PanelClient(panel.url, SECRET, timeout=2, read_attempts=2, backoff=0.01) as c:
        yield c


async def test_services_with_every_number_and_flag_spelling(
    panel: CannedPanel, client: PanelClient
) -> None:
    panel.answer(
        "services",
        """[
        {"service": 1, "name": "Youtube views", "type": "Default", "category": "Youtube",
         "rate": "2.5", "min": "200", "max": "10000", "refill": true},
        {"service": "2", "name": "🔥 Likes <HQ> & fast  ", "type": "Custom Comments",
         "category": "Insta", "rate": 0.27819, "min": 10, "max": 1500, "refill": "0",
         "cancel": "1", "dripfeed": false, "extra": {"x": 1}},
        {"service": 3, "name": "No refill field", "type": "Mentions", "category": "X",
         "rate": "4", "min": "1", "max": "5", "refill": 1},
        {"service": 4, "name": "Broken", "rate": "free"},
        {"service": 5, "name": "String flag", "category": "X", "rate": "1", "refill": "1"}
        ]""",
    )
    services = await client.services()
    assert [s.service for s in services] == [1, 2, 3, 5]  # the broken entry is skipped
    first, second, third, fifth = services
    assert first.rate == Decimal("2.5")
    assert (first.min, first.max, first.refill) == (200, 10000, True)
    assert second.rate == Decimal("0.27819")  # a JSON number, never through float
    assert second.name == "🔥 Likes <HQ> & fast"
    assert (second.refill, second.cancel) == (False, True)
    assert third.refill is True
    assert ServiceType.parse(third.type) is ServiceType.DEFAULT
    assert fifth.refill is True
    assert ServiceType.parse(second.type) is ServiceType.CUSTOM_COMMENTS


async def test_status_quirks(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer(
        "status",
        '{"charge":"2.5","start_count":"168","status":"Completed","remains":"-2","currency":"USD"}',
    )
    state = await client.status(1)
    assert state.status is OrderStatus.COMPLETED
    assert state.charge == Decimal("2.5")
    assert (state.start_count, state.remains) == (168, -2)

    panel.answers["status"].clear()
    panel.answer(
        "status", '{"charge":"0.1","start_count":null,"status":"In Progress","remains":"Unknown"}'
    )
    state = await client.status(1)
    assert state.status is OrderStatus.IN_PROGRESS
    assert state.start_count is None
    assert state.remains is None

    panel.answers["status"].clear()
    panel.answer("status", '{"charge":"0","status":"CANCELLED"}')
    state = await client.status(1)
    assert state.status is OrderStatus.CANCELED
    assert state.start_count is None


async def test_multi_status_keeps_per_id_errors(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer(
        "status",
        """{"123": {"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157"},
            "456": {"error": "Incorrect order ID"},
            "789": {"charge": "1.44219", "start_count": "234", "status": "In progress", "remains": "10"}}""",
    )
    states = await client.statuses([123, 456, 789])
    assert states[456] == ItemError("Incorrect order ID")
    partial = states[123]
    assert not isinstance(partial, ItemError)
    assert partial.status is OrderStatus.PARTIAL
    assert partial.remains == 157
    assert panel.requests[-1]["orders"] == "123,456,789"


async def test_balance_in_another_currency(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer("balance", '{"balance":"125000.5","currency":"VND"}')
    balance = await client.balance()
    assert balance.balance == Decimal("125000.5")
    assert balance.currency == "VND"


async def test_refill_answers(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer("refill", '{"refill":"1"}')
    assert await client.refill(5) == 1
    assert await client.refills([5]) == {5: 1}  # a single answer to a multi request
    panel.answers["refill"].clear()
    panel.answer(
        "refill",
        '[{"order": 1, "refill": 1}, {"order": 2, "refill": {"error": "Order not eligible for refill."}}]',
    )
    assert await client.refills([1, 2]) == {1: 1, 2: ItemError("Order not eligible for refill.")}
    panel.answer("refill_status", '{"status":"Completed"}')
    assert await client.refill_status(1) is OrderStatus.COMPLETED
    panel.answers["refill_status"].clear()
    panel.answer(
        "refill_status",
        '[{"refill":1,"status":"Completed"},{"refill":2,"status":"Rejected"},'
        '{"refill":3,"status":{"error":"Incorrect refill ID"}}]',
    )
    assert await client.refill_statuses([1, 2, 3]) == {
        1: OrderStatus.COMPLETED,
        2: OrderStatus.REJECTED,
        3: ItemError("Incorrect refill ID"),
    }


async def test_products_and_product_orders(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer(
        "products",
        """[{"product":1,"name":"Netflix premium 1 month","require":"Input your account","rate":2.5,
             "min":1,"max":10,"category":"Netflix","status":"In stock","inventory":40,"type":"Auto"},
            {"product":2,"name":"Youtube premium","require":"Input your account","rate":5,"min":1,
             "max":1,"category":"Youtube","status":"Out of stock","inventory":0,"type":"Auto"},
            {"product":3,"name":"Facebook account 5000 friends","rate":0.5,"min":1,"max":2,
             "category":"Facebook","status":"In stock","type":"Service"}]""",
    )
    products = await client.products()
    assert [p.in_stock for p in products] == [True, False, True]
    assert products[2].require == ""
    assert products[2].inventory is None
    assert products[0].rate == Decimal("2.5")
    panel.answer("add_product_order", '{"order": 99999}')
    assert await client.add_product_order(1, 3, "me@example.com") == 99999
    assert panel.requests[-1]["require"] == "me@example.com"
    panel.answer(
        "product_order_status",
        '{"123":{"charge":7.5,"status":"Completed","result":"c85c1d1a"},'
        '"456":{"error":"Incorrect order ID"},"789":{"charge":0,"status":"Canceled","note":"Out of stock"}}',
    )
    states = await client.product_order_statuses([123, 456, 789])
    done, canceled = states[123], states[789]
    assert not isinstance(done, ItemError)
    assert not isinstance(canceled, ItemError)
    assert (done.charge, done.result) == (Decimal("7.5"), "c85c1d1a")
    assert (canceled.status, canceled.note) == (OrderStatus.CANCELED, "Out of stock")
    assert states[456] == ItemError("Incorrect order ID")


@pytest.mark.parametrize(
    "message",
    [
        "Invalid API key",
        "Incorrect request",
        "Incorrect service ID",
        "Service ID does not exists",
        "Not enough funds on balance",
        "Quantity less than minimal 200",
        "Quantity more than maximum 10000",
        "You have active order with this link. Please wait until order being completed.",
        "There are missing required parameters. Please check your API Manual",
    ],
)
async def test_errors_with_http_200_are_definite(
    panel: CannedPanel, client: PanelClient, message: str
) -> None:
    panel.answer("add", json.dumps({"error": message}))
    with pytest.raises(PanelRefused) as caught:
        await client.add(OrderRequest(1, "https://x.test/a", quantity=200))
    assert caught.value.message == message
    assert caught.value.is_out_of_funds == ("funds" in message)


async def test_no_funds_with_http_402_is_definite(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer("add", '{"error": "Not enough funds on balance"}', status=402)
    with pytest.raises(PanelRefused) as caught:
        await client.add(OrderRequest(1, "https://x.test/a", quantity=200))
    assert caught.value.is_out_of_funds


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<html><title>Just a moment...</title></html>", 200),  # Cloudflare page with 200
        ("<html>502 Bad Gateway</html>", 502),
        ('{"error": "Internal"}', 500),  # 5xx is never definite, even with an error body
        ('{"order": 12', 200),  # truncated JSON
        ('{"status": "ok"}', 200),  # 200 without an order id
        ("", 200),
    ],
)
async def test_ambiguous_answers_to_add_are_unavailable_and_not_retried(
    panel: CannedPanel, client: PanelClient, body: str, status: int
) -> None:
    panel.answer("add", body, status=status)
    with pytest.raises(PanelUnavailable):
        await client.add(OrderRequest(1, "https://x.test/a", quantity=200))
    assert [r["action"] for r in panel.requests] == ["add"]


async def test_reads_are_retried_then_succeed(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer("balance", "<html>oops</html>", status=503)
    panel.answer("balance", '{"balance":"68.6868","currency":"USD"}')
    balance = await client.balance()
    assert balance.balance == Decimal("68.6868")
    assert [r["action"] for r in panel.requests] == ["balance", "balance"]


async def test_key_is_posted_but_never_shown(
    panel: CannedPanel, client: PanelClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    panel.answer("balance", "<html>down</html>", status=500)
    with pytest.raises(PanelUnavailable) as caught:
        await client.balance()
    assert panel.requests[0]["key"] == SECRET
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert SECRET not in repr(client)
    assert SECRET not in caplog.text


async def test_cancel_answers(panel: CannedPanel, client: PanelClient) -> None:
    panel.answer(
        "cancel",
        '[{"order": 9, "cancel": {"error": "Incorrect order ID"}}, {"order": 2, "cancel": 1},'
        ' {"order": "3", "cancel": "1"}, {"order": 4, "cancel": true}, {"order": 5, "cancel": 0},'
        ' {"order": 6, "error": "Order not eligible"}, {"order": 7}, {"order": "x", "cancel": 1},'
        ' "junk"]',
    )
    assert await client.cancel([9, 2, 3, 4, 5, 6, 7, 8]) == {
        9: ItemError("Incorrect order ID"),
        2: True,
        3: True,
        4: True,
        5: False,
        6: ItemError("Order not eligible"),
        7: ItemError("unreadable answer"),
    }  # 8 was not mentioned
    assert panel.requests[-1]["orders"] == "9,2,3,4,5,6,7,8"
    panel.answers["cancel"].clear()
    panel.answer("cancel", '{"cancel": "1"}')
    assert await client.cancel([5]) == {5: True}  # a single answer to one id
    panel.answers["cancel"].clear()
    panel.answer("cancel", '{"error": "Incorrect request"}')
    with pytest.raises(PanelRefused, match="Incorrect request"):
        await client.cancel([5])
    panel.answers["cancel"].clear()
    panel.answer("cancel", '{"status": "ok"}')
    with pytest.raises(PanelUnavailable):
        await client.cancel([5, 6])
    assert sum(r["action"] == "cancel" for r in panel.requests) == 4  # never retried


def test_order_request_fields_per_type() -> None:
    def form(kind: ServiceType) -> dict[str, str]:
        return OrderRequest.for_type(
            kind,
            7,
            "https://y.test",
            quantity=50,
            lines=["a", "b"],
            suggest=["s"],
            search=["k1", "k2"],
        ).form()

    base = {"service": "7", "link": "https://y.test"}
    assert form(ServiceType.DEFAULT) == base | {"quantity": "50"}
    assert form(ServiceType.PACKAGE) == base
    assert form(ServiceType.CUSTOM_COMMENTS) == base | {"comments": "a\nb"}
    assert form(ServiceType.SPECIAL) == base | {"quantity": "50", "list": "a\nb"}
    assert form(ServiceType.SPECIAL_1) == base | {
        "quantity": "50",
        "suggest": "s",
        "search": "k1\nk2",
    }


def test_dripfeed_fields_only_when_set_and_only_for_default() -> None:
    def form(
        kind: ServiceType, runs: int | None = None, interval: int | None = None
    ) -> dict[str, str]:
        request = OrderRequest.for_type(
            kind, 7, "l", quantity=50, lines=["a"], runs=runs, interval=interval
        )
        return request.form()

    base = {"service": "7", "link": "l", "quantity": "50"}
    assert form(ServiceType.DEFAULT) == base
    assert form(ServiceType.DEFAULT, runs=3, interval=15) == base | {"runs": "3", "interval": "15"}
    assert "runs" not in form(ServiceType.SPECIAL, runs=3, interval=15)
    assert form(ServiceType.PACKAGE, runs=3, interval=15) == {"service": "7", "link": "l"}
