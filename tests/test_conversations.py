"""Conversation state in SQLite: what a person was typing survives a restart."""

import asyncio
import logging
import time
from pathlib import Path

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from storage.conversations import KEEP_SECONDS, SqliteStorage
from storage.db import Database
from tests.harness import eventually
from tests.writer_probe import statement_started, write_lock_held_elsewhere

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


class Steps(StatesGroup):
    quantity = State()


async def rows(db: Database) -> int:
    count: int = await db.fetchval("SELECT COUNT(*) FROM conversations")
    return count


async def test_state_and_data_outlive_the_storage(db: Database) -> None:
    first = SqliteStorage(db)
    await first.set_state(KEY, Steps.quantity)
    await first.set_data(KEY, {"draft": {"service_id": 14, "link": "https://x.y/🙂"}})
    assert await first.get_state(KEY) == Steps.quantity.state
    await first.close()

    again = SqliteStorage(db)
    assert await again.get_state(KEY) == Steps.quantity.state
    assert await again.get_data(KEY) == {"draft": {"service_id": 14, "link": "https://x.y/🙂"}}
    other = StorageKey(bot_id=1, chat_id=43, user_id=43)
    assert await again.get_state(other) is None and await again.get_data(other) == {}


async def test_changes_reach_the_database_in_the_background(db: Database) -> None:
    storage = SqliteStorage(db, flush_seconds=0.01)
    await storage.set_state(KEY, "Ordering:link")
    await eventually(lambda: _has_row(db))
    await storage.close()


async def _has_row(db: Database) -> bool:
    return await rows(db) == 1


async def test_a_finished_conversation_leaves_no_row(db: Database) -> None:
    storage = SqliteStorage(db)
    await storage.set_state(KEY, "Ordering:link")
    await storage.update_data(KEY, {"draft": {"key": "k"}})
    await storage.flush()
    assert await rows(db) == 1
    await storage.set_state(KEY, None)  # FSMContext.clear()
    await storage.set_data(KEY, {})
    await storage.close()
    assert await rows(db) == 0


async def test_a_day_old_conversation_is_forgotten(db: Database) -> None:
    storage = SqliteStorage(db)
    await storage.set_state(KEY, "Ordering:quantity")
    await storage.close()
    stale = int(time.time() - KEEP_SECONDS - 60)
    async with db.transaction() as tx:
        await tx.execute("UPDATE conversations SET updated_at = ?", (stale,))
    later = SqliteStorage(db)
    assert await later.get_state(KEY) is None


async def test_data_json_cannot_hold_is_refused_where_it_is_stored(db: Database) -> None:
    storage = SqliteStorage(db)
    with pytest.raises(TypeError):
        await storage.set_data(KEY, {"when": object()})
    assert await storage.get_data(KEY) == {}
    await storage.close()


async def test_memory_is_bounded_and_what_is_let_go_is_read_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.conversations.CACHE_LIMIT", 10)
    storage = SqliteStorage(db)
    first = StorageKey(bot_id=1, chat_id=1, user_id=1)
    await storage.set_state(first, "Ordering:link")
    await storage.flush()
    for user in range(2, 30):
        person = StorageKey(bot_id=1, chat_id=user, user_id=user)
        await storage.set_data(person, {"n": user})
        await storage.flush()  # what the background does each second; unsaved ones stay
    assert len(storage._cache) <= 10
    assert await storage.get_state(first) == "Ordering:link"  # read back from the database
    await storage.close()
    again = SqliteStorage(db)
    assert await again.get_data(StorageKey(bot_id=1, chat_id=29, user_id=29)) == {"n": 29}


async def test_a_stop_while_the_background_save_begins_still_saves(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # The stop cancels the background save while its BEGIN waits in aiosqlite's thread; that
    # BEGIN then goes through, and the final save must still find the connection free.
    storage = SqliteStorage(db, flush_seconds=0)
    begin = await statement_started(db, "BEGIN")
    with write_lock_held_elsewhere(db):
        await storage.set_state(KEY, "Ordering:link")
        await begin.wait()
        closing = asyncio.create_task(storage.close())
        await asyncio.sleep(0)  # close has cancelled the background save
    await closing
    assert await rows(db) == 1
    assert "ERROR" not in caplog.text


async def test_closing_twice_is_harmless(db: Database) -> None:
    storage = SqliteStorage(db)
    await storage.set_state(KEY, "Ordering:link")
    await storage.close()
    await storage.close()
    assert await rows(db) == 1


async def test_close_after_the_database_closed_says_what_was_not_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(tmp_path / "closed.sqlite3")
    await db.connect()
    storage = SqliteStorage(db)
    await storage.set_state(KEY, "Ordering:link")
    await db.close()
    await storage.close()  # no traceback that would cut the rest of a stop short
    await storage.close()
    assert "Could not save 1 conversation(s)" in caplog.text


async def test_a_final_save_that_fails_is_logged_not_raised(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    storage = SqliteStorage(db)
    await storage.set_state(KEY, "Ordering:link")
    async with db.transaction() as tx:  # the save cannot succeed now
        await tx.execute("DROP TABLE conversations")
    with caplog.at_level(logging.ERROR, logger="storage.conversations"):
        await storage.close()
    assert "no such table: conversations" in caplog.text


async def test_the_final_save_waits_for_the_database_only_so_long(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def long_write() -> None:
        async with db.transaction():
            inside.set()
            await release.wait()

    writing = asyncio.create_task(long_write())
    await inside.wait()
    storage = SqliteStorage(db, close_seconds=0.05)
    await storage.set_state(KEY, "Ordering:link")
    await storage.close()  # returns although the writer stays busy
    assert "Could not save 1 conversation(s)" in caplog.text
    release.set()
    await writing
    await storage.flush()  # what was not saved is still held, and saved when it can be
    assert await rows(db) == 1
