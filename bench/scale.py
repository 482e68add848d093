"""The database at scale: page reads people and admins do, and the bot's memory with it loaded.

    .venv/bin/python bench/scale.py            # 5,000 users, 50,000 orders, 100,000 ledger rows
    FULL=1 .venv/bin/python bench/scale.py     # the same, then 50,000 / 500,000 / 1,000,000

Builds a real SQLite file through `storage.db.Database` (schema from the migrations), filled with
executemany inside a few big transactions on the writer connection. Distributions: a year of
orders, a few heavy buyers (Pareto weights: the heaviest has thousands of orders), most orders
completed, some partial / canceled / refused (refunded in the ledger), the last three days
mostly still open (a few thousand open orders at full size), 2% product orders; every order has
its debit in the ledger, top-ups keep balances >= 0, and balance == the sum of the ledger.

Times (median and p99 over repeated calls, warm cache) of:

- /orders:    `OrderRepository.count_for_user` + `for_user` (page 0 and the last page)
- /balance:   `Ledger.balance` + `history(10)`
- dashboard:  `Console.dashboard()` wired as bot/app.py does (its panel balance call goes to the
              in-process simulator, ~1 ms), and each of its statements on its own
- tracker:    `OrderRepository.open_of_kind` (the selection of active orders), and `any_stuck`,
              which `Tracker.report_stuck` runs inside a write transaction every cycle

with each statement's `EXPLAIN QUERY PLAN`; the database size on disk; and the resident memory
of a child process running the real `bot.app.create_app` on that database with a 10,000-service
catalog synced (VmRSS after imports, after start, after the catalog sync, after the reads, and
where the Python heap growth was allocated, from tracemalloc in a second child).

Targets: each read under 50 ms; memory under 150 MB (importing aiogram alone is ~155 MB here,
aiogram/aiogram#1513: judge the growth over the post-import baseline).
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import functools
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

# Run as `python bench/scale.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import QueryLog, explain, full_scans
from bot.app import create_app
from bot.config import Settings
from bot.runner import settle_memory
from provider.client import PanelClient
from shop.books import Books
from shop.catalog import Catalog
from shop.console import Console
from shop.paging import PAGE_SIZE
from shop.panels import Panels
from shop.people import People
from simulators.panel import PanelSimulator, make_large_catalog
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.ledger import Ledger
from storage.markup import MarkupRepository
from storage.order_repository import OrderRepository
from storage.orders import OrderKind
from storage.panels import PanelRepository
from storage.settings import SettingsRepository

KEY = "bench"
BENCH_TOKEN = "123456789:AAFakeTokenForBenchOnly-not-a-secret0"
CATALOG_SERVICES, CATALOG_CATEGORIES = 10_000, 300
FIRST_USER_ID = 1_000_000_001
YEAR = 365 * 86_400
RECENT = 3 * 86_400  # orders this young are mostly still open
STUCK_HOURS = 24.0
ORDER_CHUNK = 25_000
ORDERS_PER_TRANSACTION = 100_000
PARETO_ALPHA = 1.5
PRODUCT_SHARE = 0.02
RESYNCS = 3  # more catalog syncs in the memory probe: does RSS keep growing?
TIME_BUDGET = 0.5  # seconds spent timing one operation (at least MIN_REPEATS calls)
MIN_REPEATS, MAX_REPEATS = 5, 200
TARGET_MS = 50.0
TARGET = "target: each read < 50 ms; bot memory < 150 MB (judge +MB over the post-import RSS)"

# Statuses of orders older than RECENT: (upper bound of a uniform draw, status).
FINAL_MIX = [(0.86, "completed"), (0.91, "partial"), (0.95, "canceled"), (1.0, "failed")]
# Orders younger than RECENT: most still open, a few unconfirmed.
RECENT_MIX = [
    (0.25, "pending"),
    (0.45, "in_progress"),
    (0.55, "processing"),
    (0.553, "unconfirmed"),
]
TOPUP_KINDS = ["topup", "topup", "credit", "promo", "referral"]
TOPUP_STEPS = [5_000_000, 10_000_000, 20_000_000, 50_000_000]  # micro-units
PANEL_ANSWER = '{{"charge":"{charge}","start_count":"{start}","status":"{status}",' \
    '"remains":"{remains}","currency":"USD"}}'  # fmt: skip


@dataclass(frozen=True)
class Size:
    users: int
    orders: int
    ledger: int

    @property
    def label(self) -> str:
        return f"{self.users // 1000}k/{self.orders // 1000}k/{self.ledger // 1000:,}k"


def sizes() -> list[Size]:
    full = Size(50_000, 500_000, 1_000_000)
    tenth = Size(full.users // 10, full.orders // 10, full.ledger // 10)
    return [tenth, full] if os.environ.get("FULL") == "1" else [tenth]


def status_mb() -> dict[str, float]:
    found = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmRSS", "VmHWM"}:
                found[name] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return found


# ---- generating the database -----------------------------------------------------------------


@dataclass
class Generated:
    seconds: float
    users: int
    orders: int
    ledger: int
    open_orders: int
    statuses: Counter[str]
    heavy_user: int
    heavy_orders: int
    typical_user: int
    typical_orders: int


@dataclass
class Generator:
    size: Size
    rng: random.Random
    now: int = field(default_factory=lambda: int(time.time()))
    balances: dict[int, int] = field(default_factory=dict)
    first_seen: dict[int, int] = field(default_factory=dict)
    last_seen: dict[int, int] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    ledger_rows: int = 0
    topups: int = 0

    def status_for(self, age: int) -> str:
        draw = self.rng.random()
        if age < RECENT:
            for bound, status in RECENT_MIX:
                if draw < bound:
                    return status
            draw = self.rng.random()
        return next(status for bound, status in FINAL_MIX if draw < bound)

    def chunks(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """(order rows, ledger rows) in creation order, ORDER_CHUNK orders at a time."""
        rng, size, now = self.rng, self.size, self.now
        user_ids = range(FIRST_USER_ID, FIRST_USER_ID + size.users)
        weights = [rng.paretovariate(PARETO_ALPHA) for _ in user_ids]
        owners = rng.choices(user_ids, weights=weights, k=size.orders)
        times = sorted(rng.randrange(now - YEAR, now) for _ in range(size.orders))
        services = [
            (s["service"], s["name"], s["type"], s.get("refill") in (True, 1, "1"))
            for s in make_large_catalog(CATALOG_SERVICES, CATALOG_CATEGORIES)
        ]
        orders: list[tuple[Any, ...]] = []
        ledger: list[tuple[Any, ...]] = []
        for index in range(size.orders):
            order_id, user_id, created = index + 1, owners[index], times[index]
            self.first_seen.setdefault(user_id, created)
            status = self.status_for(now - created)
            self.statuses[status] += 1
            is_product = rng.random() < PRODUCT_SHARE
            service_id, name, type_, refill = services[rng.randrange(len(services))]
            quantity = rng.choice((100, 500, 1000, 2500, 5000, 10_000))
            price = max(10_000, int(rng.lognormvariate(0.3, 1.1) * 1_000_000) // 1000 * 1000)
            placed = status not in {"failed", "unconfirmed"}
            final = status in {"completed", "partial", "canceled", "failed"}
            remains = {"completed": 0, "partial": quantity // 4, "canceled": quantity}.get(
                status, quantity // 2
            )
            refunded = {"partial": price // 4, "canceled": price, "failed": price}.get(status, 0)
            updated = min(now, created + rng.randrange(600, 3 * 86_400 if final else 7200))
            charge = price * 10 // 13 if placed and final else None
            answer = None
            if placed:
                answer = PANEL_ANSWER.format(
                    charge=(charge or 0) / 1e6, start=rng.randrange(100_000), status=status,
                    remains=remains,
                )  # fmt: skip
            # Money first: a top-up when the balance is short, or to keep the ledger on target.
            balance = self.balances.get(user_id, 0)
            expected_rows = size.ledger * (index + 1) // size.orders
            if balance < price or self.ledger_rows + 2 < expected_rows:
                self.topups += 1
                amount = max(0, price - balance) + rng.choice(TOPUP_STEPS)
                balance += amount
                kind = TOPUP_KINDS[self.topups % len(TOPUP_KINDS)]
                ledger.append((user_id, amount, balance, kind, str(self.topups), "", created - 60))
                self.ledger_rows += 1
            balance -= price
            ledger.append((user_id, -price, balance, "order", str(order_id), name, created))
            self.ledger_rows += 1
            if refunded:
                balance += refunded
                ledger.append((user_id, refunded, balance, "refund", str(order_id), "", updated))
                self.ledger_rows += 1
            self.balances[user_id] = balance
            self.last_seen[user_id] = updated
            orders.append(
                (
                    order_id, "product" if is_product else "service", user_id, service_id, name,
                    type_, f"https://www.instagram.com/p/B{order_id:010d}/", quantity, price,
                    charge, status, 1_000_000 + order_id if placed else None,
                    rng.randrange(100_000) if placed else None, remains if placed else None,
                    refunded, answer, f"g{order_id:011x}", int(refill), created, updated,
                )
            )  # fmt: skip
            if len(orders) >= ORDER_CHUNK:
                yield orders, ledger
                orders, ledger = [], []
        if orders:
            yield orders, ledger

    def user_rows(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows = []
        for index in range(self.size.users):
            user_id = FIRST_USER_ID + index
            username = f"user{index}" if rng.random() < 0.6 else None
            language = "ru" if rng.random() < 0.2 else "en"
            rows.append((user_id, username, f"Person {index}", language))
        return rows

    def user_updates(self) -> list[tuple[Any, ...]]:
        rng, now = self.rng, self.now
        rows = []
        for index in range(self.size.users):
            user_id = FIRST_USER_ID + index
            first = self.first_seen.get(user_id, rng.randrange(now - YEAR, now))
            created = max(now - YEAR, first - rng.randrange(0, 7 * 86_400))
            seen = max(self.last_seen.get(user_id, first), first)
            rows.append((self.balances.get(user_id, 0), created, seen, user_id))
        return rows


ORDER_INSERT = """INSERT INTO orders (id, kind, user_id, service_id, service_name, service_type,
    link, quantity, price, charge, status, panel_order_id, start_count, remains, refunded,
    last_answer, draft_key, refill_allowed, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
LEDGER_INSERT = """INSERT INTO ledger (user_id, amount, balance_after, kind, reference, note,
    created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"""


async def generate(db: Database, size: Size) -> Generated:
    started = time.perf_counter()
    generator = Generator(size, random.Random(size.orders))
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO users (id, username, full_name, language) VALUES (?, ?, ?, ?)",
            generator.user_rows(),
        )
    chunks = generator.chunks()
    done = False
    while not done:  # one transaction per ORDERS_PER_TRANSACTION orders
        async with db.transaction() as tx:
            written = 0
            for orders, ledger in chunks:
                await tx.executemany(ORDER_INSERT, orders)
                await tx.executemany(LEDGER_INSERT, ledger)
                written += len(orders)
                if written >= ORDERS_PER_TRANSACTION:
                    break
            else:
                done = True
    async with db.transaction() as tx:
        await tx.executemany(
            "UPDATE users SET balance = ?, created_at = ?, last_seen_at = ? WHERE id = ?",
            generator.user_updates(),
        )
    await db.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    per_user = Counter(
        {
            row[0]: row[1]
            for row in await db.fetchall("SELECT user_id, COUNT(*) FROM orders GROUP BY user_id")
        }
    )
    ranked = per_user.most_common()
    heavy_user, heavy_orders = ranked[0]
    typical_user, typical_orders = ranked[len(ranked) // 2]
    statuses = generator.statuses
    return Generated(
        seconds=seconds,
        users=await db.fetchval("SELECT COUNT(*) FROM users"),
        orders=await db.fetchval("SELECT COUNT(*) FROM orders"),
        ledger=await db.fetchval("SELECT COUNT(*) FROM ledger"),
        open_orders=sum(statuses[s] for s in ("pending", "in_progress", "processing")),
        statuses=statuses,
        heavy_user=heavy_user,
        heavy_orders=heavy_orders,
        typical_user=typical_user,
        typical_orders=typical_orders,
    )


async def check_consistency(db: Database) -> int:
    """Users whose balance differs from the sum of their ledger (must be 0)."""
    count: int = await db.fetchval(
        """SELECT COUNT(*) FROM users u WHERE u.balance <>
               (SELECT COALESCE(SUM(amount), 0) FROM ledger l WHERE l.user_id = u.id)"""
    )
    return count


# ---- timing the reads ------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    params: Any
    median_ms: float
    plan: str


@dataclass
class Row:
    size: str
    what: str
    median_ms: float
    p99_ms: float
    calls: int
    result: str
    statements: list[Statement] = field(default_factory=list)

    @property
    def scans(self) -> list[str]:
        return [scan for s in self.statements for scan in full_scans(s.plan)]


async def sample(call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # warm
    samples: list[float] = []
    deadline = time.perf_counter() + TIME_BUDGET
    while len(samples) < MAX_REPEATS and (
        len(samples) < MIN_REPEATS or time.perf_counter() < deadline
    ):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def p99(samples: list[float]) -> float:
    return samples[min(len(samples) - 1, round(len(samples) * 0.99))]


async def measure(
    size: Size,
    what: str,
    call: Callable[[], Awaitable[Any]],
    describe: Callable[[Any], str],
    db: Database,
    log: QueryLog,
) -> Row:
    samples = await sample(call)
    result: list[Any] = []

    async def once() -> None:
        result.append(await call())

    statements = await log.capture(once)
    plans = explain(db.path, statements)
    timed = []
    for (sql, params), plan in zip(statements, plans, strict=True):
        alone = await sample(functools.partial(db.fetchall, sql, params))
        timed.append(Statement(" ".join(sql.split()), params, statistics.median(alone), plan))
    return Row(
        size=size.label,
        what=what,
        median_ms=statistics.median(samples),
        p99_ms=p99(samples),
        calls=len(samples),
        result=describe(result[0]),
        statements=timed,
    )


def build_console(db: Database, panel: PanelClient) -> Console:
    """Wired as in bot/app.py create_services() (no admins)."""
    panels = Panels(PanelRepository(db), panel)
    catalog = Catalog(
        CatalogRepository(db), SettingsRepository(db), panels, Decimal(30), MarkupRepository(db)
    )
    books = Books.open(db, ())
    return Console(books, People(books, ()), catalog, panel, STUCK_HOURS)


async def measure_reads(size: Size, db: Database, generated: Generated) -> list[Row]:
    sim = PanelSimulator(key=KEY, tick_seconds=None)
    panel = PanelClient(await sim.start(), KEY)
    log = QueryLog(db)
    try:
        console = build_console(db, panel)
        orders, ledger = OrderRepository(db), Ledger(db)
        heavy, typical = generated.heavy_user, generated.typical_user
        last_page = (generated.heavy_orders - 1) // PAGE_SIZE

        def orders_page(user_id: int, page: int) -> Callable[[], Awaitable[Any]]:
            async def call() -> tuple[int, int]:
                total = await orders.count_for_user(user_id)
                listed = await orders.for_user(user_id, page * PAGE_SIZE, PAGE_SIZE)
                return total, len(listed)

            return call

        def balance_page(user_id: int) -> Callable[[], Awaitable[Any]]:
            async def call() -> tuple[Decimal, int]:
                return await ledger.balance(user_id), len(await ledger.history(user_id, 10))

            return call

        async def any_stuck() -> bool:
            older_than = int(time.time() - STUCK_HOURS * 3600)
            async with db.transaction() as tx:
                return await orders.any_stuck(tx, older_than)

        def shown(value: Any) -> str:
            return str(value)

        heavy_label = f"{generated.heavy_orders:,} orders"
        typical_label = f"{generated.typical_orders:,} orders"
        cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], str]]] = [
            (f"/orders p.1, heaviest ({heavy_label})", orders_page(heavy, 0), shown),
            (f"/orders last p., heaviest (p.{last_page + 1})", orders_page(heavy, last_page),
             shown),
            (f"/orders p.1, typical ({typical_label})", orders_page(typical, 0), shown),
            ("/balance, heaviest", balance_page(heavy), shown),
            ("/balance, typical", balance_page(typical), shown),
            ("admin dashboard", console.dashboard,
             lambda d: f"unconfirmed {d.unconfirmed}, stuck {d.stuck}"),
            ("tracker open_of_kind(service)", lambda: orders.open_of_kind(OrderKind.SERVICE),
             lambda found: f"{len(found):,} orders"),
            ("tracker open_of_kind(product)", lambda: orders.open_of_kind(OrderKind.PRODUCT),
             lambda found: f"{len(found):,} orders"),
            ("tracker any_stuck (in write tx)", any_stuck, shown),
        ]  # fmt: skip
        rows = []
        for what, call, describe in cases:
            rows.append(await measure(size, what, call, describe, db, log))
        return rows
    finally:
        await panel.close()
        await sim.stop()


# ---- the bot's memory (a child process) ------------------------------------------------------


async def probe(database: Path, provider_url: str, *, trace: bool) -> dict[str, Any]:
    """In a fresh process: the real bot (`create_app`) on `database`, the catalog synced from
    `provider_url`, the measured reads done once; VmRSS at each stage. With `trace`, also the
    Python heap (tracemalloc) at each stage and its peak since the previous stage."""
    # stage, RSS, Python heap now, its peak within the stage, SQLite's own allocations
    stages: list[tuple[str, float, float, float, float]] = []

    def mark(stage: str) -> None:
        gc.collect()
        heap, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
        tracemalloc.reset_peak()
        rss = status_mb().get("VmRSS", 0.0)
        stages.append((stage, rss, heap / 2**20, peak / 2**20, sqlite_memory_mb()))

    if trace:
        tracemalloc.start(1)
    mark("after imports (baseline)")
    settings = Settings(
        _env_file=None,
        bot_token=BENCH_TOKEN,
        telegram_api_url="http://127.0.0.1:9",  # never called: no polling here
        provider_url=provider_url,
        provider_key=KEY,
        database_path=database,
        stuck_order_hours=STUCK_HOURS,
    )
    async with create_app(settings) as app:
        mark("create_app()")
        await app.catalog.sync()
        await app.products.sync()
        mark(f"catalog synced ({await app.catalog.count_services():,} services)")
        users = await app.db.fetchall(
            "SELECT user_id FROM orders GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 20"
        )
        for user in users:
            await app.books.orders.count_for_user(user[0])
            await app.books.orders.for_user(user[0], 0, PAGE_SIZE)
            await app.books.ledger.balance(user[0])
            await app.books.ledger.history(user[0], 10)
        await app.console.dashboard()
        await app.books.orders.open_of_kind(OrderKind.SERVICE)
        await app.books.orders.open_of_kind(OrderKind.PRODUCT)
        mark("reads done (20 users, dashboard, tracker)")
        for _ in range(RESYNCS):
            await app.catalog.sync()
        mark(f"catalog synced {RESYNCS} more times (steady?)")
        peak = status_mb().get("VmHWM", 0.0)
        if malloc_trim():
            mark("after malloc_trim(0): freed heap returned")
        return {"stages": stages, "peak": peak}


def sqlite_memory_mb() -> float:
    """sqlite3_memory_used(): page caches, schemas and statements of every connection."""
    try:
        library = ctypes.CDLL("libsqlite3.so.0")  # the one _sqlite3 is linked to, if shared
    except OSError:
        return float("nan")
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return float(library.sqlite3_memory_used()) / 2**20


def malloc_trim() -> bool:
    """Ask glibc to give free heap pages back to the kernel: what RSS then drops by was free
    memory the allocator kept (fragmentation), not live objects."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    libc.malloc_trim(0)
    return True


async def run_probe(database: Path, provider_url: str, *, trace: bool) -> dict[str, Any]:
    args = [sys.executable, __file__, "--probe", str(database), provider_url]
    if trace:
        args.append("--trace")
    child = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"memory probe failed: {err.decode()[-2000:]}")
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


@dataclass
class Memory:
    size: str
    plain: dict[str, Any]
    traced: dict[str, Any]


async def measure_memory(size: Size, database: Path) -> Memory:
    sim = PanelSimulator(
        key=KEY,
        tick_seconds=None,
        services=make_large_catalog(CATALOG_SERVICES, CATALOG_CATEGORIES),
    )
    url = await sim.start()
    try:
        plain = await run_probe(database, url, trace=False)
        traced = await run_probe(database, url, trace=True)
        return Memory(size.label, plain, traced)
    finally:
        await sim.stop()


# ---- the report ------------------------------------------------------------------------------


def file_mb(path: Path) -> float:
    return path.stat().st_size / 2**20 if path.exists() else 0.0


def print_generated(size: Size, generated: Generated, database: Path, mismatched: int) -> None:
    statuses = ", ".join(f"{name} {count:,}" for name, count in generated.statuses.most_common())
    print(
        f"  generated in {generated.seconds:.1f}s: {generated.users:,} users, "
        f"{generated.orders:,} orders, {generated.ledger:,} ledger rows; "
        f"{generated.open_orders:,} open",
        flush=True,
    )
    print(f"  statuses: {statuses}", flush=True)
    wal = Path(f"{database}-wal")
    print(
        f"  database on disk: {file_mb(database):.1f} MB (+ WAL {file_mb(wal):.1f} MB); "
        f"users whose balance != sum of ledger: {mismatched}",
        flush=True,
    )


def print_reads(rows: list[Row]) -> None:
    header = (
        f"{'size':<15} {'read':<42} {'median ms':>9} {'p99 ms':>7} {'calls':>5} {'target':>6}  "
        f"{'full scans':<24} result"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        met = "ok" if row.p99_ms < TARGET_MS else "MISSED"
        print(
            f"{row.size:<15} {row.what:<42} {row.median_ms:>9.2f} {row.p99_ms:>7.2f} "
            f"{row.calls:>5} {met:>6}  {', '.join(row.scans) or '-':<24} {row.result}"
        )
    print("size: users/orders/ledger rows; target: p99 < 50 ms")


def print_statements(rows: list[Row]) -> None:
    print("statements (each timed alone, median ms) and their plans, largest size:")
    largest = rows[-1].size
    seen: set[str] = set()
    for row in rows:
        if row.size != largest:
            continue
        for statement in row.statements:
            if statement.sql in seen:
                continue
            seen.add(statement.sql)
            print(f"  {statement.median_ms:8.2f} ms  {row.what}: {statement.sql[:150]}")
            print(f"{'':14}plan: {statement.plan}")


def print_memory(memories: list[Memory]) -> None:
    header = (
        f"{'size':<15} {'stage':<44} {'RSS MB':>7} {'+MB':>6} {'sqlite MB':>9} "
        f"{'py heap MB':>10} {'heap peak MB':>12}"
    )
    print(header)
    print("-" * len(header))
    for memory in memories:
        stages = memory.plain["stages"]
        traced = {stage[0]: stage for stage in memory.traced["stages"]}
        baseline = stages[0][1]
        for stage, rss, _, _, sqlite in stages:
            heap = peak = "-"
            if stage in traced:
                heap, peak = f"{traced[stage][2]:.1f}", f"{traced[stage][3]:.1f}"
            print(
                f"{memory.size:<15} {stage:<44} {rss:>7.1f} {rss - baseline:>+6.1f} "
                f"{sqlite:>9.1f} {heap:>10} {peak:>12}"
            )
        peak_rss = memory.plain["peak"]
        print(f"{memory.size:<15} {'peak during the run (VmHWM)':<44} {peak_rss:>7.1f} "
              f"{peak_rss - baseline:>+6.1f}")  # fmt: skip
    print(
        "RSS/+MB: a child running bot.app.create_app (+MB over its RSS right after imports);\n"
        "sqlite MB: sqlite3_memory_used() (page caches, schemas, statements);\n"
        "py heap / heap peak: Python objects allocated since the imports, now and at the peak\n"
        "within the stage (tracemalloc, from a second child: tracing inflates its own RSS)"
    )


async def run() -> None:
    rows: list[Row] = []
    memories: list[Memory] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for size in sizes():
            print(
                f"size: {size.users:,} users, {size.orders:,} orders, {size.ledger:,} ledger rows",
                flush=True,
            )
            path = Path(tmp) / f"scale-{size.orders}.sqlite3"
            db = Database(path)
            await db.connect()
            try:
                generated = await generate(db, size)
                print_generated(size, generated, path, await check_consistency(db))
                settle_memory()  # as the bot does once started: long-lived objects frozen
                rows += await measure_reads(size, db, generated)
            finally:
                await db.close()
            memories.append(await measure_memory(size, path))
    print()
    print_reads(rows)
    print()
    print_statements(rows)
    print()
    print_memory(memories)
    print(TARGET)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", nargs=2, metavar=("DATABASE", "PROVIDER_URL"))
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.probe:
        database, url = args.probe
        print(json.dumps(asyncio.run(probe(Path(database), url, trace=args.trace))))
        return
    asyncio.run(run())


if __name__ == "__main__":
    main()
