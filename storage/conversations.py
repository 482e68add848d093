"""Conversation state (aiogram FSM) kept in SQLite, so a half-entered order survives a restart.

Reads come from memory: a person's record is loaded once, at their first update after start.
Writes go to memory at once and reach the database in the background, at most
`FLUSH_SECONDS` later, in one transaction for everyone who changed (an order step writes the
state and the draft, and none of that should wait for the writer lock). A crash loses at most
that last second of typing; money never lives here, so nothing is charged or lost by it.
A conversation untouched for `KEEP_SECONDS` is forgotten when next read (after a restart).
Closing writes what is pending within `CLOSE_SECONDS`; past that, or if the write fails, it says
so in the log and lets the rest of the stop go on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey

from storage.db import Database

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
KEEP_SECONDS = 24 * 3600  # a draft left for a day is stale: prices and stock have moved on
CACHE_LIMIT = 20_000  # people kept in memory; past it the longest-loaded saved ones are let go
CLOSE_SECONDS = 5.0  # the final flush at a stop; then the stop goes on without it


@dataclass(slots=True)
class Conversation:
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    data_json: str = "{}"  # `data` as written to the database
    updated_at: float = field(default_factory=time.time)

    @property
    def empty(self) -> bool:
        return self.state is None and not self.data


class SqliteStorage(BaseStorage):
    def __init__(
        self,
        db: Database,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        close_seconds: float = CLOSE_SECONDS,
    ) -> None:
        self._db = db
        self._flush_seconds = flush_seconds
        self._close_seconds = close_seconds
        self._keys = DefaultKeyBuilder(with_destiny=True)
        self._cache: dict[str, Conversation] = {}
        self._dirty: set[str] = set()
        self._flusher: asyncio.Task[None] | None = None

    # ---- aiogram's storage interface -----------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = self._keys.build(key)
        conversation = await self._load(name)
        conversation.state = state.state if isinstance(state, State) else state
        self._changed(name, conversation)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(self._keys.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._keys.build(key)
        # Serialized now: a value JSON cannot hold fails in the handler that stored it.
        data_json = json.dumps(data, separators=(",", ":"))
        conversation = await self._load(name)
        conversation.data, conversation.data_json = dict(data), data_json
        self._changed(name, conversation)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(self._keys.build(key))).data)

    async def close(self) -> None:
        """Write what is pending; called once the bot has stopped handling updates.

        Never raises and never waits long: a stop must go on (and close the database) whatever
        happens here, so a flush that fails or takes more than `close_seconds` is logged.
        Closing twice, or after the database was closed, is harmless.
        """
        await self._stop_flusher()
        if not self._dirty:
            return
        if not self._db.connected:
            logger.error(
                "Could not save %d conversation(s): the database was closed", len(self._dirty)
            )
            return
        pending = len(self._dirty)
        flushing = asyncio.create_task(self.flush())
        try:
            await asyncio.wait({flushing}, timeout=self._close_seconds)
        finally:
            if not flushing.done():
                # Given up (or this close was cancelled): the flush rolls back once SQLite lets
                # go, and its changes stay in memory, unsaved.
                flushing.cancel()
        if not flushing.done():
            logger.error(
                "Could not save %d conversation(s): the database did not take them within %s s",
                pending,
                self._close_seconds,
            )
        elif not flushing.cancelled() and (error := flushing.exception()) is not None:
            logger.error("Could not save %d conversation(s) at close", pending, exc_info=error)

    async def _stop_flusher(self) -> None:
        flusher, self._flusher = self._flusher, None
        if flusher is None:
            return
        flusher.cancel()
        # Bounded: a flush cancelled in the middle of a statement ends when SQLite lets go.
        await asyncio.wait({flusher}, timeout=self._close_seconds)
        if flusher.done() and not flusher.cancelled() and flusher.exception() is not None:
            logger.error("Conversation flusher failed", exc_info=flusher.exception())

    # ---- memory and database -------------------------------------------------------------

    async def flush(self) -> None:
        """Write every changed conversation now, in one transaction."""
        if not self._dirty:
            return
        keys, self._dirty = self._dirty, set()
        kept, gone = [], []
        for name in keys:
            conversation = self._cache[name]
            if conversation.empty:
                gone.append((name,))
            else:
                updated_at = int(conversation.updated_at)
                kept.append((name, conversation.state, conversation.data_json, updated_at))
        try:
            async with self._db.transaction() as tx:
                await tx.executemany(
                    """INSERT INTO conversations (key, state, data, updated_at)
                       VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET
                       state = excluded.state, data = excluded.data,
                       updated_at = excluded.updated_at""",
                    kept,
                )
                await tx.executemany("DELETE FROM conversations WHERE key = ?", gone)
                await tx.execute(
                    "DELETE FROM conversations WHERE updated_at < ?",
                    (int(time.time() - KEEP_SECONDS),),
                )
        except BaseException:
            self._dirty |= keys  # written in the next round (or at close)
            raise

    async def _load(self, name: str) -> Conversation:
        conversation = self._cache.get(name)
        if conversation is None:
            row = await self._db.fetchone(
                "SELECT state, data, updated_at FROM conversations WHERE key = ?", (name,)
            )
            conversation = self._cache.get(name)  # another update may have loaded it meanwhile
            if conversation is None:
                conversation = self._from_row(row)
                self._cache[name] = conversation
                if len(self._cache) > CACHE_LIMIT:
                    self._let_go(len(self._cache) - CACHE_LIMIT * 9 // 10, keep=name)
        return conversation

    def _let_go(self, count: int, keep: str) -> None:
        """Drop the `count` longest-loaded conversations already saved (read again if needed),
        never `keep`, which the caller is about to use."""
        saved = [name for name in self._cache if name not in self._dirty and name != keep]
        for name in saved[:count]:
            del self._cache[name]

    @staticmethod
    def _from_row(row: Any) -> Conversation:
        if row is None or row["updated_at"] < time.time() - KEEP_SECONDS:
            return Conversation()
        data_json = row["data"]
        return Conversation(row["state"], json.loads(data_json), data_json, row["updated_at"])

    def _changed(self, name: str, conversation: Conversation) -> None:
        conversation.updated_at = time.time()
        self._dirty.add(name)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        """Flush every `flush_seconds` while anything is waiting to be written."""
        while self._dirty:
            await asyncio.sleep(self._flush_seconds)
            if not self._db.connected:  # closed: retrying would only fill the log
                return
            try:
                await self.flush()
            except Exception:
                logger.exception("Could not save conversations; trying again shortly")
