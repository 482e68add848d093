"""Seeing into the writer's thread, on real SQLite: when a statement starts, and another
process holding the write lock, so that a `BEGIN IMMEDIATE` waits there."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from storage.db import Database


async def statement_started(db: Database, statement: str) -> asyncio.Event:
    """Set as soon as the writer's thread starts running a statement that begins so
    (upper case: "BEGIN", "COMMIT", "INSERT INTO LEDGER")."""
    loop = asyncio.get_running_loop()
    event = asyncio.Event()

    def trace(sql: str) -> None:
        if sql.lstrip().upper().startswith(statement):
            loop.call_soon_threadsafe(event.set)

    await db.writer.set_trace_callback(trace)
    return event


@contextmanager
def write_lock_held_elsewhere(db: Database) -> Iterator[None]:
    """Another connection holds the write lock: the writer's BEGIN IMMEDIATE waits (SQLite's
    busy timeout) in aiosqlite's thread until this block ends."""
    blocker = sqlite3.connect(db.path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
    finally:
        blocker.rollback()
        blocker.close()
