"""The chaos suite's trials at their small sizes: the real bot process (`python -m bot`) over the
fake Telegram and the simulator. `make chaos` runs the full sizes; see chaos/__init__.py.

A trial listed in KNOWN_FAILING runs as xfail(strict) until the bug it names is fixed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from chaos.core import Context
from chaos.invariants import money_problems
from chaos.process import log_problems
from chaos.seed import PRICE, paid_order
from chaos.suite import run_trial, suite_context
from chaos.trials import TRIALS, Trial
from storage.db import Database
from storage.ledger import Ledger
from storage.order_repository import OrderRepository
from storage.orders import Stage
from storage.users import UserRepository

pytestmark = pytest.mark.asyncio(loop_scope="module")
SEED = int(os.environ.get("CHAOS_SEED", "1"))

KNOWN_FAILING: dict[str, str] = {}  # trial name -> the bug that makes it fail today


def case(trial: Trial) -> object:
    reason = KNOWN_FAILING.get(trial.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(trial, id=trial.name, marks=marks)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ctx(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Context]:
    workdir: Path = tmp_path_factory.mktemp("chaos")
    async with suite_context(SEED, workdir) as context:
        yield context


@pytest.mark.timeout(600)  # each trial bounds itself (chaos.trials.Trial.time_limit) well before
@pytest.mark.parametrize("trial", [case(trial) for trial in TRIALS])
async def test_trial_holds(ctx: Context, trial: Trial) -> None:
    outcome = await run_trial(ctx, trial, trial.small)
    result = outcome.result
    assert result.failed == 0, f"seed {SEED}: " + "\n".join(result.failures)


# ---- the suite's own checks, on databases made by hand (no bot process) ----------------------


@pytest_asyncio.fixture(loop_scope="module")
async def shop_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A customer (id 1) with 10.00 and an unconfirmed order #1 of 3.25."""
    db = Database(tmp_path / "bot.sqlite3")
    await db.connect()
    await UserRepository(db).register(1, "Ann", None, "en")
    await Ledger(db).change(1, Decimal(10), "credit", "seed")
    await paid_order(db, 1, "https://youtu.be/x", panel_id=None)
    try:
        yield db
    finally:
        await db.close()


async def refund(db: Database, kind: str, amount: Decimal = PRICE) -> None:
    async with db.transaction() as tx:
        await Ledger(db).apply(tx, 1, amount, kind, "1")
        await OrderRepository(db).add_refunded(tx, 1, amount)


async def test_money_held_when_an_order_is_refunded_once(shop_db: Database) -> None:
    await refund(shop_db, "refund")
    async with shop_db.transaction() as tx:
        await OrderRepository(shop_db).set_stage(tx, 1, Stage.FAILED)
    assert await money_problems(shop_db) == []


async def test_a_second_refund_of_another_kind_is_a_double_application(shop_db: Database) -> None:
    await refund(shop_db, "refund")
    await refund(shop_db, "admin_refund")
    problems = await money_problems(shop_db)
    assert any("refunded 6.50 of a price of 3.25" in problem for problem in problems)


async def test_an_order_attached_and_refunded_as_never_placed(shop_db: Database) -> None:
    await refund(shop_db, "refund")
    async with shop_db.transaction() as tx:
        await OrderRepository(shop_db).set_placed(tx, 1, 1234)
    problems = await money_problems(shop_db)
    assert any("on the panel as 1234 and refunded in full" in problem for problem in problems)


async def test_a_balance_that_is_not_its_ledger(shop_db: Database) -> None:
    async with shop_db.transaction() as tx:
        await tx.execute("UPDATE users SET balance = balance + 1000000 WHERE id = 1")
    problems = await money_problems(shop_db)
    assert any("user 1: balance 7.75 but ledger sum 6.75" in problem for problem in problems)


async def test_a_log_with_a_traceback_or_an_error_line_is_a_problem() -> None:
    clean = "2026-01-01 10:00:00,000 WARNING aiogram.dispatcher: Received SIGTERM signal\n"
    assert log_problems(clean) == []
    broken = clean + (
        "2026-01-01 10:00:01,000 ERROR handlers.errors: Update 7 failed: ValueError()\n"
        "Traceback (most recent call last):\n"
    )
    assert len(log_problems(broken)) == 2
