"""Catalog sync, browsing and search with a large panel catalog (10,000 services in 300 categories).

    .venv/bin/python bench/catalog.py            # 10,000 services / 300 categories
    FULL=1 .venv/bin/python bench/catalog.py     # the same, then 30,000 / 900

The in-process simulator serves `make_large_catalog(N, C)` with its names written as three
panels write theirs (`as_three_panels`: the words people search for, emoji, brackets, `&`, `<HQ>`);
everything goes through `shop.catalog.Catalog` on a real SQLite file, as the bot does:

- full sync:  `Catalog.sync()` into an empty database (panel fetch + parse, then the store);
              each simulator has built the JSON of its list before (its own serialising,
              timed and printed apart: a real panel does that on its own machine);
- re-sync:    the same again with nothing changed on the panel: must write nothing
              (SyncResult empty, the writer connection's total_changes unchanged, no
              `updated_at` moved);
- re-sync 1%: a panel where 1% of the rates changed: exactly those rows written;
- browsing:   `Catalog.categories(page)`, `.category(id)`, `.services(category, page)`,
              `.offer(id)`: median / p99 / max over many calls from the database (what the
              repository remembers is dropped before each call), the median when remembered
              (the usual case between two syncs), the panel's request counts checked unchanged
              (browsing reads only the database), and each SQL statement's
              `EXPLAIN QUERY PLAN` (a full scan of a big table is flagged).
- search:     `Catalog.search(query, 0)` (count + first page, what a person's search costs) for
              a few typical queries: median / p99 / max from the database, the median when
              remembered, and the plans; with the FTS5 trigram index (migration 0007), then
              again without it, as on a SQLite that lacks the tokenizer (a scan of the names).

Targets: full sync under 1 s (three panels, 30,000 services: under 3 s); a re-sync writes
nothing; each browse call under 5 ms; a search under 20 ms.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

# Run as `python bench/catalog.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provider.client import PanelClient
from shop.catalog import Catalog
from shop.panels import Panels
from simulators.panel import PanelSimulator, make_large_catalog
from storage.catalog import CatalogRepository, SyncResult
from storage.db import Database, Transaction
from storage.markup import MarkupRepository
from storage.panels import PanelMode, PanelRepository
from storage.search import INDEX_TABLE
from storage.settings import SettingsRepository

KEY = "bench"
BROWSE_REPEATS = 300
WARMUP = 20
CHANGED_SHARE = 100  # one service in this many gets a new rate for the "re-sync 1%" row
SMALL_TABLE = 1_000  # rows: a full scan of a table this small is no concern
# "FROM services s" / "JOIN categories AS c": plans name tables by their alias.
ALIAS = re.compile(
    r"(?:FROM|JOIN)\s+(\w+)(?:\s+AS)?\s+(?!WHERE|ON|JOIN|ORDER|GROUP|LIMIT)(\w+)", re.IGNORECASE
)
TARGET = (
    "target: full sync < 1 s (three panels < 3 s); re-sync writes nothing; each browse call "
    "< 5 ms; a search < 20 ms"
)
SEARCH_REPEATS = 60  # per query and index mode: a search costs more than a browse call
# Typical searches: two common words, a rarer pair, three words, one word found in a third of
# the names, a two-letter word (no trigram: read name by name), a service id, nothing at all.
SEARCHES = [
    "youtube views",
    "instagram likes",
    "tiktok followers refill",
    "views",
    "non drop",
    "ig",
    "12345",
    "zzzz",
]
METRICS = ["Views", "Likes", "Followers", "Comments", "Subscribers", "Shares", "Members", "Plays"]
QUALITY = ["Non Drop", "HQ", "Real", "Cheap"]
SPEED = ["Instant", "Fast", "10K/Day"]

T = TypeVar("T")
# The simulators' own serialising, timed apart from the syncs: (what, seconds).
SERIALISING: list[tuple[str, float]] = []


def as_three_panels(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalog with its names as three panels write them, each in its own style, so that
    searches meet the words, emoji and brackets real names have."""
    renamed = []
    for service in services:
        sid = service["service"]
        network = str(service["category"]).split(" [")[0]
        metric, quality = METRICS[(sid // 3) % len(METRICS)], QUALITY[sid % len(QUALITY)]
        styles = [
            f"{network} {metric} [{quality}] #{sid}",
            f"🔥 {network} {metric} - {SPEED[sid % len(SPEED)]} | {quality}",
            f"{network.upper()} {metric} ♻️ Refill {30 * (1 + sid % 3)}D <HQ> & Fast",
        ]
        renamed.append(service | {"name": styles[sid % 3]})
    return renamed


async def serialise_ahead(what: str, urls: Sequence[str]) -> None:
    """Have each simulator build the JSON of its list now (on its first `services` request;
    later ones are answered from it), so that the syncs time the bot's work and not the
    simulator's, which shares this process. The time it took is recorded in SERIALISING."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for url in urls:
            async with session.post(url, data={"key": KEY, "action": "services"}) as answer:
                await answer.read()
    SERIALISING.append((what, time.perf_counter() - started))


def sizes() -> list[tuple[int, int]]:
    full = [(10_000, 300), (30_000, 900)]
    return full if os.environ.get("FULL") == "1" else full[:1]


# ---- recording the SQL a call runs, and explaining it -----------------------------------------


class QueryLog:
    """Records the read statements (SQL + parameters) run while `capture` awaits its work: those
    of `Database.fetch*` and of `Transaction.fetch*` (reads inside a write transaction)."""

    def __init__(self, db: Database) -> None:
        self.active = False
        self.statements: list[tuple[str, Sequence[Any] | dict[str, Any]]] = []
        original = db.fetchall

        async def fetchall(sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
            if self.active:
                self.statements.append((sql, params))
            return await original(sql, params)

        db.fetchall = fetchall  # type: ignore[method-assign]

    async def capture(self, work: Callable[[], Awaitable[Any]]) -> list[tuple[str, Any]]:
        self.statements, self.active = [], True
        in_transaction = Transaction.fetchall

        async def tx_fetchall(tx: Transaction, sql: str, params: Any = ()) -> Any:
            self.statements.append((sql, params))
            return await in_transaction(tx, sql, params)

        Transaction.fetchall = tx_fetchall  # type: ignore[method-assign, assignment]
        try:
            await work()
        finally:
            Transaction.fetchall = in_transaction  # type: ignore[method-assign]
            self.active = False
        return self.statements


def explain(path: Path, statements: list[tuple[str, Any]]) -> list[str]:
    """EXPLAIN QUERY PLAN of each statement with its own parameters (a literal could let SQLite
    pick a partial index the bound statement cannot use). A step that reads a whole table of
    more than SMALL_TABLE rows is marked `[full scan: N rows]`."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        plans = []
        for sql, params in statements:
            rows = connection.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
            aliases = {alias: table for table, alias in ALIAS.findall(sql)}
            steps = []
            for row in rows:
                step = str(row[3])
                words = step.split()
                # A virtual table's scan is its own index at work (FTS5 MATCH), not a full scan.
                if len(words) >= 2 and words[0] == "SCAN" and "VIRTUAL TABLE" not in step:
                    table = aliases.get(words[1], words[1])
                    try:
                        count = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                    except sqlite3.OperationalError:  # "SCAN CONSTANT ROW", a subquery, ...
                        count = 0
                    if count > SMALL_TABLE:
                        step += f" [full scan: {count:,} rows]"
                steps.append(step)
            plans.append("; ".join(steps))
        return plans
    finally:
        connection.close()


def full_scans(plan: str) -> list[str]:
    return [step.split(" [")[0] for step in plan.split("; ") if "[full scan" in step]


# ---- timing ----------------------------------------------------------------------------------


@dataclass
class Timing:
    what: str
    median_ms: float
    p99_ms: float
    max_ms: float
    remembered_ms: float = 0.0
    queries: int = 0
    plans: list[str] = field(default_factory=list)
    found: int = 0  # searches: how many services the query finds


async def sample_calls(
    call: Callable[[], Awaitable[Any]],
    before: Callable[[], None] = lambda: None,
    repeats: int = BROWSE_REPEATS,
) -> list[float]:
    """Sorted milliseconds of `repeats` calls; `before` runs untimed before each."""
    for _ in range(WARMUP):
        before()
        await call()
    samples = []
    for _ in range(repeats):
        before()
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


async def time_calls(
    what: str,
    call: Callable[[], Awaitable[Any]],
    repository: CatalogRepository,
    repeats: int = BROWSE_REPEATS,
) -> Timing:
    samples = await sample_calls(call, repository.forget, repeats)  # from the database
    p99 = samples[min(len(samples) - 1, round(len(samples) * 0.99))]
    remembered = statistics.median(await sample_calls(call, repeats=repeats))
    return Timing(what, statistics.median(samples), p99, samples[-1], remembered)


# ---- the runs --------------------------------------------------------------------------------


@dataclass
class SyncRow:
    services: int
    categories: int
    run: str
    seconds: float
    store_seconds: float
    cpu_seconds: float  # the process's CPU time during the sync (all threads)
    added: int
    changed: int
    removed: int
    total_changes: int
    updated_at_moved: int | None
    requests: int


def build_catalog(db: Database, panel: PanelClient) -> tuple[Catalog, CatalogRepository]:
    """Wired as in bot/app.py create_services()."""
    repository = CatalogRepository(db)
    panels = Panels(PanelRepository(db), panel)
    catalog = Catalog(repository, SettingsRepository(db), panels, Decimal(30), MarkupRepository(db))
    return catalog, repository


def time_store(repository: CatalogRepository) -> list[float]:
    """Wrap this repository's sync_panels() to time the database part of a sync."""
    spent: list[float] = []
    original = repository.sync_panels

    async def sync_panels(lists: Any, terms: Any) -> SyncResult:
        started = time.perf_counter()
        try:
            return await original(lists, terms)
        finally:
            spent.append(time.perf_counter() - started)

    repository.sync_panels = sync_panels  # type: ignore[method-assign]
    return spent


def with_changed_rates(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = [dict(service) for service in services]
    for service in changed[::CHANGED_SHARE]:
        service["rate"] = str(Decimal(str(service["rate"])) + Decimal("0.5"))
    return changed


async def timed_sync(
    n: int,
    c: int,
    run: str,
    catalog: Catalog,
    db: Database,
    sim: PanelSimulator,
    store: list[float],
    *,
    mark_updated_at: bool,
) -> SyncRow:
    if mark_updated_at:  # a sentinel: any row the sync writes gets a fresh updated_at
        async with db.transaction() as tx:
            await tx.execute("UPDATE services SET updated_at = 1")
    sim.reset_counters()
    store.clear()
    changes_before = db.writer.total_changes
    started, cpu = time.perf_counter(), time.process_time()
    result = await catalog.sync()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    moved = None
    if mark_updated_at:
        moved = await db.fetchval("SELECT COUNT(*) FROM services WHERE updated_at <> 1")
    return SyncRow(
        services=n,
        categories=c,
        run=run,
        seconds=seconds,
        store_seconds=sum(store),
        cpu_seconds=cpu,
        added=len(result.added),
        changed=len(result.changed),
        removed=len(result.removed),
        total_changes=db.writer.total_changes - changes_before,
        updated_at_moved=moved,
        requests=sum(sim.request_counts.values()),
    )


async def browse(
    catalog: Catalog,
    repository: CatalogRepository,
    db: Database,
    log: QueryLog,
    sim: PanelSimulator,
) -> tuple[list[Timing], int]:
    """Time each browsing call; returns the timings and the panel requests they made."""
    first = await catalog.categories(0)
    last_page = first.pages - 1
    middle = (await catalog.categories(last_page // 2)).items[0]
    category = await catalog.category(middle.id)
    assert category is not None
    services_page = await catalog.services(category, 0)
    service_id = services_page.items[0].id
    last_services = services_page.pages - 1

    async def category_page() -> None:
        found = await catalog.category(middle.id)
        assert found is not None
        await catalog.services(found, 0)

    calls: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("categories(0)", lambda: catalog.categories(0)),
        (f"categories({last_page}) last", lambda: catalog.categories(last_page)),
        ("category(id)", lambda: catalog.category(middle.id)),
        ("services(category, 0)", lambda: catalog.services(category, 0)),
        (f"services(category, {last_services})", lambda: catalog.services(category, last_services)),
        ("offer(service_id)", lambda: catalog.offer(service_id)),
        ("category page: category+services", category_page),
    ]
    sim.reset_counters()
    timings = []
    for what, call in calls:
        timing = await time_calls(what, call, repository)
        repository.forget()
        statements = await log.capture(call)
        timing.queries = len(statements)
        timing.plans = explain(db.path, statements)
        timings.append(timing)
    return timings, sum(sim.request_counts.values())


async def search(
    catalog: Catalog, repository: CatalogRepository, db: Database, log: QueryLog
) -> list[Timing]:
    """Time Catalog.search(query, 0) for each of SEARCHES: the count and the first page."""
    timings = []
    for query in SEARCHES:

        async def call(query: str = query) -> Any:
            return await catalog.search(query, 0)

        timing = await time_calls(query, call, repository, SEARCH_REPEATS)
        repository.forget()
        timing.found = (await catalog.search(query, 0)).total
        repository.forget()
        statements = await log.capture(call)
        timing.queries = len(statements)
        timing.plans = explain(db.path, statements)
        timings.append(timing)
    return timings


async def drop_search_index(db: Database) -> None:
    """The database as a SQLite without the trigram tokenizer leaves migration 0007."""
    async with db.transaction() as tx:
        await tx.execute(f"DROP TABLE {INDEX_TABLE}")


@dataclass
class SizeResult:
    sync_rows: list[SyncRow]
    browse: list[Timing]
    browse_requests: int
    search: dict[str, list[Timing]]  # "trigram" / "scan" -> a timing per query


async def bench_size(n: int, c: int, workdir: Path) -> SizeResult:
    services = as_three_panels(make_large_catalog(n, c))
    sim = PanelSimulator(key=KEY, tick_seconds=None, services=services)
    url = await sim.start()
    changed_sim = PanelSimulator(key=KEY, tick_seconds=None, services=with_changed_rates(services))
    changed_url = await changed_sim.start()
    await serialise_ahead(
        f"{n:,} services, one panel (and its 1% changed copy)", [url, changed_url]
    )
    panel = PanelClient(url, KEY)
    changed_panel = PanelClient(changed_url, KEY)
    db = Database(workdir / f"catalog-{n}.sqlite3")
    await db.connect()
    log = QueryLog(db)
    try:
        catalog, repository = build_catalog(db, panel)
        store = time_store(repository)
        rows = [
            await timed_sync(n, c, "full sync", catalog, db, sim, store, mark_updated_at=False),
            await timed_sync(n, c, "re-sync same", catalog, db, sim, store, mark_updated_at=True),
        ]
        changed_catalog, changed_repository = build_catalog(db, changed_panel)
        changed_store = time_store(changed_repository)
        changed = await timed_sync(
            n, c, "re-sync 1%", changed_catalog, db, changed_sim, changed_store,
            mark_updated_at=True,
        )  # fmt: skip
        rows.append(changed)
        timings, browse_requests = await browse(catalog, repository, db, log, sim)
        searches = {"trigram": await search(catalog, repository, db, log)}
        await drop_search_index(db)
        scan_catalog, scan_repository = build_catalog(db, panel)  # it sees no index now
        searches["scan"] = await search(scan_catalog, scan_repository, db, log)
        return SizeResult(rows, timings, browse_requests, searches)
    finally:
        await panel.close()
        await changed_panel.close()
        await sim.stop()
        await changed_sim.stop()
        await db.close()


THREE_PANELS = (("main", "USD", None), ("backup", "USD", None), ("vnd", "VND", Decimal("0.00004")))


async def bench_three_panels(n: int, c: int, workdir: Path) -> list[SyncRow]:
    """The same N services split between three mirrored panels (one in VND, priced through
    its rate), synced at once: a full sync, then a re-sync with nothing changed."""
    services = as_three_panels(make_large_catalog(n, c))
    sims, urls = [], []
    for index, (_, currency, _) in enumerate(THREE_PANELS):
        part = services[index :: len(THREE_PANELS)]
        if currency == "VND":
            part = [s | {"rate": str(Decimal(str(s["rate"])) * 25_000)} for s in part]
        sim = PanelSimulator(key=KEY, tick_seconds=None, services=part, currency=currency)
        sims.append(sim)
        urls.append(await sim.start())
    await serialise_ahead(f"{n:,} services, three panels", urls)
    for sim in sims:
        sim.reset_counters()
    db = Database(workdir / f"three-panels-{n}.sqlite3")
    await db.connect()
    main = PanelClient(urls[0], KEY)
    try:
        repository = PanelRepository(db)
        for (name, currency, rate), url in zip(THREE_PANELS[1:], urls[1:], strict=True):
            await repository.add(name, url, KEY, currency)
            await repository.update(name, "mode", PanelMode.ALL.value)
            if rate is not None:
                await repository.update(name, "rate", str(rate))
        panels = Panels(repository, main)
        await panels.load()
        catalog_repository = CatalogRepository(db)
        store = time_store(catalog_repository)
        catalog = Catalog(
            catalog_repository, SettingsRepository(db), panels, Decimal(30), MarkupRepository(db)
        )
        rows = []
        for run in ("3 panels full", "3 panels again"):
            store.clear()
            changes_before = db.writer.total_changes
            started, cpu = time.perf_counter(), time.process_time()
            result = await catalog.sync()
            rows.append(
                SyncRow(
                    services=n, categories=c, run=run, seconds=time.perf_counter() - started,
                    store_seconds=sum(store), cpu_seconds=time.process_time() - cpu,
                    added=len(result.added),
                    changed=len(result.changed),
                    removed=len(result.removed),
                    total_changes=db.writer.total_changes - changes_before,
                    updated_at_moved=None,
                    requests=sum(sum(sim.request_counts.values()) for sim in sims),
                )
            )  # fmt: skip
        return rows
    finally:
        await panels.close()
        await main.close()
        for sim in sims:
            await sim.stop()
        await db.close()


def print_sync_table(rows: list[SyncRow]) -> None:
    header = (
        f"{'services':>8} {'cats':>4} {'run':<13} {'seconds':>7} {'store s':>7} {'cpu s':>6} "
        f"{'added':>6} "
        f"{'changed':>7} {'removed':>7} {'db changes':>10} {'updated_at':>10} {'requests':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        moved = "-" if row.updated_at_moved is None else str(row.updated_at_moved)
        print(
            f"{row.services:>8,} {row.categories:>4} {row.run:<13} {row.seconds:>7.3f} "
            f"{row.store_seconds:>7.3f} {row.cpu_seconds:>6.3f} {row.added:>6} {row.changed:>7} "
            f"{row.removed:>7} "
            f"{row.total_changes:>10} {moved:>10} {row.requests:>8}"
        )
    print(
        "seconds: Catalog.sync() (fetch + parse + store + balance); store s: the database part; "
        "cpu s: the process's CPU time meanwhile (less moved by other work on the machine)"
    )
    for what, seconds in SERIALISING:
        print(
            f"the simulators' own serialising, before the syncs and not in them: {what}: "
            f"{seconds:.3f} s"
        )
    print("db changes: the writer's total_changes during the sync; updated_at: rows it touched")


def print_browse_table(n: int, timings: list[Timing], requests: int) -> None:
    header = (
        f"{'services':>8} {'call':<34} {'median ms':>9} {'p99 ms':>7} {'max ms':>7} "
        f"{'remembered':>10} {'queries':>7}  full scans"
    )
    print(header)
    print("-" * len(header))
    for timing in timings:
        scans = [scan for plan in timing.plans for scan in full_scans(plan)]
        print(
            f"{n:>8,} {timing.what:<34} {timing.median_ms:>9.2f} {timing.p99_ms:>7.2f} "
            f"{timing.max_ms:>7.2f} {timing.remembered_ms:>10.3f} {timing.queries:>7}  "
            f"{', '.join(scans) or '-'}"
        )
    print(f"panel requests while browsing: {requests} (must be 0)")
    print("median/p99/max: from the database; remembered: median when the reads are remembered")


def print_search_table(n: int, searches: dict[str, list[Timing]]) -> None:
    header = (
        f"{'services':>8} {'index':<7} {'search':<24} {'found':>6} {'median ms':>9} "
        f"{'p99 ms':>7} {'max ms':>7} {'remembered':>10} {'queries':>7}  full scans"
    )
    print(header)
    print("-" * len(header))
    for mode, timings in searches.items():
        for timing in timings:
            scans = [scan for plan in timing.plans for scan in full_scans(plan)]
            print(
                f"{n:>8,} {mode:<7} {timing.what!r:<24} {timing.found:>6,} "
                f"{timing.median_ms:>9.2f} {timing.p99_ms:>7.2f} {timing.max_ms:>7.2f} "
                f"{timing.remembered_ms:>10.3f} {timing.queries:>7}  {', '.join(scans) or '-'}"
            )
    print(
        f"Catalog.search(query, 0): count + first page, {SEARCH_REPEATS} calls from the database; "
        f"trigram: FTS5 index (SQLite {sqlite3.sqlite_version}); scan: without it"
    )


def print_plans(timings: list[Timing]) -> None:
    seen: set[str] = set()
    print("query plans (EXPLAIN QUERY PLAN, each distinct plan once):")
    for timing in timings:
        for plan in timing.plans:
            if plan not in seen:
                seen.add(plan)
                print(f"  {timing.what}: {plan}")


async def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        results: list[tuple[int, SizeResult]] = []
        three: list[SyncRow] = []
        for n, c in sizes():
            print(f"N = {n:,} services in {c} categories", flush=True)
            results.append((n, await bench_size(n, c, Path(tmp))))
            three.extend(await bench_three_panels(n, c, Path(tmp)))
    print()
    print_sync_table([row for _, result in results for row in result.sync_rows] + three)
    print()
    for n, result in results:
        print_browse_table(n, result.browse, result.browse_requests)
        print()
    for n, result in results:
        print_search_table(n, result.search)
        print()
    first = results[0][1]
    print_plans(first.browse + first.search["trigram"] + first.search["scan"])
    print(TARGET)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
