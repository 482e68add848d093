"""The reseller API v2 under load: resellers' scripts calling the shop as a panel.

    .venv/bin/python bench/api.py                # 200 requests a second for 30 s
    API_RATE=100 API_SECONDS=10 .venv/bin/python bench/api.py

The shop is the real `python -m bot` process (RESELLER_API=open, its web server on
127.0.0.1), so it has its own interpreter as in production; the panel simulator (answering at
once, orders left pending), the fake Telegram and this driver share the bench process. Ten
resellers with a key each (seeded into the database before the start) send, open loop on a
fixed schedule, a mix of:

- `status` of 100 of their orders at once (35%)
- `add` of a cheap Default service, each to a link of its own (30%)
- `balance` (25%)
- `services`, the whole price list at their price (10%)

First every reseller places 100 orders (not timed), so that `status` has 100 ids to ask for.
Reported per action: requests, p50, p99 and max latency (from the request's scheduled time,
so a backlog counts), and errors (anything but HTTP 200 with the action's shape). Afterwards
the database must show every `add` answered with an order number as one order, charged once
through the ledger, placed on the simulator: orders placed == orders charged. `add` includes
the panel's own time; the bot's /metrics tells how much of it the panel took.

Targets: `status` of 100 orders p99 under 20 ms, `add` p99 under 50 ms without the panel's
own time, errors 0, orders placed == orders charged. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import re
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

# Run as `python bench/api.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.updates import percentile
from chaos.process import BotProcess, Endpoints
from shop.resellers import hash_key, key_hint
from simulators.panel import PanelSimulator
from storage.db import Database
from storage.ledger import Ledger
from storage.resellers import ResellerRepository
from storage.users import UserRepository
from tests.fake_telegram import FakeTelegram
from tests.ports import free_port

RATE = int(os.environ.get("API_RATE", "200"))  # requests a second
SECONDS = float(os.environ.get("API_SECONDS", "30"))
RESELLERS = 10
ORDERS_FIRST = 100  # per reseller, before the timed run: what `status` asks about
SERVICE = 15  # "Instagram Reels Views 🚀": Default, 0.0045 per 1000, min 100
QUANTITY = 100
MIX = (("status", 35), ("add", 30), ("balance", 25), ("services", 10))
BALANCE = Decimal(1000)
READY_SECONDS = 90.0
TIMEOUT_SECONDS = 30.0
TARGET = (
    "target: status of 100 p99 < 20 ms, add p99 < 50 ms without the panel's time, "
    "errors 0, placed == charged"
)
ADMIN_ID = 900_000_001
FIRST_RESELLER = 800_000_001


@dataclass
class Reseller:
    user_id: int
    key: str
    orders: list[int] = field(default_factory=list)
    links: int = 0

    def next_link(self) -> str:
        self.links += 1
        return f"https://instagram.com/reel/bench-{self.user_id}-{self.links}"


@dataclass
class Result:
    action: str
    seconds: float  # from the scheduled time to the whole answer
    ok: bool
    order: int | None = None


async def seed(database: Path) -> list[Reseller]:
    """Resellers with a key and a balance, written before the bot starts."""
    db = Database(database)
    await db.connect()
    resellers = []
    try:
        users, ledger, keys = UserRepository(db), Ledger(db), ResellerRepository(db)
        for number in range(RESELLERS):
            user_id = FIRST_RESELLER + number
            await users.register(user_id, f"Reseller {number}", None, "en")
            await ledger.change(user_id, BALANCE, "credit", f"bench-{user_id}")
            key = os.urandom(16).hex()
            await keys.set_key(user_id, hash_key(key), key_hint(key), os.urandom(16).hex())
            resellers.append(Reseller(user_id, key))
    finally:
        await db.close()
    return resellers


def query(database: Path, sql: str, *params: Any) -> Any:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute(sql, params).fetchone()[0]
    finally:
        connection.close()


class Driver:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http

    async def call(self, reseller: Reseller, action: str, **fields: str) -> tuple[int, Any]:
        form = {"key": reseller.key, "action": action, **fields}
        async with self.http.post(self.url, data=form) as response:
            return response.status, await response.json(content_type=None)

    async def add(self, reseller: Reseller) -> int | None:
        status, body = await self.call(
            reseller, "add", service=str(SERVICE), link=reseller.next_link(), quantity=str(QUANTITY)
        )
        if status == 200 and isinstance(body, dict) and isinstance(body.get("order"), int):
            reseller.orders.append(body["order"])
            return int(body["order"])
        return None

    async def one(self, reseller: Reseller, action: str, due: float) -> Result:
        loop = asyncio.get_running_loop()
        order = None
        try:
            if action == "add":
                order = await self.add(reseller)
                ok = order is not None
            elif action == "status":
                ids = random.sample(reseller.orders, min(100, len(reseller.orders)))
                status, body = await self.call(reseller, "status", orders=",".join(map(str, ids)))
                ok = (
                    status == 200
                    and len(body) == len(ids)
                    and all("status" in body[str(i)] for i in ids)
                )
            elif action == "balance":
                status, body = await self.call(reseller, "balance")
                ok = status == 200 and "balance" in body
            else:
                status, body = await self.call(reseller, "services")
                ok = status == 200 and isinstance(body, list) and len(body) > 0
        except (aiohttp.ClientError, TimeoutError, ValueError):
            ok = False
        return Result(action, loop.time() - due, ok, order)


async def ready(fake: FakeTelegram, bot: BotProcess, driver: Driver, reseller: Reseller) -> None:
    """Until the bot polls Telegram and its API sells the catalog."""
    await fake.wait_for(
        lambda: (fake.pending_polls > 0 or not bot.running) or None,
        READY_SECONDS,
        what="the bot to start",
    )
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if not bot.running:
            raise SystemExit(f"the bot exited at start: {bot.log_text()[-600:]}")
        try:
            status, body = await driver.call(reseller, "services")
            if status == 200 and isinstance(body, list) and body:
                return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the API did not answer in time")
        await asyncio.sleep(0.2)  # nothing signals the port opening


async def run_load(driver: Driver, resellers: list[Reseller]) -> tuple[list[Result], float]:
    """RATE requests a second for SECONDS, on a fixed schedule whatever the answers' pace."""
    loop = asyncio.get_running_loop()
    rng = random.Random(24)
    actions = [name for name, weight in MIX for _ in range(weight)]
    count = int(RATE * SECONDS)
    started, lag = loop.time() + 0.1, 0.0
    tasks = []
    for index in range(count):
        due = started + index / RATE
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        reseller = resellers[index % len(resellers)]
        tasks.append(asyncio.create_task(driver.one(reseller, rng.choice(actions), due)))
    return list(await asyncio.gather(*tasks)), lag


def cpu_seconds(bot: BotProcess) -> float:
    """User and system CPU of the bot process so far (Linux /proc)."""
    pid = bot.pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def panel_add_seconds(url: str, http: aiohttp.ClientSession) -> tuple[float, int]:
    """What the panel's own `add` took in the bot, from its /metrics: (sum, count)."""
    async with http.get(url) as response:
        text = await response.text()
    values = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        found = re.match(r"shopbot_panel_request_seconds_(sum|count)\{(.*)\} (\S+)$", line)
        if found and 'action="add"' in found.group(2) and 'panel="main"' in found.group(2):
            values[found.group(1)] = float(found.group(3))
    return values["sum"], int(values["count"])


def table(results: list[Result]) -> list[str]:
    by_action: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_action[result.action].append(result)
    lines = [
        f"{'action':<10} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6}"
    ]
    for action, _ in MIX:
        rows = by_action.get(action, [])
        ms = [r.seconds * 1000 for r in rows]
        errors = sum(1 for r in rows if not r.ok)
        lines.append(
            f"{action:<10} {len(rows):>8} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.99):>8.1f} "
            f"{max(ms, default=float('nan')):>8.1f} {errors:>6}"
        )
    return lines


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bot.sqlite3"
        resellers = await seed(database)
        sim = PanelSimulator(tick_seconds=None, balance=Decimal(100_000), seed=24)
        await sim.start()
        port = free_port()
        try:
            async with FakeTelegram() as fake:
                bot = BotProcess(
                    Endpoints(fake.base_url, sim.url, (ADMIN_ID,)),
                    database,
                    database.with_suffix(".log"),
                    3600.0,
                    settings={
                        "RESELLER_API": "open",
                        "RESELLER_API_RATE": "10000",  # the limits are not what is measured
                        "RESELLER_API_BURST": "10000",
                        "WEB_HOST": "127.0.0.1",
                        "WEB_PORT": str(port),
                        "PUBLIC_URL": f"http://127.0.0.1:{port}",
                    },
                )
                await bot.start()
                try:
                    await measure(bot, fake, sim, resellers, port, database)
                finally:
                    await bot.stop()
        finally:
            await sim.stop()


async def measure(
    bot: BotProcess,
    fake: FakeTelegram,
    sim: PanelSimulator,
    resellers: list[Reseller],
    port: int,
    database: Path,
) -> None:
    base = f"http://127.0.0.1:{port}"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        driver = Driver(f"{base}/api/v2", http)
        await ready(fake, bot, driver, resellers[0])
        for reseller in resellers:  # what `status` asks about, not timed
            for _ in range(ORDERS_FIRST):
                if await driver.add(reseller) is None:
                    raise SystemExit("an add before the run was refused")
        panel_before = await panel_add_seconds(f"{base}/metrics", http)
        # This process's full garbage collections would stall the driver (and its clock):
        # what start-up built is kept out of them, as the bot does with its own.
        gc.collect()
        gc.freeze()
        cpu_before, own_before, wall = cpu_seconds(bot), time.process_time(), time.monotonic()
        results, lag = await run_load(driver, resellers)
        wall = time.monotonic() - wall
        cpu, own = cpu_seconds(bot) - cpu_before, time.process_time() - own_before
        panel_after = await panel_add_seconds(f"{base}/metrics", http)

    added = sum(len(reseller.orders) for reseller in resellers)
    user_ids = ",".join(str(reseller.user_id) for reseller in resellers)
    orders = query(database, f"SELECT COUNT(*) FROM orders WHERE user_id IN ({user_ids})")
    api_orders = query(
        database, f"SELECT COUNT(*) FROM orders WHERE via_api = 1 AND user_id IN ({user_ids})"
    )
    charged = query(
        database, f"SELECT COUNT(*) FROM ledger WHERE kind = 'order' AND user_id IN ({user_ids})"
    )
    placed = query(
        database,
        f"SELECT COUNT(*) FROM orders WHERE panel_order_id IS NOT NULL AND user_id IN ({user_ids})",
    )
    on_panel = len(sim.orders)
    spent = query(
        database,
        f"SELECT COALESCE(SUM(price), 0) FROM orders WHERE user_id IN ({user_ids})",
    )
    balances = query(database, f"SELECT SUM(balance) FROM users WHERE id IN ({user_ids})")
    money_ok = balances + spent == int(BALANCE * RESELLERS * 1_000_000)
    panel_sum = panel_after[0] - panel_before[0]
    panel_count = panel_after[1] - panel_before[1]

    print(f"bench/api.py: {RATE} requests/s for {SECONDS:.0f} s, {RESELLERS} resellers "
          f"({len(results)} requests, schedule lag at most {lag * 1000:.1f} ms)")  # fmt: skip
    print(
        f"  CPU over {wall:.1f} s: the bot {cpu:.1f} s, this process (simulator, fake Telegram, "
        f"driver) {own:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for line in table(results):
        print("  " + line)
    adds = [r.seconds * 1000 for r in results if r.action == "add"]
    if panel_count:
        mean = panel_sum / panel_count * 1000
        print(
            f"  add: the panel's own time {mean:.1f} ms a call on average; add p99 less that: "
            f"{percentile(adds, 0.99) - mean:.1f} ms"
        )
    print(
        f"  orders: {added} answered with a number, {orders} in the database ({api_orders} via "
        f"the API), {charged} charged, {placed} placed, {on_panel} on the simulator; "
        f"balances + spent == credited: {money_ok}"
    )
    same = added == orders == api_orders == charged == placed == on_panel
    print(f"  orders placed == orders charged: {same and money_ok}")
    print(f"  {TARGET}")


if __name__ == "__main__":
    asyncio.run(main())
