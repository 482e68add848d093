"""The database's migrations: `storage/migrations/NNNN_name.sql`, applied in order above
`PRAGMA user_version`, each in a transaction of its own; the part of a migration after a line
`-- optional` is applied when this SQLite can, and skipped as a whole when it cannot."""

from __future__ import annotations

import logging
import re
import sqlite3
from importlib import resources

import aiosqlite

logger = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
OPTIONAL_PART = re.compile(r"^-- optional\b", re.MULTILINE)


async def migrate(connection: aiosqlite.Connection) -> None:
    """Apply migrations/NNNN_name.sql above PRAGMA user_version, each in its own transaction."""
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row["user_version"]) if row else 0
    for number, script in available_migrations():
        if number <= current:
            continue
        logger.info("Applying database migration %04d", number)
        required, optional = split_optional(script)
        # executescript would COMMIT on its own; the script runs inside our BEGIN instead.
        await connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_statements(required):
                await connection.execute(statement)
            if optional:
                await _apply_optional(connection, number, optional)
            await connection.execute(f"PRAGMA user_version={number}")
        except BaseException:
            await connection.rollback()
            raise
        await connection.commit()


async def _apply_optional(connection: aiosqlite.Connection, number: int, script: str) -> None:
    """Apply a migration's optional part, or none of it: what it needs may be missing from
    this SQLite (e.g. FTS5's trigram tokenizer), and the code that would use it checks
    whether it is there. Undone alone, by a savepoint, when SQLite refuses it."""
    await connection.execute("SAVEPOINT optional")
    try:
        for statement in split_statements(script):
            await connection.execute(statement)
    except sqlite3.OperationalError as error:
        await connection.execute("ROLLBACK TO optional")
        logger.warning("Migration %04d: its optional part was skipped: %s", number, error)
    await connection.execute("RELEASE optional")


def available_migrations() -> list[tuple[int, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def split_optional(script: str) -> tuple[str, str]:
    """A migration's required part, and its optional part: what follows a line that starts
    with `-- optional` (see _apply_optional); "" when it has none."""
    match = OPTIONAL_PART.search(script)
    return (script, "") if match is None else (script[: match.start()], script[match.start() :])


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
