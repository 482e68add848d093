"""The launch-day spike: an advert brings a thousand new people at once.

    .venv/bin/python bench/spike.py              # 1,000 people, polling then webhook
    SPIKE_PEOPLE=200 .venv/bin/python bench/spike.py

1,000 people the bot has never seen send /start within 10 s, pushed on a fixed schedule (open
loop, 100 a second); every other one comes through an invitation link (`/start ref_<code>`) of
one of 20 earlier customers, who are then told of their new friend. Then 300 of them press
🛒 Services within 3 s.

The bot is the real `python -m bot` process, as in production (settings from the environment,
memory settled, signals): it takes its updates by long polling, then, over a fresh database,
by webhook (WEBHOOK_URL: the fake Telegram posts each update to the bot's web server). The fake
Telegram, the panel simulator and this driver run in this process, so the bot has its own
interpreter, as it has in production where Telegram is elsewhere; the machine's two cores are
shared by both processes.

Reply time: from pushing the update to the fake recording the bot's first reply call for it
(the /start greeting; for the button, the menu edited into the categories). Lost: no reply
within 30 s. Afterwards the database must hold every person once, with their referral decided
(500 tied to a referrer), and the stop (SIGTERM) is timed. Everything stays on 127.0.0.1.
Target: 0 lost, p99 under 250 ms, in both modes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# Run as `python bench/spike.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.updates import Pending, Replies, button_data, new_people, percentile, press, send
from chaos.process import BotProcess, Endpoints
from shop.referrals import referral_payload
from simulators.panel import PanelSimulator
from storage.db import Database
from storage.users import UserRepository
from tests.fake_telegram import FakeTelegram, Person
from tests.harness import Mode, free_port

PEOPLE = int(os.environ.get("SPIKE_PEOPLE", "1000"))
START_SECONDS = 10.0
BROWSERS = 300 * PEOPLE // 1000
BROWSE_SECONDS = 3.0
REFERRERS = 20
WARMUP_PEOPLE = 5  # first-use costs in the bot process (lazy imports, caches): not measured
REPLY_TIMEOUT = 30.0
READY_SECONDS = 90.0  # importing aiogram alone takes seconds of CPU on this machine
TARGET = "target: 0 lost, p99 < 250 ms, polling and webhook"
REFERRER_IDS = range(500_000_001, 500_000_001 + REFERRERS)


@dataclass
class Phase:
    name: str
    pushed: int
    latencies: list[float]
    push_lag: float  # how late the driver pushed its latest update (its loop was busy)

    @property
    def lost(self) -> int:
        return self.pushed - len(self.latencies)


@dataclass
class Run:
    mode: Mode
    phases: list[Phase]
    cpu_seconds: float  # of the bot process, during the phases
    driver_cpu_seconds: float  # of this process (fake Telegram, driver), during the phases
    seconds: float  # wall time of the phases
    stop_seconds: float
    check: str


class SpikeBot(BotProcess):
    """`python -m bot` with the serving settings of one mode."""

    def __init__(self, endpoints: Endpoints, database: Path, serving: dict[str, str]) -> None:
        super().__init__(endpoints, database, database.with_suffix(".log"), 3600.0)
        self.serving = serving

    def environment(self) -> dict[str, str]:
        return super().environment() | self.serving

    def cpu_seconds(self) -> float:
        """User and system CPU of the process so far (Linux /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serving(mode: Mode) -> dict[str, str]:
    if mode == "polling":
        return {}
    port = free_port()
    return {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
    }


def query(database: Path, sql: str) -> int:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return int(connection.execute(sql).fetchone()[0])
    finally:
        connection.close()


async def seed(database: Path) -> None:
    """The earlier customers whose invitation links the newcomers follow."""
    db = Database(database)
    await db.connect()
    try:
        users = UserRepository(db)
        for user_id in REFERRER_IDS:
            await users.register(user_id, f"Referrer{user_id % 100}", None, "en")
    finally:
        await db.close()


async def ready(fake: FakeTelegram, bot: SpikeBot, mode: Mode, mark: int) -> None:
    """Until the bot takes updates (polling, or its webhook set) and the catalog is synced."""

    def taking() -> bool | None:
        commands = any(call.method == "setMyCommands" for call in fake.calls[mark:])
        receiving = fake.pending_polls > 0 if mode == "polling" else bool(fake.webhook_url)
        return (commands and receiving) or not bot.running or None

    await fake.wait_for(taking, READY_SECONDS, what="the bot to start")
    if not bot.running:
        raise SystemExit(f"the bot exited at start: {bot.log_text()[-600:]}")
    deadline = time.monotonic() + READY_SECONDS
    while not query(bot.database, "SELECT COUNT(*) FROM services"):  # nothing signals it
        if time.monotonic() > deadline:
            raise SystemExit("the catalog was not synced in time")
        await asyncio.sleep(0.1)


async def on_schedule(
    count: int, seconds: float, push: Callable[[int], Awaitable[Pending]]
) -> tuple[list[Pending], float]:
    """Push `count` updates evenly over `seconds`, whatever the bot's pace (open loop)."""
    loop = asyncio.get_running_loop()
    started, lag, pendings = loop.time(), 0.0, []
    for index in range(count):
        due = started + index * seconds / count
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lag = max(lag, loop.time() - due)
        pendings.append(await push(index))
    return pendings, lag


async def replied(pendings: list[Pending]) -> list[float]:
    await asyncio.wait([p.future for p in pendings], timeout=REPLY_TIMEOUT)
    return [p.latency for p in pendings if p.future.done() and not p.future.cancelled()]


async def crowd(fake: FakeTelegram, people: list[Person]) -> list[Phase]:
    """The newcomers' /start wave, then some of them open the catalog."""
    replies = Replies(fake)
    replies.start()
    try:

        async def start(index: int) -> Pending:
            referrer = REFERRER_IDS[index % REFERRERS]
            text = f"/start {referral_payload(referrer)}" if index % 2 == 0 else "/start"
            return await send(replies, people[index], text)

        starts, start_lag = await on_schedule(len(people), START_SECONDS, start)
        start_latencies = await replied(starts)
        greeted = [p for p, pending in zip(people, starts, strict=True) if pending.future.done()]
        count = min(len(people) * 3 // 10, len(greeted))
        browsers = random.Random(16).sample(greeted, count)

        async def browse(index: int) -> Pending:
            person = browsers[index]
            return await press(replies, person, button_data(person, "🛒 Services"))

        presses, browse_lag = await on_schedule(count, BROWSE_SECONDS, browse)
        browse_latencies = await replied(presses)
    finally:
        await replies.stop()
    return [
        Phase("/start", len(people), start_latencies, start_lag),
        Phase("🛒 Services", count, browse_latencies, browse_lag),
    ]


def check(database: Path, people: list[Person]) -> str:
    """Every newcomer registered once, their referral decided: half tied to a referrer."""
    ids = f"BETWEEN {people[0].user_id} AND {people[-1].user_id}"
    users = query(database, f"SELECT COUNT(*) FROM users WHERE id {ids}")
    decided = query(database, f"SELECT COUNT(*) FROM referrals WHERE user_id {ids}")
    tied = query(
        database, f"SELECT COUNT(*) FROM referrals WHERE user_id {ids} AND referrer_id IS NOT NULL"
    )
    ok = users == decided == len(people) and tied == len(people) // 2
    return f"{'ok' if ok else 'WRONG'}: {users} newcomers, {decided} decided, {tied} tied"


async def measure(fake: FakeTelegram, sim: PanelSimulator, workdir: Path, mode: Mode) -> Run:
    database = workdir / mode / "bot.sqlite3"
    await seed(database)
    endpoints = Endpoints(fake.base_url, sim.url, ())
    bot = SpikeBot(endpoints, database, serving(mode))
    mark = len(fake.calls)
    await bot.start()
    try:
        await ready(fake, bot, mode, mark)
        await crowd(fake, new_people(fake, WARMUP_PEOPLE))
        people = new_people(fake, PEOPLE)
        # The fake's call log grows by thousands of messages: keep what exists out of this
        # process's collections, whose full passes otherwise stall the fake (not the bot).
        gc.collect()
        gc.freeze()
        cpu, driver_cpu, started = bot.cpu_seconds(), time.process_time(), time.monotonic()
        phases = await crowd(fake, people)
        cpu_seconds = bot.cpu_seconds() - cpu
        driver_cpu_seconds = time.process_time() - driver_cpu
        seconds = time.monotonic() - started
    finally:
        stop = await bot.stop()
    if stop.problems:
        print(f"  ! {mode}: {'; '.join(stop.problems)}", flush=True)
    return Run(
        mode,
        phases,
        cpu_seconds,
        driver_cpu_seconds,
        seconds,
        stop.seconds,
        check(database, people),
    )


def ms(value: float) -> str:
    return f"{value * 1000:.0f}"


def report(runs: list[Run]) -> None:
    header = (
        f"{'mode':<8} {'step':<12} {'pushed':>6} {'lost':>4} {'p50 ms':>7} {'p90 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'push lag ms':>11}"
    )
    print(header)
    print("-" * len(header))
    for run in runs:
        for phase in run.phases:
            latencies = phase.latencies
            print(
                f"{run.mode:<8} {phase.name:<12} {phase.pushed:>6} {phase.lost:>4} "
                f"{ms(percentile(latencies, 0.5)):>7} {ms(percentile(latencies, 0.9)):>7} "
                f"{ms(percentile(latencies, 0.99)):>7} "
                f"{ms(max(latencies, default=float('nan'))):>7} {phase.push_lag * 1000:>11.0f}"
            )
        print(
            f"{'':<8} CPU over {run.seconds:.0f} s: bot {run.cpu_seconds:.1f} s, fake Telegram "
            f"and driver {run.driver_cpu_seconds:.1f} s; stop {run.stop_seconds:.1f} s; "
            f"database {run.check}"
        )
    print(
        f"{PEOPLE} new people send /start in {START_SECONDS:.0f} s (half invited), then "
        f"{BROWSERS} press 🛒 Services in {BROWSE_SECONDS:.0f} s; reply time: push -> first "
        f"reply call\n{TARGET}"
    )


async def run() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-spike-") as tmp:
        async with FakeTelegram() as fake:
            sim = PanelSimulator(tick_seconds=None, fail_ratio_rejected=0.0)
            await sim.start()
            try:
                runs = []
                modes: tuple[Mode, ...] = ("polling", "webhook")
                for mode in modes:
                    print(f"  {mode}: {PEOPLE} people", flush=True)
                    runs.append(await measure(fake, sim, Path(tmp), mode))
            finally:
                await sim.stop()
    print()
    report(runs)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
