"""A transaction always ends, whatever is cancelled when; closing is bounded and can be redone.

aiosqlite runs every statement in its own thread: a cancelled task stops waiting, but its
statement runs all the same. These tests cancel at each point on real SQLite files and check
that the next write works and that money moved wholly or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from storage.db import Database
from storage.ledger import Ledger
from storage.settings import SettingsRepository
from storage.users import UserRepository
from tests.harness import eventually
from tests.writer_probe import statement_started, write_lock_held_elsewhere

STRAY = "left inside a transaction"


async def seed(db: Database, balance: str = "5") -> Ledger:
    await UserRepository(db).register(1, "Ann", "ann", "en")
    ledger = Ledger(db)
    await ledger.change(1, Decimal(balance), "credit", "seed")
    return ledger


async def debit(db: Database, reference: str, amount: str = "-1") -> None:
    await Ledger(db).change(1, Decimal(amount), "order", reference)


async def applied(db: Database, reference: str) -> bool:
    row = await db.fetchone(
        "SELECT 1 FROM ledger WHERE kind = 'order' AND reference = ?", (reference,)
    )
    return row is not None


async def cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_while_begin_runs_the_transaction_is_still_ended(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = await seed(db)
    begin = await statement_started(db, "BEGIN")
    with write_lock_held_elsewhere(db):  # so our BEGIN IMMEDIATE waits in aiosqlite's thread
        task = asyncio.create_task(debit(db, "stuck"))
        await begin.wait()
        task.cancel()
    # The BEGIN now goes through, after its task was cancelled.
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not db.writer.in_transaction
    await debit(db, "after", "-2")
    assert await ledger.balance(1) == Decimal("3")
    assert not await applied(db, "stuck")
    assert STRAY not in caplog.text  # ended by the transaction itself, not by the safety net


async def test_cancelled_inside_the_body_nothing_of_it_is_kept(db: Database) -> None:
    ledger = await seed(db)
    insert = await statement_started(db, "INSERT INTO LEDGER")
    task = asyncio.create_task(debit(db, "half"))
    await insert.wait()  # the ledger row is being written, the balance not yet
    await cancelled(task)
    assert not await applied(db, "half")
    await debit(db, "after")
    assert await ledger.balance(1) == Decimal("4")
    assert await ledger.total(1) == Decimal("4")


async def test_cancelled_while_commit_runs_it_commits_and_says_so(db: Database) -> None:
    ledger = await seed(db)
    commit = await statement_started(db, "COMMIT")
    woken: list[str] = []

    async def debit_and_wake() -> None:
        async with db.transaction() as tx:
            await ledger.apply(tx, 1, Decimal("-1"), "order", "committing")
            tx.after_commit.append(lambda: woken.append("notifier"))

    task = asyncio.create_task(debit_and_wake())
    await commit.wait()
    await cancelled(task)  # the cancellation still reaches the task, after the COMMIT
    assert not db.writer.in_transaction
    assert await applied(db, "committing")
    assert woken == ["notifier"]  # it committed, so what waits for the commit is told
    await debit(db, "after")
    assert await ledger.balance(1) == Decimal("3")


async def test_cancelled_while_rollback_runs_the_rollback_completes(db: Database) -> None:
    ledger = await seed(db)
    rollback = await statement_started(db, "ROLLBACK")

    async def debit_then_fail() -> None:
        async with db.transaction() as tx:
            await ledger.apply(tx, 1, Decimal("-1"), "order", "failed")
            raise RuntimeError("panel exploded")

    task = asyncio.create_task(debit_then_fail())
    await rollback.wait()
    await cancelled(task)
    assert not db.writer.in_transaction
    assert not await applied(db, "failed")
    await debit(db, "after")
    assert await ledger.balance(1) == Decimal("4")


async def test_cancelled_at_any_moment_money_moves_wholly_or_not_at_all(db: Database) -> None:
    ledger = await seed(db, "100")
    expected = Decimal("100")
    for turns in range(30):  # each run is cancelled a little later than the one before
        task = asyncio.create_task(debit(db, f"try-{turns}"))
        for _ in range(turns):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if await applied(db, f"try-{turns}"):
            expected -= 1
        assert not db.writer.in_transaction
        assert await ledger.balance(1) == expected == await ledger.total(1)
    await debit(db, "after")
    assert await ledger.balance(1) == expected - 1


async def test_a_writer_found_inside_a_transaction_is_rolled_back_once_and_writes_go_on(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # What no code path here should do: a transaction begun on the writer and never ended.
    await db.writer.execute("BEGIN")
    await db.writer.execute("INSERT INTO settings (key, value) VALUES ('stray', 'x')")
    settings = SettingsRepository(db)
    with caplog.at_level(logging.ERROR, logger="storage.db"):
        await settings.set("markup", "30")
        await settings.set("markup", "40")
    assert await settings.get("markup") == "40"
    assert await settings.get("stray") is None
    assert caplog.text.count(STRAY) == 1


async def test_close_lets_a_running_write_finish_then_closes(tmp_path: Path) -> None:
    db = Database(tmp_path / "close.sqlite3")
    await db.connect()
    ledger = await seed(db)
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_debit() -> None:
        async with db.transaction() as tx:
            await ledger.apply(tx, 1, Decimal("-1"), "order", "slow")
            inside.set()
            await release.wait()

    task = asyncio.create_task(slow_debit())
    await inside.wait()
    closing = asyncio.create_task(db.close())
    await asyncio.sleep(0)  # close has begun: no new write starts
    assert not db.connected
    release.set()
    await task
    await closing
    await db.connect()
    assert await applied(db, "slow")
    await db.close()


async def test_close_under_a_stuck_write_rolls_it_back_and_the_next_start_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(tmp_path / "stuck.sqlite3", close_seconds=0.05)
    await db.connect()
    ledger = await seed(db)
    inside = asyncio.Event()

    async def stuck_debit() -> None:
        async with db.transaction() as tx:
            await ledger.apply(tx, 1, Decimal("-1"), "order", "stuck")
            inside.set()
            await asyncio.Event().wait()  # never ends by itself

    task = asyncio.create_task(stuck_debit())
    await inside.wait()
    await db.close()  # returns although the write never finished
    assert "still running" in caplog.text
    await cancelled(task)

    await db.connect()  # the lock the stuck write held does not carry over
    assert not await applied(db, "stuck")
    await debit(db, "after")
    assert await ledger.balance(1) == Decimal("4")
    await db.close()


async def test_close_twice_then_connect_again(tmp_path: Path) -> None:
    db = Database(tmp_path / "again.sqlite3")
    await db.connect()
    ledger = await seed(db)
    await db.close()
    await db.close()
    assert not db.connected
    with pytest.raises(RuntimeError, match="not connected"):
        await debit(db, "closed")
    await db.connect()  # a second start in the same process
    await debit(db, "again")
    assert await ledger.balance(1) == Decimal("4")
    await db.close()


async def test_close_does_not_wait_forever_for_a_busy_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    threads_before = set(threading.enumerate())
    db = Database(tmp_path / "thread.sqlite3", close_seconds=0.05)
    await db.connect()
    gate = threading.Event()
    # A statement that holds the writer's thread until the test opens the gate, and then would
    # run on for ever if close did not cut it short.
    await db.writer.create_function("gate", 0, gate.wait)
    running = await statement_started(db, "WITH")
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE gate()) SELECT count(*) FROM n"
    query = asyncio.create_task(db.writer.execute(endless))
    await running.wait()
    await db.close()
    assert "left to close on its own" in caplog.text
    assert not db.connected

    gate.set()
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        await query

    async def threads_ended() -> bool:
        return not any(t.is_alive() for t in set(threading.enumerate()) - threads_before)

    await eventually(threads_ended)  # the writer closed on its own once the thread was free
    await db.connect()
    await seed(db)
    await db.close()
