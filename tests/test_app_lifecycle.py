"""Applications in one process: each has its own routers, any number can be started and stopped
in any order, and a start that failed halfway leaves nothing behind for the next one."""

from __future__ import annotations

import asyncio
import threading
from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from storage.db import Database
from storage.ledger import Ledger
from storage.order_repository import OrderRepository
from storage.orders import NewOrder, Stage
from storage.users import UserRepository
from tests.fake_telegram import TEST_TOKEN
from tests.harness import ShopBot, World, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")
THREAD_END_SECONDS = 5.0
CUSTOMER = 555_000_777


def settings_for(shared: World, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TEST_TOKEN,
        "telegram_api_url": shared.fake.base_url,
        "provider_url": shared.sim.url,
        "provider_key": "demo",
        "database_path": database,
        "markup_percent": Decimal(30),
    } | overrides
    return Settings(_env_file=None, **values)


async def database_threads() -> int:
    """aiosqlite's worker threads (one per open connection) still alive once those that were
    told to stop have ended (each ends just after its connection closed)."""
    workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    for thread in workers:
        await asyncio.to_thread(thread.join, THREAD_END_SECONDS)
    return sum(thread.is_alive() for thread in workers)


async def test_two_applications_start_and_stop_in_any_order(
    shared_world: World, tmp_path: Path
) -> None:
    threads_before = await database_threads()
    first_stack, second_stack = AsyncExitStack(), AsyncExitStack()
    first = await first_stack.enter_async_context(
        create_app(settings_for(shared_world, tmp_path / "a.sqlite3"))
    )
    second = await second_stack.enter_async_context(
        create_app(settings_for(shared_world, tmp_path / "b.sqlite3"))
    )
    assert first.dispatcher.sub_routers[0] is not second.dispatcher.sub_routers[0]
    # A notification committed by the shop wakes the notifier at once: they share one outbox.
    assert first.notifier.outbox is first.books.outbox
    await first_stack.aclose()  # the first one started stops first
    assert await second.services.people.balance(1) == Decimal(0)  # the second still works
    await second_stack.aclose()
    assert await database_threads() == threads_before


async def test_a_failed_start_leaves_nothing_behind(shared_world: World, tmp_path: Path) -> None:
    threads_before = await database_threads()
    not_a_file = tmp_path / "a-folder"
    not_a_file.mkdir()
    with pytest.raises(Exception):  # noqa: B017 (whatever SQLite says about a folder)
        async with create_app(settings_for(shared_world, not_a_file)):
            pass
    assert await database_threads() == threads_before


async def test_a_bot_after_a_failed_start_answers(shared_world: World, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(Exception):  # noqa: B017
        async with create_app(settings_for(shared_world, folder)):
            pass
    async with running_bot(shared_world, tmp_path) as shop:
        await answers_start(shop)
    async with running_bot(shared_world, tmp_path / "again") as shop:  # and once more
        await answers_start(shop)


async def answers_start(shop: ShopBot) -> None:
    person = shop.person()
    assert "Hello" in (await shop.ask(person, "/start")).content


async def test_an_order_cut_short_by_a_stop_is_held_and_its_customer_told(
    shared_world: World, tmp_path: Path
) -> None:
    database = tmp_path / "held.sqlite3"
    db = Database(database)
    await db.connect()
    await UserRepository(db).register(CUSTOMER, "Ann", None, "ru")
    await Ledger(db).change(CUSTOMER, Decimal(10), "credit", "seed")
    async with db.transaction() as tx:  # written, the panel never answered: a crash
        order = NewOrder(CUSTOMER, 1, "Youtube views", "Default", "https://youtu.be/cut",
                         1000, Decimal("3.25"), "cut-draft")  # fmt: skip
        order_id = await OrderRepository(db).create(tx, order)
        await Ledger(db).apply(tx, CUSTOMER, Decimal("-3.25"), "order", str(order_id))
    await db.close()
    async with create_app(settings_for(shared_world, database)) as app:
        held = await app.services.people.order(order_id)
        told = await app.db.fetchall(
            "SELECT text FROM notifications WHERE chat_id = ?", (CUSTOMER,)
        )
    assert held is not None and held.stage is Stage.UNCONFIRMED
    assert len(told) == 1  # in the customer's language (ru): the bot restarted, money held
    assert f"#{order_id}" in told[0]["text"] and "перезапустился" in told[0]["text"]
