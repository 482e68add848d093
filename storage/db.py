"""One SQLite database through aiosqlite: a lock-guarded writer connection and a reader.

Every write goes through `Database.transaction()`, which takes the single writer lock and starts
`BEGIN IMMEDIATE`, so transactions of concurrent updates never interleave on the shared
connection. Reads outside a transaction use a second connection: in WAL mode it sees only
committed data, never another coroutine's half-done transaction.

aiosqlite runs each statement in its own thread: a cancelled task stops waiting, but its
statement still runs. So every transaction begun here is also ended here (COMMIT or ROLLBACK,
seen through to its end) before the lock is let go, whatever is cancelled when; otherwise the
shared connection would stay inside it and every later write would fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrate import migrate

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
BUSY_TIMEOUT_MS = 5000
MAX_INTEGER = 2**63 - 1  # SQLite's largest INTEGER: an id above it cannot exist
CLOSE_SECONDS = 5.0  # how long close() waits for a write to finish, then for each connection


class Transaction:
    """The writer connection inside one BEGIN IMMEDIATE ... COMMIT."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.after_commit: list[Callable[[], None]] = []

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; returns lastrowid (for INSERT) or rowcount otherwise."""
        # One trip to aiosqlite's thread; the finished cursor is left to the garbage collector
        # (closing it explicitly would cost a second trip for nothing).
        cursor = await self._connection.execute(sql, params)
        is_insert = sql.lstrip().upper().startswith("INSERT")
        return (cursor.lastrowid or 0) if is_insert else cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._connection.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # One trip to aiosqlite's thread instead of three (execute, fetch, close).
        return list(await self._connection.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return only_value(await self.fetchone(sql, params))


class Database:
    def __init__(self, path: str | Path, *, close_seconds: float = CLOSE_SECONDS) -> None:
        self.path = Path(path)
        self._close_seconds = close_seconds
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # Closings that outlived close(): kept by reference so they can finish on their own.
        self._closing: set[asyncio.Task[None]] = set()

    async def connect(self) -> None:
        if self.connected:
            raise RuntimeError("database is already connected")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await self._open()
        try:
            await writer.execute("PRAGMA journal_mode=WAL")
            await migrate(writer)
            reader = await self._open()
        except BaseException:
            await self._close_connections({"writer": writer})  # no worker thread left behind
            raise
        self._writer, self._reader = writer, reader
        # A fresh lock: one still held by a write that an earlier close() gave up on must not
        # stop this connection's writes.
        self._write_lock = asyncio.Lock()

    async def _open(self) -> aiosqlite.Connection:
        # isolation_level=None: autocommit; transactions are begun explicitly below.
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            await self._close_connections({"new": connection})
            raise
        return connection

    async def close(self) -> None:
        """Roll back what is open and close both connections; safe to call twice.

        Bounded: a write still running gets `close_seconds` to finish, then each connection
        gets as long to close; one that does not is logged and left to close on its own, and
        the other is closed all the same. `connect()` works again afterwards.
        """
        writer, reader, lock = self._writer, self._reader, self._write_lock
        self._writer = self._reader = None  # from now on a new write fails at once
        if writer is None and reader is None:
            return
        locked = False
        try:
            if writer is not None:
                locked = await self._acquire_for_close(lock)
        finally:
            # Started even if this close is cancelled: the connections still get closed.
            named = {"writer": writer, "reader": reader}
            closing = self._start_closing({k: c for k, c in named.items() if c is not None})
            if locked:
                lock.release()
        await self._wait_closed(closing)

    async def _acquire_for_close(self, lock: asyncio.Lock) -> bool:
        """Let the write in progress end by itself, for a while; True once the lock is ours."""
        try:
            async with asyncio.timeout(self._close_seconds):
                await lock.acquire()
        except TimeoutError:
            logger.error(
                "A database write was still running %s s after close began; closing under it",
                self._close_seconds,
            )
            return False
        return True

    async def _close_connections(self, named: Mapping[str, aiosqlite.Connection]) -> None:
        await self._wait_closed(self._start_closing(named))

    def _start_closing(
        self, named: Mapping[str, aiosqlite.Connection]
    ) -> dict[asyncio.Task[None], aiosqlite.Connection]:
        closing = {}
        for name, connection in named.items():
            task = asyncio.create_task(_rollback_and_close(connection), name=name)
            self._closing.add(task)
            task.add_done_callback(self._closed)
            closing[task] = connection
        return closing

    def _closed(self, task: asyncio.Task[None]) -> None:
        self._closing.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            logger.error(
                "The database %s connection did not close cleanly", task.get_name(), exc_info=error
            )

    async def _wait_closed(self, closing: dict[asyncio.Task[None], aiosqlite.Connection]) -> None:
        if not closing:
            return
        # asyncio.wait, not wait_for: a closing that overruns is not cancelled (aiosqlite would
        # then wait for its thread anyway); it goes on in the background.
        _, late = await asyncio.wait(closing, timeout=self._close_seconds)
        for task in late:
            logger.error(
                "The database %s connection did not close within %s s; left to close on its own",
                task.get_name(),
                self._close_seconds,
            )
            # Cut short the statement that holds the thread, so the close can follow it.
            with contextlib.suppress(ValueError, sqlite3.Error):
                await closing[task].interrupt()

    @property
    def connected(self) -> bool:
        return self._writer is not None

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("database is not connected")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not connected")
        return self._reader

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One writer at a time; commit on success, roll back on any exception.

        Whatever is cancelled when, the transaction is ended (committed or rolled back) before
        the lock is released. A cancellation that arrives while COMMIT runs waits for it; if it
        committed, the after-commit callbacks run and the cancellation is raised after them.
        """
        connection, lock = self.writer, self._write_lock
        async with lock:
            if connection is not self._writer:
                raise RuntimeError("database was closed while this write waited for its turn")
            await self._end_stray_transaction(connection)
            tx = Transaction(connection)
            try:
                # A cancellation can reach this await only once the BEGIN is queued in
                # aiosqlite's thread; it then runs anyway, and the ROLLBACK below, queued after
                # it, ends whatever it began.
                await connection.execute("BEGIN IMMEDIATE")
                yield tx
            except BaseException:
                await self._rollback(connection)
                raise
            cancelled = await self._commit(connection)
        for callback in tx.after_commit:  # e.g. wake the notifier once the rows are visible
            callback()
        if cancelled:
            raise asyncio.CancelledError

    async def _commit(self, connection: aiosqlite.Connection) -> bool:
        """COMMIT, seen through to its end even if the caller is cancelled meanwhile.

        Returns whether a cancellation arrived (the transaction is committed all the same).
        If the COMMIT failed, what it left open is rolled back and its error raised.
        """
        commit = asyncio.ensure_future(connection.commit())
        cancelled = await _wait_to_end(commit)
        error = asyncio.CancelledError() if commit.cancelled() else commit.exception()
        if error is not None:
            await self._rollback(connection)
            raise asyncio.CancelledError if cancelled else error
        return cancelled

    async def _rollback(self, connection: aiosqlite.Connection) -> None:
        """ROLLBACK, seen through to its end even if the caller is cancelled meanwhile (then the
        cancellation is raised after it). A no-op when no transaction is open. A failure is
        logged, not raised: the error being handled says more, and the next transaction
        checks the connection again."""
        rollback = asyncio.ensure_future(connection.rollback())
        cancelled = await _wait_to_end(rollback)
        if not rollback.cancelled() and rollback.exception() is not None:
            logger.error("Could not roll back a transaction", exc_info=rollback.exception())
        if cancelled:
            raise asyncio.CancelledError

    async def _end_stray_transaction(self, connection: aiosqlite.Connection) -> None:
        """Defence in depth: the writer should never be inside a transaction here (every one
        begun above is ended above). If it is, end it, rather than fail every later write."""
        if connection.in_transaction:
            logger.error("The database writer was left inside a transaction; rolling it back")
            await self._rollback(connection)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        return only_value(await self.fetchone(sql, params))

    async def schema_version(self) -> int:
        version: int = await self.fetchval("PRAGMA user_version")
        return version


def only_value(row: sqlite3.Row | None) -> Any:
    """What fetchval() reads: the value of a statement of one column (None for no row)."""
    if row is None:
        return None
    (value,) = row
    return value


async def _wait_to_end(task: asyncio.Future[Any]) -> bool:
    """Wait until `task` is done, through any cancellation of the caller (asyncio.wait never
    cancels what it waits for); returns whether a cancellation arrived meanwhile."""
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            cancelled = True
    return cancelled


async def _rollback_and_close(connection: aiosqlite.Connection) -> None:
    try:
        await connection.rollback()  # a no-op unless a transaction was left open
    finally:
        await connection.close()
