from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from storage.db import Database
from storage.errors import DuplicateEntry, InsufficientFunds, NotFound
from storage.ledger import Ledger
from storage.markup import MarkupRepository
from storage.migrate import available_migrations
from storage.money import from_micros, to_micros, to_micros_ceiling
from storage.settings import SettingsRepository
from storage.users import UserRepository


async def make_user(db: Database, user_id: int = 1, balance: str = "0") -> None:
    await UserRepository(db).register(user_id, "Ann", "ann", "en")
    if Decimal(balance):
        await Ledger(db).change(user_id, Decimal(balance), "credit", f"seed-{user_id}")


def test_money_round_trip_is_exact() -> None:
    for text in ["0", "2.5", "0.048", "0.27819", "125000", "68.6868", "0.000001"]:
        assert from_micros(to_micros(Decimal(text))) == Decimal(text)
    assert str(from_micros(2_500_000)) == "2.50"
    assert str(from_micros(48_000)) == "0.048"
    assert str(from_micros(125_000_000_000)) == "125000.00"
    with pytest.raises(ValueError, match="6 decimal"):
        to_micros(Decimal("0.0000001"))
    assert to_micros_ceiling(Decimal("0.0000001")) == 1


async def test_migrations_on_empty_file_and_again(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    first = Database(path)
    await first.connect()
    latest = available_migrations()[-1][0]
    assert await first.schema_version() == latest
    await make_user(first, 7, "3")
    await first.close()

    again = Database(path)  # an already-migrated file: nothing re-applied, data kept
    await again.connect()
    assert await again.schema_version() == latest
    assert await Ledger(again).balance(7) == Decimal("3")
    await again.close()


async def test_credit_then_duplicate_is_refused_and_balance_untouched(db: Database) -> None:
    await make_user(db)
    ledger = Ledger(db)
    entry = await ledger.change(1, Decimal("10.50"), "credit", "pay-1", "top up")
    assert entry.balance_after == Decimal("10.50")
    with pytest.raises(DuplicateEntry):
        await ledger.change(1, Decimal("10.50"), "credit", "pay-1")
    assert await ledger.balance(1) == Decimal("10.50")
    # the same reference under another kind is another change
    await ledger.change(1, Decimal("-0.50"), "debit", "pay-1")
    assert await ledger.balance(1) == Decimal("10.00")
    assert [e.kind for e in await ledger.history(1)] == ["debit", "credit"]


async def test_debit_below_zero_is_refused(db: Database) -> None:
    await make_user(db, balance="1")
    ledger = Ledger(db)
    with pytest.raises(InsufficientFunds):
        await ledger.change(1, Decimal("-1.000001"), "order", "1")
    assert await ledger.balance(1) == Decimal("1")
    assert len(await ledger.history(1)) == 1


async def test_unknown_user_and_zero_amount(db: Database) -> None:
    ledger = Ledger(db)
    with pytest.raises(NotFound):
        await ledger.change(404, Decimal("1"), "credit", "x")
    await make_user(db)
    with pytest.raises(ValueError, match="move money"):
        await ledger.change(1, Decimal("0"), "credit", "zero")


async def test_fifty_concurrent_debits_from_ten(db: Database) -> None:
    await make_user(db, balance="10.00")
    ledger = Ledger(db)

    async def debit(n: int) -> bool:
        try:
            await ledger.change(1, Decimal("-1.00"), "order", str(n))
        except InsufficientFunds:
            return False
        return True

    results = await asyncio.gather(*(debit(n) for n in range(50)))
    assert sum(results) == 10
    assert await ledger.balance(1) == Decimal("0.00")
    assert await ledger.total(1) == Decimal("0.00")


async def test_failed_transaction_rolls_back_everything(db: Database) -> None:
    await make_user(db, balance="5")
    ledger = Ledger(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await ledger.apply(tx, 1, Decimal("-2"), "order", "9")
            raise RuntimeError("panel exploded")
    assert await ledger.balance(1) == Decimal("5")
    assert len(await ledger.history(1)) == 1


async def test_ledger_is_append_only(db: Database) -> None:
    await make_user(db, balance="5")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("UPDATE ledger SET amount = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM ledger")


async def test_users_and_settings(db: Database) -> None:
    users = UserRepository(db)
    await users.register(5, "Bob <b>", "Bob_5", "ru")
    again = await users.register(5, "Bob B", None, "en")
    assert again.full_name == "Bob B" and again.language == "ru"
    assert await users.find_by_username("@Bob_5") is None  # username was cleared
    assert await users.set_banned(5, True)
    assert not await users.set_banned(6, True)
    user = await users.get(5)
    assert user is not None and user.banned
    settings = SettingsRepository(db)
    assert await settings.get("markup") is None
    await settings.set("markup", "30")
    await settings.set("markup", "45.5")
    assert await settings.get("markup") == "45.5"


async def test_a_cancelled_transaction_leaves_the_connection_usable(db: Database) -> None:
    await make_user(db, balance="5")
    started = asyncio.Event()

    async def slow_debit() -> None:
        async with db.transaction() as tx:
            await Ledger(db).apply(tx, 1, Decimal("-1"), "order", "slow")
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow_debit())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await Ledger(db).change(1, Decimal("-2"), "order", "after")
    assert await Ledger(db).balance(1) == Decimal("3")


async def test_markup_rules_answer_from_memory_and_follow_every_change(db: Database) -> None:
    rules = MarkupRepository(db)
    assert await rules.for_service(14, 3) is None
    await rules.set("category", 3, Decimal(50))
    assert await rules.for_service(14, 3) == Decimal(50)
    await rules.set("service", 14, Decimal(0))  # a 0 % rule is a rule: it wins
    assert await rules.for_service(14, 3) == Decimal(0)
    assert await rules.for_service(15, 3) == Decimal(50)
    assert await MarkupRepository(db).for_service(14, 3) == Decimal(0)  # as stored
    assert await rules.remove("service", 14) is True
    assert await rules.remove("service", 14) is False
    assert await rules.for_service(14, 3) == Decimal(50)


async def test_a_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade whose migration fails stops at start; the file keeps its data and version,
    so the previous release still runs on it (deploy/README.md, "Upgrading")."""
    import storage.migrate as migrate_module

    path = tmp_path / "upgrade.sqlite3"
    old = Database(path)
    await old.connect()
    version = await old.schema_version()
    await make_user(old, 7, "3")
    await old.close()

    broken = "ALTER TABLE users ADD COLUMN nickname TEXT;\nINSERT INTO no_such_table VALUES (1);"
    migrations = [*available_migrations(), (version + 1, broken)]
    monkeypatch.setattr(migrate_module, "available_migrations", lambda: migrations)
    upgraded = Database(path)
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        await upgraded.connect()
    assert not upgraded.connected

    monkeypatch.undo()  # the previous release again
    again = Database(path)
    await again.connect()
    try:
        assert await again.schema_version() == version
        columns = {row[1] for row in await again.fetchall("PRAGMA table_info(users)")}
        assert "nickname" not in columns
        assert await Ledger(again).balance(7) == Decimal("3")
    finally:
        await again.close()
