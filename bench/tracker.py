"""Tracker sync cycle against the panel simulator (50 ms a request) with N open orders.

    .venv/bin/python bench/tracker.py            # N = 1,000
    FULL=1 .venv/bin/python bench/tracker.py     # N = 1,000 and 10,000

For each N: seed N placed orders in a real SQLite file and on the simulator, then time three
`Tracker.sync_once()` cycles:

- first:   the first poll after placing: every order gains start_count/remains (N row updates)
- steady:  nothing changed on the panel (the common case)
- finish:  ~10% of the orders became Completed / Partial / Canceled: refunds + notifications

and report wall time, panel requests (and ids per request), the process's peak RSS during the
cycle, and the peak of Python allocations (tracemalloc) during one extra traced steady cycle.
Target: 10,000 orders in 100 requests and under 3 s a cycle, memory under 150 MB.
The simulator runs in this process, so its CPU time (about a tenth of a cycle) is included.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

# Run as `python bench/tracker.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provider.client import PanelClient
from provider.models import OrderRequest
from shop.books import Books
from shop.catalog import Catalog
from shop.panels import Panels
from shop.tracker import CycleReport, Tracker
from simulators.panel import PanelSimulator
from storage.catalog import CatalogRepository
from storage.db import Database
from storage.markup import MarkupRepository
from storage.order_repository import OrderRepository
from storage.orders import NewOrder
from storage.panels import PanelRepository
from storage.settings import SettingsRepository
from storage.users import UserRepository

KEY = "bench"
LATENCY_SECONDS = 0.05
SERVICE_ID = 14  # "Instagram Likes | Instant & Cheap", min 10
QUANTITY = 100
PRICE = Decimal("0.036")
ORDERS_PER_USER = 10
SEED_CONCURRENCY = 50
FINISH_SHARE = 10  # one order in this many becomes final before the "finish" cycle
TARGET = "target: 10,000 orders in 100 requests, < 3 s a cycle, < 150 MB"

T = TypeVar("T")


@dataclass
class Row:
    orders: int
    cycle: str
    seconds: float
    requests: int
    ids_per_request: str
    changed: int
    finished: int
    rss_mb: float | None
    rss_growth_mb: float | None
    heap_mb: float | None = None
    spread: str = ""


def sizes() -> list[int]:
    return [1_000, 10_000] if os.environ.get("FULL") == "1" else [1_000]


# ---- memory ----------------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process; False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def current_rss_mb() -> float | None:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    """VmHWM (peak RSS since the last reset) if the kernel has it, else ru_maxrss."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def traced_peak_mb(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    tracemalloc.start()
    try:
        result = await work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 2**20


# ---- seeding ---------------------------------------------------------------------------------


async def seed_panel(panel: PanelClient, count: int) -> list[int]:
    """Place `count` orders on the simulator (latency 0 meanwhile), a few at once."""
    gate = asyncio.Semaphore(SEED_CONCURRENCY)

    async def one(index: int) -> int:
        request = OrderRequest(
            SERVICE_ID, f"https://instagram.com/p/bench{index}", quantity=QUANTITY
        )
        async with gate:
            return await panel.add(request)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def seed_database(db: Database, panel_ids: list[int]) -> None:
    users = UserRepository(db)
    user_count = max(1, len(panel_ids) // ORDERS_PER_USER)
    for user_id in range(1, user_count + 1):
        await users.register(100_000 + user_id, f"Bench {user_id}", None, "en")
    orders = OrderRepository(db)
    async with db.transaction() as tx:
        for index, panel_id in enumerate(panel_ids):
            order_id = await orders.create(
                tx,
                NewOrder(
                    user_id=100_000 + 1 + index % user_count,
                    service_id=SERVICE_ID,
                    service_name="Instagram Likes | Instant & Cheap",
                    service_type="Default",
                    link=f"https://instagram.com/p/bench{index}",
                    quantity=QUANTITY,
                    price=PRICE,
                    draft_key=f"bench-{index}",
                ),
            )
            await orders.set_placed(tx, order_id, panel_id)


def finish_some(sim: PanelSimulator, panel_ids: list[int]) -> int:
    """Make one order in FINISH_SHARE final on the panel: Completed, Partial, Canceled in turn."""
    chosen = panel_ids[::FINISH_SHARE]
    outcomes = [("Completed", 0), ("Partial", QUANTITY // 4), ("Canceled", QUANTITY)]
    for index, panel_id in enumerate(chosen):
        status, remains = outcomes[index % len(outcomes)]
        sim.set_order(panel_id, status=status, remains=remains, start_count=123)
    return len(chosen)


# ---- measuring -------------------------------------------------------------------------------


def ids_summary(sizes: list[int]) -> str:
    if not sizes:
        return "-"
    low, high = min(sizes), max(sizes)
    return str(low) if low == high else f"{low}-{high}"


async def measure(
    n: int, name: str, sim: PanelSimulator, tracker: Tracker, *, rss: bool
) -> tuple[Row, CycleReport]:
    sim.reset_counters()
    can_reset = rss and reset_peak_rss()
    before = current_rss_mb()
    started = time.perf_counter()
    report = await tracker.sync_once()
    seconds = time.perf_counter() - started
    row = Row(
        orders=n,
        cycle=name,
        seconds=seconds,
        requests=sum(sim.request_counts.values()),
        ids_per_request=ids_summary(sim.multi_sizes["status"]),
        changed=report.changed,
        finished=report.finished,
        rss_mb=None,
        rss_growth_mb=None,
    )
    if can_reset:
        row.rss_mb = peak_rss_mb()
        row.rss_growth_mb = None if before is None else row.rss_mb - before
    return row, report


def build_tracker(db: Database, panel: PanelClient) -> Tracker:
    """Wired as in bot/app.py create_services() (no admins: no alert rows)."""
    panels = Panels(PanelRepository(db), panel)
    catalog = Catalog(
        CatalogRepository(db),
        SettingsRepository(db),
        panels,
        Decimal(30),
        MarkupRepository(db),
    )
    return Tracker(Books.open(db, ()), panels, catalog, poll_seconds=60)


async def bench_size(n: int, workdir: Path) -> list[Row]:
    sim = PanelSimulator(key=KEY, tick_seconds=None, latency_seconds=0.0)
    url = await sim.start()
    panel = PanelClient(url, KEY)
    db = Database(workdir / f"tracker-{n}.sqlite3")
    await db.connect()
    try:
        seed_started = time.perf_counter()
        panel_ids = await seed_panel(panel, n)
        await seed_database(db, panel_ids)
        print(f"  seeded {n:,} orders in {time.perf_counter() - seed_started:.1f}s", flush=True)

        tracker = build_tracker(db, panel)
        sim.latency_seconds = LATENCY_SECONDS

        rows = []
        row, _ = await measure(n, "first", sim, tracker, rss=True)
        rows.append(row)
        steady = [(await measure(n, "steady", sim, tracker, rss=True))[0] for _ in range(3)]
        steady.sort(key=lambda r: r.seconds)
        row = steady[1]  # the median of three: other sessions on the machine add noise
        row.cycle = "steady (median)"
        row.spread = f"{steady[0].seconds:.2f}-{steady[-1].seconds:.2f}"
        rows.append(row)
        (traced, _), heap = await traced_peak_mb(
            lambda: measure(n, "steady (traced)", sim, tracker, rss=False)
        )
        traced.heap_mb = heap
        rows.append(traced)

        expected = finish_some(sim, panel_ids)
        row, report = await measure(n, "finish", sim, tracker, rss=True)
        rows.append(row)
        notifications = await db.fetchval("SELECT COUNT(*) FROM notifications")
        refunds = await db.fetchval("SELECT COUNT(*) FROM ledger WHERE kind = 'refund'")
        if report.finished != expected or notifications != expected:
            print(
                f"  ! expected {expected} finished orders and notifications, got "
                f"{report.finished} finished, {notifications} notifications",
                flush=True,
            )
        print(
            f"  finish cycle: {report.finished} final, {notifications} notifications, "
            f"{refunds} refunds written",
            flush=True,
        )
        return rows
    finally:
        await panel.close()
        await sim.stop()
        await db.close()


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'orders':>7} {'cycle':<16} {'seconds':>8} {'requests':>8} {'ids/req':>8} "
        f"{'changed':>8} {'final':>6} {'RSS MB':>7} {'+RSS MB':>7} {'py heap MB':>10} "
        f"{'3 runs s':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        rss = "-" if row.rss_mb is None else f"{row.rss_mb:.0f}"
        growth = "-" if row.rss_growth_mb is None else f"{round(row.rss_growth_mb):+d}"
        heap = "-" if row.heap_mb is None else f"{row.heap_mb:.1f}"
        line = (
            f"{row.orders:>7,} {row.cycle:<16} {row.seconds:>8.2f} {row.requests:>8} "
            f"{row.ids_per_request:>8} {row.changed:>8} {row.finished:>6} {rss:>7} {growth:>7} "
            f"{heap:>10} {row.spread:>9}"
        )
        print(line.rstrip())
    print(TARGET)
    print("RSS MB: the process's peak during the cycle (simulator in it); +RSS MB: that peak")
    print("minus RSS just before the cycle; py heap MB: tracemalloc peak of one traced cycle")


def print_baseline() -> None:
    rss = current_rss_mb()
    if rss is not None:
        print(f"RSS after imports, before any work: {rss:.0f} MB (importing aiogram is most of it)")


async def run() -> None:
    print_baseline()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-tracker-") as tmp:
        for n in sizes():
            print(f"N = {n:,}", flush=True)
            rows += await bench_size(n, Path(tmp))
    print()
    print_table(rows)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
