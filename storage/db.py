"""One SQLite database through aiosqlite: a lock-guarded writer connection and a reader.

Every write goes through `Database.transaction()`, which takes the single writer lock and starts
`BEGIN IMMEDIATE`, so transactions of concurrent updates never interleave on the shared
connection. Reads outside a transaction use a second connection: in WAL mode it sees only
committed data, never another coroutine's half-done transaction.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

logger = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
BUSY_TIMEOUT_MS = 5000


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
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._open()
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._migrate(self._writer)
        self._reader = await self._open()

    async def _open(self) -> aiosqlite.Connection:
        # isolation_level=None: autocommit; transactions are begun explicitly below.
        connection = await aiosqlite.connect(self.path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    async def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

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
        """One writer at a time; commit on success, roll back on any exception."""
        async with self._write_lock:
            connection = self.writer
            await connection.execute("BEGIN IMMEDIATE")
            tx = Transaction(connection)
            try:
                yield tx
            except BaseException:
                # Shielded: a cancelled task must still end its transaction, or the shared
                # connection would stay inside it.
                await asyncio.shield(connection.rollback())
                raise
            else:
                await connection.commit()
        for callback in tx.after_commit:  # e.g. wake the notifier once the rows are visible
            callback()

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self.reader.execute_fetchall(sql, params))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def schema_version(self) -> int:
        version: int = await self.fetchval("PRAGMA user_version")
        return version

    async def _migrate(self, connection: aiosqlite.Connection) -> None:
        """Apply migrations/NNNN_name.sql above PRAGMA user_version, each in its own transaction."""
        async with connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for number, script in available_migrations():
            if number <= current:
                continue
            logger.info("Applying database migration %04d", number)
            # executescript would COMMIT on its own; the script runs inside our BEGIN instead.
            await connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in split_statements(script):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version={number}")
            except BaseException:
                await connection.rollback()
                raise
            await connection.commit()


def available_migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_statements(script: str) -> list[str]:
    """Split a migration into statements; sqlite3.complete_statement keeps triggers whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError("migration ends with an incomplete statement")
    return statements
