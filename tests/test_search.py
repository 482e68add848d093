"""Finding services by name: folding, matching every word, ranking, ids, what is hidden, the
index kept in step with the catalog, limits and pages. The repository's tests run twice: with
the trigram index and as on a SQLite without it (the migration's optional part skipped)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from provider.client import PanelClient
from shop.catalog import Catalog
from shop.paging import Page
from shop.panels import Panels
from shop.search_query import MAX_QUERY_LENGTH, BadQuery, QueryProblem, search_terms
from storage import catalog_writer as writer_module
from storage import migrate as migrate_module
from storage.catalog import CatalogEntry, CatalogRepository, Found
from storage.db import Database
from storage.markup import MarkupRepository
from storage.panels import PanelRepository
from storage.search import INDEX_TABLE, fold
from storage.settings import SettingsRepository

NAMES = {
    1: ("YouTube", "Youtube views"),
    2: ("YouTube", "🔥 YouTube Views [Non Drop] & Fast <HQ> "),
    3: ("YouTube", "YouTube Live Stream Views [1 Hour] Package"),
    4: ("YouTube", "YouTube Likes [Real] ⚡"),
    5: ("YouTube", "Real Views for YouTube Shorts"),
    6: ("Instagram", "Instagram Likes | Instant & Cheap"),
    7: ("Instagram", "IG Reels Likes"),
    8: ("Instagram", "Instagram High Quality Followers"),
    9: ("Vietnam", "Lượt xem YouTube Việt Nam"),
    10: ("Vietnam", "Đăng ký kênh YouTube"),
    11: ("Россия", "Просмотры Ютуб Ёлка"),
    12: ("Instagram", "Instagram 13 Likes Package"),
    13: ("Instagram", "Instagram Followers [Max 50K] 👥"),
    14: ("Twitter", "X Views"),
    15: ("Twitter", "Xbox Live Followers"),
}


def entries(names: dict[int, tuple[str, str]] = NAMES) -> list[CatalogEntry]:
    return [
        CatalogEntry(sid, name, "Default", category, Decimal("1.5"), 10, 1000)
        for sid, (category, name) in names.items()
    ]


async def without_index(db: Database) -> None:
    """The database as migrated by a SQLite without the trigram tokenizer."""
    async with db.transaction() as tx:
        await tx.execute(f"DROP TABLE {INDEX_TABLE}")


@pytest_asyncio.fixture(params=["indexed", "scan"])
async def repo(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[CatalogRepository]:
    if request.param == "scan":
        await without_index(db)
    repository = CatalogRepository(db)
    await repository.sync(entries())
    yield repository


async def ids(repo: CatalogRepository, query: str, offset: int = 0, limit: int = 50) -> list[int]:
    found = await repo.search(query, offset, limit)
    assert found.total == await repo.count_found(query)  # one statement, the same count
    return [service.id for service in found.items]


# ---- folding --------------------------------------------------------------------------------------


def test_fold_keeps_letters_and_digits_only_in_lower_case_without_accents() -> None:
    assert fold("🔥 YouTube Views [Non Drop] & Fast <HQ> ") == "youtube views non drop fast hq"
    assert fold("Lượt xem YouTube Việt Nam") == "luot xem youtube viet nam"
    assert fold("Đăng ký") == "dang ky"
    assert fold("Просмотры Ёлка") == "просмотры елка"
    assert fold("Twitter/X #1234") == "twitter x 1234"
    assert fold("🔥⚡!!! <> &") == ""
    assert fold("Brand™ ♻️ İstanbul ＦＵＬＬ") == "brandtm istanbul full"  # decomposed, then lower
    for text in ("🔥 YouTube Views [Non Drop]", "Lượt xem", "유튜브 조회수", "Straße ½"):
        assert fold(fold(text)) == fold(text)


# ---- matching and ranking -------------------------------------------------------------------------


async def test_every_word_must_be_in_the_name(repo: CatalogRepository) -> None:
    assert set(await ids(repo, "youtube views")) == {1, 2, 3, 5}
    assert set(await ids(repo, "views youtube")) == {1, 2, 3, 5}  # in any order
    assert await ids(repo, "youtube likes") == [4]
    assert await ids(repo, "youtube followers") == []


async def test_case_accents_and_symbols_do_not_matter(repo: CatalogRepository) -> None:
    assert await ids(repo, "LUOT XEM") == [9]
    assert await ids(repo, "lượt xem") == [9]
    assert await ids(repo, "dang ky") == [10]
    assert await ids(repo, "ПРОСМОТРЫ ёлка") == [11]
    assert await ids(repo, "[non-drop] <hq>!") == [2]
    assert set(await ids(repo, "tube")) == set(await ids(repo, "youtube"))  # part of a word


async def test_names_starting_with_the_first_word_then_the_words_together_then_short(
    repo: CatalogRepository,
) -> None:
    # 1 and 2 start with "youtube views"; 3 starts with "youtube" without the words together;
    # 5 has "views for youtube": neither.
    assert await ids(repo, "youtube views") == [1, 2, 3, 5]
    assert await ids(repo, "likes") == [7, 4, 12, 6]  # no name starts with it: shorter first


async def test_short_words_match_the_start_of_a_word_or_a_whole_word(
    repo: CatalogRepository,
) -> None:
    assert await ids(repo, "ig") == [7]  # not "High" nor "Instagram"
    assert await ids(repo, "instagram hi") == [8]
    assert await ids(repo, "x") == [14]  # not "Xbox"
    assert await ids(repo, "xb") == [15]
    assert await ids(repo, "likes x") == []


async def test_a_number_finds_that_service_first(repo: CatalogRepository) -> None:
    assert await ids(repo, "13") == [13, 12]  # the id, then the name with 13 in it
    assert await ids(repo, "#4") == [4]
    assert await ids(repo, "5") == [5]  # a digit alone is a whole word: not "50K"
    assert await repo.count_found("13") == 2
    assert await ids(repo, "99") == []  # no such id, no such name
    assert await ids(repo, "9" * 30) == []  # no id can be that long


async def test_punctuation_or_emoji_alone_finds_nothing(repo: CatalogRepository) -> None:
    for query in ("", "   ", "🔥⚡", "!!! ???", "<>&"):
        assert await repo.search(query) == Found((), 0)
        assert await repo.count_found(query) == 0


async def test_hidden_inactive_and_hidden_categories_are_not_found(
    repo: CatalogRepository,
) -> None:
    await repo.set_service_hidden(4, True)
    assert await ids(repo, "youtube likes") == []
    assert await ids(repo, "4") == []  # not by its id either
    await repo.set_service_hidden(4, False)
    assert await ids(repo, "youtube likes") == [4]
    instagram = await repo.category_by_name("Instagram")
    assert instagram is not None
    await repo.set_category_hidden(instagram.id, True)
    assert await ids(repo, "likes") == [4]
    await repo.set_category_hidden(instagram.id, False)
    await repo.sync([e for e in entries() if e.id != 6])  # gone from the panel
    assert 6 not in await ids(repo, "likes")


async def test_pages_of_one_order_and_their_count(repo: CatalogRepository) -> None:
    everything = await ids(repo, "youtube")
    assert len(everything) == await repo.count_found("youtube") == 7
    assert await ids(repo, "youtube", 0, 3) + await ids(repo, "youtube", 3, 50) == everything
    past_the_end = await repo.search("youtube", 21, 3)
    assert past_the_end == Found((), 7)


async def test_the_index_follows_renames_and_a_re_sync_writes_nothing(
    db: Database, repo: CatalogRepository
) -> None:
    renamed = dict(NAMES) | {4: ("YouTube", "YouTube Dislikes")}
    result = await repo.sync(entries(renamed))
    assert result.changed == [4]
    assert await ids(repo, "dislikes") == [4]
    assert 4 not in await ids(repo, "real")
    before = db.writer.total_changes
    assert not (await repo.sync(entries(renamed))).changed
    assert db.writer.total_changes == before


async def test_names_from_before_the_migration_are_folded_without_being_changes(
    db: Database, repo: CatalogRepository
) -> None:
    indexed = await db.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE name = ?", (INDEX_TABLE,))
    async with db.transaction() as tx:  # as migration 0007 leaves them until the next sync
        await tx.execute("UPDATE services SET search_name = ''")
        if indexed:
            await tx.execute(f"DELETE FROM {INDEX_TABLE}")
    repo.forget()
    assert await ids(repo, "youtube views") == []
    result = await repo.sync(entries())
    assert not result.changed and not result.added
    folded = await db.fetchval("SELECT search_name FROM services WHERE id = 2")
    assert folded == "youtube views non drop fast hq"
    assert await ids(repo, "youtube views") == [1, 2, 3, 5]


async def test_a_re_sync_folds_only_the_names_that_changed(
    repo: CatalogRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    folded: list[str] = []

    def counting(name: str) -> str:
        folded.append(name)
        return fold(name)

    monkeypatch.setattr(writer_module, "fold", counting)
    await repo.sync(entries(dict(NAMES) | {4: ("YouTube", "YouTube Dislikes")}))
    assert folded == ["YouTube Dislikes"]


async def test_the_index_holds_one_row_a_service(db: Database) -> None:
    repository = CatalogRepository(db)
    await repository.sync(entries())
    await repository.sync(entries(dict(NAMES) | {2: ("YouTube", "YouTube Views HQ")}))
    indexed = await db.fetchval(f"SELECT COUNT(*) FROM {INDEX_TABLE}")
    assert indexed == await db.fetchval("SELECT COUNT(*) FROM services") == len(NAMES)
    match = f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH ?"
    assert [row[0] for row in await db.fetchall(match, ('"views hq"',))] == [2]


async def test_a_migrations_optional_part_is_skipped_when_sqlite_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        "CREATE TABLE kept (id INTEGER PRIMARY KEY);\n"
        "-- optional: needs a tokenizer no SQLite has\n"
        "CREATE TABLE undone (id INTEGER PRIMARY KEY);\n"
        "CREATE VIRTUAL TABLE missing USING fts5 (x, tokenize = 'no_such_tokenizer');\n"
    )
    migrations = [*migrate_module.available_migrations(), (99, script)]
    monkeypatch.setattr(migrate_module, "available_migrations", lambda: migrations)
    database = Database(tmp_path / "optional.sqlite3")
    await database.connect()
    try:
        assert await database.schema_version() == 99
        tables = {row[0] for row in await database.fetchall("SELECT name FROM sqlite_master")}
        assert "kept" in tables and "undone" not in tables and "missing" not in tables
    finally:
        await database.close()


# ---- the shop: limits and pages -------------------------------------------------------------------


def test_a_query_needs_two_letters_or_digits_or_a_number_and_at_most_100_characters() -> None:
    assert search_terms("  🔥 YouTube Views! ") == "youtube views"
    assert search_terms("#5") == "5"
    assert search_terms("ig") == "ig"
    assert search_terms("a" * MAX_QUERY_LENGTH) == "a" * MAX_QUERY_LENGTH
    for query, problem in [
        ("a", QueryProblem.TOO_SHORT),
        ("🔥🔥🔥", QueryProblem.TOO_SHORT),
        ("", QueryProblem.TOO_SHORT),
        ("a" * (MAX_QUERY_LENGTH + 1), QueryProblem.TOO_LONG),
    ]:
        with pytest.raises(BadQuery) as refused:
            search_terms(query)
        assert refused.value.problem is problem


async def test_catalog_search_pages_at_eight(db: Database) -> None:
    many = {sid: ("Instagram", f"Instagram Likes {sid}") for sid in range(100, 120)}
    repository = CatalogRepository(db)
    await repository.sync(entries(many))
    panel = PanelClient("http://127.0.0.1:9/api/v2", "unused")  # never called by a search
    panels = Panels(PanelRepository(db), panel)
    catalog = Catalog(repository, SettingsRepository(db), panels, Decimal(30), MarkupRepository(db))
    first = await catalog.search("Instagram likes", 0)
    assert (first.page, first.pages, first.total, len(first.items)) == (0, 3, 20, 8)
    last = await catalog.search("instagram likes", 99)  # past the end: the last page
    assert (last.page, len(last.items)) == (2, 4)
    assert await catalog.search("🔥 nothing like it", 0) == Page([], 0, 1, 0)
    with pytest.raises(BadQuery):
        await catalog.search("!", 0)
