"""Cancel requests against answers the simulator never gives, and drip-feed's arithmetic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
import pytest_asyncio

from provider.client import PanelClient
from shop.books import Books
from shop.cancels import (
    NOT_TAKEN,
    CancelAlreadyRequested,
    CancelNotOffered,
    CancelRefused,
    CancelUnclear,
    can_cancel,
    request_cancel,
)
from shop.dripfeed import interval_text, order_total, total_quantity
from storage.db import Database
from storage.order_repository import OrderRepository
from storage.orders import NewOrder, OrderRecord, Stage
from storage.users import UserRepository
from tests.canned_panel import CannedPanel

PANEL_ID = 4321
ADMIN_ID = 77


@pytest_asyncio.fixture
async def client() -> AsyncIterator[tuple[CannedPanel, PanelClient]]:
    canned = CannedPanel()
    await canned.start()
    try:
        async with PanelClient(canned.url, "secret", timeout=2, read_attempts=1) as panel:
            yield canned, panel
    finally:
        await canned.stop()


async def placed(
    db: Database, *, cancel_allowed: bool = True, runs: int | None = None, panel_id: int = PANEL_ID
) -> int:
    await UserRepository(db).register(1, "Ann", None, "en")
    orders = OrderRepository(db)
    async with db.transaction() as tx:
        order_id = await orders.create(
            tx,
            NewOrder(1, 106, "Followers", "Default", "https://x.com/a", 1000, Decimal(1),
                     f"draft-{runs}-{cancel_allowed}", runs=runs, interval=runs and 30,
                     cancel_allowed=cancel_allowed),
        )  # fmt: skip
        await orders.set_placed(tx, order_id, panel_id)
    return order_id


async def order(db: Database, order_id: int) -> OrderRecord:
    found = await OrderRepository(db).get(order_id)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ([{"order": PANEL_ID, "cancel": 0}], NOT_TAKEN),
        ([{"order": PANEL_ID, "error": "Order not found"}], "Order not found"),
        ({"error": "Incorrect request"}, "Incorrect request"),
    ],
)
async def test_a_refusal_is_kept_on_the_order_and_not_sent_again(
    db: Database, client: tuple[CannedPanel, PanelClient], body: object, refusal: str
) -> None:
    canned, panel = client
    canned.answer("cancel", json.dumps(body))
    order_id = await placed(db)
    books = Books.open(db, [ADMIN_ID])
    result = await request_cancel(books, panel, await order(db, order_id))
    assert isinstance(result, CancelRefused) and result.reason == refusal
    stored = await order(db, order_id)
    assert stored.cancel_error == refusal and stored.cancel_requested_at is not None
    assert not can_cancel(stored)
    again = await request_cancel(books, panel, stored)
    assert isinstance(again, CancelAlreadyRequested)
    assert len(canned.requests) == 1


@pytest.mark.parametrize("body", ["[]", "<html>busy</html>", '[{"order": 1, "cancel": 1}]'])
async def test_an_answer_that_does_not_say_leaves_the_request_unconfirmed(
    db: Database, client: tuple[CannedPanel, PanelClient], body: str
) -> None:
    canned, panel = client
    canned.answer("cancel", body)
    order_id = await placed(db)
    books = Books.open(db, [ADMIN_ID])
    result = await request_cancel(books, panel, await order(db, order_id))
    assert isinstance(result, CancelUnclear)
    stored = await order(db, order_id)
    assert stored.cancel_requested_at is not None and stored.cancel_error is None
    assert stored.cancel_unclear_at is not None
    assert canned.requests[0]["orders"] == str(PANEL_ID)
    # The admins are told once, with the order and the panel that holds it.
    again = await request_cancel(books, panel, stored)
    assert isinstance(again, CancelAlreadyRequested)
    rows = await db.fetchall("SELECT text FROM notifications WHERE chat_id = ?", (ADMIN_ID,))
    assert len(rows) == 1
    assert f"order #{order_id}" in rows[0]["text"] and "panel main" in rows[0]["text"]


async def test_no_request_for_a_service_without_cancel_or_a_final_order(
    db: Database, client: tuple[CannedPanel, PanelClient]
) -> None:
    canned, panel = client
    orders = OrderRepository(db)
    without = await placed(db, cancel_allowed=False)
    result = await request_cancel(Books.open(db, [ADMIN_ID]), panel, await order(db, without))
    assert isinstance(result, CancelNotOffered)
    finished = await placed(db, runs=3, panel_id=PANEL_ID + 1)
    async with db.transaction() as tx:
        await orders.set_stage(tx, finished, Stage.COMPLETED)
    result = await request_cancel(Books.open(db, [ADMIN_ID]), panel, await order(db, finished))
    assert isinstance(result, CancelNotOffered)
    assert canned.requests == []


async def test_a_drip_fed_order_delivers_quantity_times_runs(db: Database) -> None:
    record = await order(db, await placed(db, runs=3))
    assert (record.quantity, record.runs, record.interval) == (1000, 3, 30)
    assert order_total(record) == 3000
    assert total_quantity(1000, None) == 1000


@pytest.mark.parametrize(
    ("minutes", "text"), [(1, "1 min"), (59, "59 min"), (60, "1 h"), (90, "1 h 30 min"),
                          (1440, "24 h")]
)  # fmt: skip
def test_intervals_read_in_hours_and_minutes(minutes: int, text: str) -> None:
    assert interval_text(minutes) == text
