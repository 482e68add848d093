"""The dashboard's money figures over several panels: each panel's charges converted by its own
terms, a panel without a rate kept apart in its currency, a removed panel's past orders counted
by the terms it had, and a new panel of the same name by its own."""

from __future__ import annotations

from decimal import Decimal

from storage.db import Database
from storage.panels import PanelRepository
from storage.stats import ChargeTerms, StatsRepository
from storage.users import UserRepository


async def order(db: Database, panel: str, price: str, charge: str, created_at: int) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            """INSERT INTO orders (kind, user_id, service_id, service_name, service_type, link,
                   quantity, price, charge, status, panel, draft_key, created_at, updated_at)
               VALUES ('service', 1, 1, 'Views', 'Default', 'https://x', 1000, ?, ?,
                       'completed', ?, ?, ?, ?)""",
            (int(Decimal(price) * 10**6), int(Decimal(charge) * 10**6), panel,
             f"{panel}-{created_at}", created_at, created_at),
        )  # fmt: skip


async def test_every_panels_cost_counts_by_its_own_terms(db: Database) -> None:
    await UserRepository(db).register(1, "Ann", None, "en")
    panels = PanelRepository(db)
    await panels.add("vnd", "http://127.0.0.1:1/api/v2", "key", "VND")
    await panels.update("vnd", "rate", "0.00004")
    await order(db, "main", "1.30", "1.00", 1_000)
    await order(db, "vnd", "1.30", "25000", 1_000)  # 1.00 USD at the rate it had
    assert await panels.remove("vnd") == 0
    [gone] = await panels.removed()
    # A new panel named vnd, in euros without a rate, after the removal.
    await panels.add("vnd", "http://127.0.0.1:2/api/v2", "key", "EUR")
    await order(db, "vnd", "2.00", "1.50", gone.removed_at + 10)
    await order(db, "old", "0.50", "7", 1_000)  # removed before removals were kept

    stats = await StatsRepository(db).window(
        0,
        {"main": ChargeTerms("USD", Decimal(1)), "vnd": ChargeTerms("EUR", None)},
        {("vnd", gone.removed_at): ChargeTerms(gone.currency, gone.rate)},
    )
    assert (gone.currency, gone.rate) == ("VND", Decimal("0.00004"))
    assert stats.revenue == Decimal("5.10")
    assert stats.panel_cost == Decimal("2.00")  # main 1.00 + the removed vnd's 1.00
    assert stats.margin == Decimal("0.60")
    assert stats.unconverted == {"EUR": Decimal("1.5"), "": Decimal("7")}
    assert sorted(stats.unconverted_panels) == ["old", "vnd"]
