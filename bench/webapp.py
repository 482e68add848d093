"""The Mini App's API under a crowd: 200 people using it at once, against a 30,000-service shop.

    .venv/bin/python bench/webapp.py
    WEBAPP_PEOPLE=50 .venv/bin/python bench/webapp.py

The bot is the real `python -m bot` process (polling, its web server on WEB_PORT, PUBLIC_URL
https: the Mini App is on), over a catalog of 30,000 services in 900 categories served by the
panel simulator. The fake Telegram, the simulator and the 200 clients run in this process.
Each person, all at once, does what the page does: the first screen, a category, two
services, a search typed letter by letter (the last three stops, as the page's debounce sends
them), the form checked twice, a quote, the order, then the history polled three times and
the balance. Every call carries init data signed for its person.

Printed: p50 / p99 / max per endpoint, errors (any answer but the one expected: target 0),
orders placed (the API said so) against orders charged (ledger debits) and received by the
simulator (must all match, and every balance equal its ledger), then search alone: one
person searching 200 times in a quiet shop (p99 target under 30 ms). No thresholds: figures.
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

# Run as `python bench/webapp.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.updates import percentile
from chaos.process import BotProcess, Endpoints
from simulators.panel import PanelSimulator, make_large_catalog
from storage.db import Database
from storage.ledger import Ledger
from storage.users import UserRepository
from tests.fake_telegram import FakeTelegram
from tests.ports import free_port
from tests.webapp import sign_init_data

PEOPLE = int(os.environ.get("WEBAPP_PEOPLE", "200"))
SERVICES, CATEGORIES = 30_000, 900
BALANCE = Decimal(1000)
READY_SECONDS = 180.0
QUIET_SEARCHES = 200
TARGET = "target: 0 errors, placed = charged = received, search p99 < 30 ms (alone)"
# What people type: each grows a letter at a time; the page sends what it holds when typing
# pauses, so the last three prefixes of each are searched.
TYPED = ["youtube views", "instagram likes", "tiktok package", "telegram default", "29917"]
FIRST_USER = 810_000_001


class MiniAppBot(BotProcess):
    """`python -m bot` with its web server on and the Mini App on (PUBLIC_URL is https)."""

    def __init__(self, endpoints: Endpoints, database: Path, port: int) -> None:
        super().__init__(endpoints, database, database.with_suffix(".log"), 3600.0)
        self.port = port

    def environment(self) -> dict[str, str]:
        return super().environment() | {
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(self.port),
            "PUBLIC_URL": "https://shop.example.test",
        }


@dataclass
class Calls:
    """Every call's time by endpoint, and what went wrong."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    placed: int = 0


class Client:
    def __init__(self, session: aiohttp.ClientSession, base: str, init_data: str, calls: Calls):
        self.session = session
        self.base = base
        self.headers = {"Authorization": f"tma {init_data}"}
        self.calls = calls

    async def call(self, name: str, path: str, body: Any = None) -> dict[str, Any]:
        method = "GET" if body is None else "POST"
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, f"{self.base}/app/api{path}", json=body, headers=self.headers
            ) as response:
                payload: dict[str, Any] = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            self.calls.errors.append(f"{name}: {type(error).__name__}")
            return {}
        self.calls.seconds[name].append(time.perf_counter() - started)
        if status != 200:
            self.calls.errors.append(f"{name}: {status} {payload.get('error')}")
        return payload


async def person(client: Client, number: int, rng: random.Random) -> None:
    start = await client.call("start", "/start")
    categories = start.get("categories", {}).get("items", [])
    if not categories:
        client.calls.errors.append("start: no categories")
        return
    category = rng.choice(categories)
    listing = await client.call("category", f"/categories/{category['id']}")
    rows = [row for row in listing.get("items", []) if row.get("price")]
    for row in rng.sample(rows, min(2, len(rows))):
        await client.call("service", f"/services/{row['id']}")
    typed = TYPED[number % len(TYPED)]
    for end in range(max(1, len(typed) - 2), len(typed) + 1):
        await client.call("search", f"/search?q={typed[:end]}")
    # Order a Default service (make_large_catalog: service 10k + 1 is Default).
    service = await client.call("service", f"/services/{10 * (number % 3000) + 1}")
    quantity = service.get("min", "100").replace(",", "")
    form = {"link": f"https://www.youtube.com/watch?v=bench-{number}", "quantity": quantity}
    await client.call("check", f"/services/{service['id']}/check", {**form, "quantity": ""})
    await client.call("check", f"/services/{service['id']}/check", form)
    quote = await client.call("quote", f"/services/{service['id']}/quote", form)
    placed = await client.call("order", "/orders", {"draft": quote.get("draft", "")})
    if placed.get("outcome") == "placed":
        client.calls.placed += 1
    else:
        client.calls.errors.append(f"order: {placed.get('outcome')} {placed.get('message')}")
    for _ in range(3):
        await client.call("orders", "/orders")
    await client.call("balance", "/balance")


async def seed(database: Path, people: int) -> None:
    """The people, each with a balance (credited through the ledger, as an admin would)."""
    db = Database(database)
    await db.connect()
    try:
        users, ledger = UserRepository(db), Ledger(db)
        for index in range(people):
            user_id = FIRST_USER + index
            await users.register(user_id, f"Buyer{index}", None, "en")
            await ledger.change(user_id, BALANCE, "credit", f"bench-{user_id}")
    finally:
        await db.close()


async def ready(base: str, init_data: str, bot: BotProcess) -> None:
    """Until the web server answers and the 30,000 services are in the catalog."""
    deadline = time.monotonic() + READY_SECONDS
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if not bot.running:
                raise SystemExit(f"the bot exited at start: {bot.log_text()[-600:]}")
            try:
                async with session.get(
                    f"{base}/app/api/search?q=29917", headers={"Authorization": f"tma {init_data}"}
                ) as response:
                    if response.status == 200 and (await response.json()).get("total"):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("the bot was not ready in time")


def checked(database: Path, placed: int, received: int) -> str:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        orders = connection.execute("SELECT COUNT(*), COALESCE(SUM(price), 0) FROM orders")
        count, prices = orders.fetchone()
        debits = connection.execute(
            "SELECT COUNT(*), COALESCE(-SUM(amount), 0) FROM ledger WHERE kind = 'order'"
        ).fetchone()
        mismatched = connection.execute(
            """SELECT COUNT(*) FROM users u WHERE u.balance <>
               (SELECT COALESCE(SUM(amount), 0) FROM ledger l WHERE l.user_id = u.id)"""
        ).fetchone()[0]
    finally:
        connection.close()
    same = placed == count == debits[0] == received and prices == debits[1]
    return (
        f"orders placed {placed}, in the database {count}, charged {debits[0]} "
        f"(sums {'equal' if prices == debits[1] else 'DIFFER'}), received by the panel "
        f"{received}: {'match' if same else 'MISMATCH'}; balances off their ledger: {mismatched}"
    )


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def report(calls: Calls, seconds: float, quiet: list[float], summary: str) -> None:
    header = f"{'endpoint':<10} {'calls':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    order = ["start", "category", "service", "search", "check", "quote", "order", "orders"]
    for name in [*order, *sorted(set(calls.seconds) - set(order))]:
        values = calls.seconds.get(name, [])
        print(
            f"{name:<10} {len(values):>6} {ms(percentile(values, 0.5)):>8} "
            f"{ms(percentile(values, 0.99)):>8} {ms(max(values, default=float('nan'))):>8}"
        )
    total = sum(len(values) for values in calls.seconds.values())
    print(f"{PEOPLE} people, {total} calls in {seconds:.1f} s; errors: {len(calls.errors)}")
    for error in sorted(set(calls.errors))[:10]:
        print(f"  ! {error}")
    print(summary)
    print(
        f"search alone ({QUIET_SEARCHES} searches, one person, {SERVICES:,} services): "
        f"p50 {ms(percentile(quiet, 0.5))} ms, p99 {ms(percentile(quiet, 0.99))} ms, "
        f"max {ms(max(quiet, default=float('nan')))} ms"
    )
    print(TARGET)


async def quiet_search(base: str, init_data: str) -> list[float]:
    calls = Calls()
    words = ["youtube", "views", "instagram likes", "tiktok", "package", "refill", "default"]
    async with aiohttp.ClientSession() as session:
        client = Client(session, base, init_data, calls)
        for index in range(QUIET_SEARCHES):
            await client.call("search", f"/search?q={words[index % len(words)]}%20{index}")
            await asyncio.sleep(0.1)  # one person: 10 a second, under their rate limit
    return calls.seconds["search"]


async def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-webapp-") as tmp:
        database = Path(tmp) / "bot.sqlite3"
        await seed(database, PEOPLE + 1)
        async with FakeTelegram() as fake:
            sim = PanelSimulator(
                tick_seconds=None,
                services=make_large_catalog(SERVICES, CATEGORIES),
                products=[],
                balance=Decimal(10**9),
                fail_ratio_rejected=0.0,
            )
            await sim.start()
            port = free_port()
            bot = MiniAppBot(Endpoints(fake.base_url, sim.url, ()), database, port)
            base = f"http://127.0.0.1:{port}"
            # Signed as the seeded people (the same names: nothing to refresh on the first call).
            datas = [
                sign_init_data(
                    {"id": FIRST_USER + index, "first_name": f"Buyer{index}", "language_code": "en"}
                )
                for index in range(PEOPLE + 1)
            ]
            await bot.start()
            try:
                print(f"  waiting for the bot to sync {SERVICES:,} services", flush=True)
                await ready(base, datas[-1], bot)
                calls = Calls()
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    clients = [Client(session, base, datas[i], calls) for i in range(PEOPLE)]
                    print(f"  {PEOPLE} people at once", flush=True)
                    started = time.monotonic()
                    await asyncio.gather(
                        *(person(c, i, random.Random(i)) for i, c in enumerate(clients))
                    )
                    seconds = time.monotonic() - started
                quiet = await quiet_search(base, datas[-1])
            finally:
                stop = await bot.stop()
                await sim.stop()
            summary = checked(database, calls.placed, len(sim.added))
            if stop.problems:
                summary += f"\n  ! bot: {'; '.join(stop.problems)}"
    print()
    report(calls, seconds, quiet, summary)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
