"""The catalog's reads are remembered until the catalog changes, and never outlive a change."""

from decimal import Decimal
from typing import Any

import pytest

from storage.catalog import CatalogEntry, CatalogRepository
from storage.db import Database


def entry(service_id: int, rate: str = "1.5", category: str = "Instagram") -> CatalogEntry:
    return CatalogEntry(
        service_id, f"Likes {service_id}", "Default", category, Decimal(rate), 10, 1000
    )


@pytest.fixture
def reads(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL each read sends to the database."""
    sent: list[str] = []
    original = db.fetchall

    async def counting(sql: str, params: Any = ()) -> Any:
        sent.append(sql)
        return await original(sql, params)

    monkeypatch.setattr(db, "fetchall", counting)
    return sent


async def test_a_read_is_made_once_until_the_catalog_changes(
    db: Database, reads: list[str]
) -> None:
    catalog = CatalogRepository(db)
    await catalog.sync([entry(1), entry(2)])
    first = await catalog.service(1)
    assert first is not None and first.rate == Decimal("1.5")
    sent = len(reads)
    assert await catalog.service(1) == first
    assert await catalog.categories(0, 8) == await catalog.categories(0, 8)
    category = await catalog.category(first.category_id)
    assert category is not None and category.service_count == 2
    assert len(reads) == sent + 2  # categories once, category once; service(1) not again

    await catalog.sync([entry(1, rate="2.0"), entry(2)])  # a rate moved
    moved = await catalog.service(1)
    assert moved is not None and moved.rate == Decimal("2.0")

    await catalog.set_service_hidden(2, True)
    hidden = await catalog.service(2)
    assert hidden is not None and not hidden.orderable
    category = await catalog.category(first.category_id)
    assert category is not None and category.service_count == 1

    await catalog.set_category_hidden(first.category_id, True)
    assert await catalog.categories(0, 8) == []
    shown = await catalog.service(1)
    assert shown is not None and not shown.orderable


async def test_a_remembered_list_is_the_callers_own(db: Database) -> None:
    catalog = CatalogRepository(db)
    await catalog.sync([entry(1), entry(2)])
    page = await catalog.categories(0, 8)
    page.clear()
    assert len(await catalog.categories(0, 8)) == 1
