"""kill -9 between a status change and its notification: after a restart the notification
arrives once and the refund is applied once. The bot runs as a real process (python -m bot)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from provider.client import PanelClient
from provider.models import OrderRequest
from storage.db import Database
from storage.ledger import Ledger
from storage.order_repository import OrderRepository
from storage.orders import NewOrder
from storage.users import UserRepository
from tests.fake_telegram import TEST_TOKEN
from tests.harness import World, eventually, world

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOT = Path(__file__).resolve().parent.parent
USER_ID = 555_000_001


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared() -> AsyncIterator[World]:
    async with world() as running:
        yield running


async def start_bot(shared: World, database: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "PROVIDER_"))}
    env |= {
        "BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": shared.fake.base_url,
        "PROVIDER_URL": shared.sim.url,
        "PROVIDER_KEY": "demo",
        "DATABASE_PATH": str(database),
        "STATUS_POLL_SECONDS": "0.2",
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=database.parent,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def seed_order(shared: World, database: Path) -> int:
    """A person with an order of 1,000 for 3.25 (already paid) placed on the panel."""
    async with PanelClient(shared.sim.url, "demo") as panel:
        panel_id = await panel.add(OrderRequest(1, "https://youtu.be/restart", quantity=1000))
    db = Database(database)
    await db.connect()
    await UserRepository(db).register(USER_ID, "Ann", None, "en")
    ledger = Ledger(db)
    await ledger.change(USER_ID, Decimal("10"), "credit", "seed")
    async with db.transaction() as tx:
        order = NewOrder(USER_ID, 1, "Youtube views", "Default", "https://youtu.be/restart",
                         1000, Decimal("3.25"), "restart-draft")  # fmt: skip
        order_id = await OrderRepository(db).create(tx, order)
        await ledger.apply(tx, USER_ID, Decimal("-3.25"), "order", str(order_id))
        await OrderRepository(db).set_placed(tx, order_id, panel_id)
    await db.close()
    return panel_id


async def test_kill_9_then_restart_delivers_once_and_refunds_once(
    shared: World, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    panel_id = await seed_order(shared, database)
    person = shared.fake.person(user_id=USER_ID, first_name="Ann")
    observer = Database(database)
    await observer.connect()

    async def refund_rows() -> int:
        count: int = await observer.fetchval(
            "SELECT COUNT(*) FROM ledger WHERE kind = 'refund' AND user_id = ?", (USER_ID,)
        )
        return count

    async def refunded() -> bool:
        return await refund_rows() == 1

    # Telegram fails every send, so the notification stays in the outbox when we kill the bot.
    shared.fake.fail_next("sendMessage", 500, "Internal Server Error", count=10_000)
    shared.sim.set_order(panel_id, status="Partial", remains=200)
    bot = await start_bot(shared, database)
    try:
        await eventually(refunded, timeout=60)
    finally:
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
    assert not person.messages

    shared.fake.clear_faults()
    bot = await start_bot(shared, database)
    try:
        message = await person.wait_reply(timeout=60)
        assert "partially" in message.content
        assert "0.65 USD" in message.content  # 3.25 x 200 / 1000
    finally:
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
    delivered = [m for m in person.messages if "partially" in m.content]
    assert len(delivered) == 1
    assert await refund_rows() == 1
    assert await Ledger(observer).balance(USER_ID) == Decimal("6.75") + Decimal("0.65")
    await observer.close()
