"""Shared fixtures: every test gets its own SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from storage.db import Database
from tests.harness import ShopBot, World, running_bot, world

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


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, tmp_path: Path) -> AsyncIterator[ShopBot]:
    shared_world.sim.clear_faults()
    async with running_bot(shared_world, tmp_path) as running:
        yield running
