"""Shared fixtures: every test gets its own SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from storage.db import Database
from tests.harness import Mode, ShopBot, World, running_bot, world

# A thread left running (a connection never closed) must not keep pytest alive for ever.
from tests.thread_guard import pytest_sessionfinish, pytest_unconfigure  # noqa: F401


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "test.sqlite3")
    await database.connect()
    try:
        yield database
        # The money invariant holds after every test that touched balances.
        mismatched = await database.fetchall(
            """SELECT u.id FROM users u
               WHERE u.balance <> (SELECT COALESCE(SUM(amount), 0) FROM ledger l
                                   WHERE l.user_id = u.id)"""
        )
        assert not mismatched, f"balance differs from the ledger for users {list(mismatched)}"
    finally:
        await database.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world() -> AsyncIterator[World]:
    async with world() as shared:
        yield shared


@pytest.fixture
def bot_mode() -> Mode:
    """How the `shop` bot takes its updates; see pytest_generate_tests for both ways."""
    return "polling"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module with `BOTH_MODES = True` runs its tests over long polling, then over a webhook
    (the fake posting updates to the bot's web server, as Telegram does)."""
    if "bot_mode" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_MODES", False):
        metafunc.parametrize("bot_mode", ["polling", "webhook"], scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, tmp_path: Path, bot_mode: Mode) -> AsyncIterator[ShopBot]:
    shared_world.sim.clear_faults()
    async with running_bot(shared_world, tmp_path, bot_mode) as running:
        yield running
