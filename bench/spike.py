"""The launch-day spike: an advert brings a thousand new people at once.

    .venv/bin/python bench/spike.py              # 1,000 people, polling then webhook
    SPIKE_PEOPLE=200 .venv/bin/python bench/spike.py

1,000 people the bot has never seen send /start within 10 s, pushed on a fixed schedule (open
loop, 100 a second); every other one comes through an invitation link (`/start ref_<code>`) of
one of 20 earlier customers, who are then told of their new friend. Then 300 of them press
🛒 Services within 3 s. The bot runs as the end-to-end tests run it (tests/harness.py
`running_bot`, memory settled as in production): taking updates by long polling, then, with a
fresh database, by webhook (the fake Telegram posting each update to the bot's web server).

Reply time: from pushing the update to the fake recording the bot's first reply call for it
(the /start greeting; for the button, the menu edited into the categories). Lost: no reply
within 30 s. Afterwards the database must hold every person once, with their referral decided
(500 tied to a referrer). The fake, the simulator and this driver share the bot's process and
its two cores, so the figures are pessimistic. Everything stays on 127.0.0.1.
Target: 0 lost, p99 under 250 ms, in both modes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# Run as `python bench/spike.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.updates import Pending, Replies, button_data, new_people, percentile, press, send
from bot.app import settle_memory
from provider.simulator import PanelSimulator
from shop.referrals import referral_payload
from tests.fake_telegram import FakeTelegram, Person
from tests.harness import Mode, ShopBot, World, running_bot

PEOPLE = int(os.environ.get("SPIKE_PEOPLE", "1000"))
START_SECONDS = 10.0
BROWSERS = 300 * PEOPLE // 1000
BROWSE_SECONDS = 3.0
REFERRERS = 20
REPLY_TIMEOUT = 30.0
TARGET = "target: 0 lost, p99 < 250 ms, polling and webhook"


@dataclass
class Phase:
    name: str
    pushed: int
    latencies: list[float]
    push_lag: float  # how late the driver pushed its latest update (the loop was busy)

    @property
    def lost(self) -> int:
        return self.pushed - len(self.latencies)


@dataclass
class Run:
    mode: Mode
    phases: list[Phase]
    cpu_seconds: float
    check: str


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


async def spike(shop: ShopBot) -> list[Phase]:
    fake = shop.fake
    referrers = [await shop.customer() for _ in range(REFERRERS)]
    await shop.wait_idle()
    people = new_people(fake, PEOPLE)
    replies = Replies(fake)
    replies.start()
    try:

        async def start(index: int) -> Pending:
            invited = index % 2 == 0
            payload = referral_payload(referrers[index % REFERRERS].user_id) if invited else ""
            return await send(replies, people[index], f"/start {payload}".strip())

        starts, start_lag = await on_schedule(PEOPLE, START_SECONDS, start)
        start_latencies = await replied(starts)
        greeted = [p for p, pending in zip(people, starts, strict=True) if pending.future.done()]
        browsers: list[Person] = random.Random(16).sample(greeted, min(BROWSERS, len(greeted)))

        async def browse(index: int) -> Pending:
            person = browsers[index]
            return await press(replies, person, button_data(person, "🛒 Services"))

        presses, browse_lag = await on_schedule(len(browsers), BROWSE_SECONDS, browse)
        browse_latencies = await replied(presses)
    finally:
        await replies.stop()
    return [
        Phase("/start", PEOPLE, start_latencies, start_lag),
        Phase("🛒 Services", BROWSERS, browse_latencies, browse_lag),
    ]


async def check(shop: ShopBot) -> str:
    """Every person registered once, their referral decided: half tied to a referrer."""
    db = shop.app.db
    users = await db.fetchval("SELECT COUNT(*) FROM users")
    decided = await db.fetchval("SELECT COUNT(*) FROM referrals")
    tied = await db.fetchval("SELECT COUNT(*) FROM referrals WHERE referrer_id IS NOT NULL")
    expected = PEOPLE + REFERRERS
    ok = users == expected and decided == expected and tied == PEOPLE // 2
    return f"{'ok' if ok else 'WRONG'}: {users} people, {decided} decided, {tied} tied"


async def measure(shared: World, workdir: Path, mode: Mode) -> Run:
    async with running_bot(shared, workdir / mode, mode) as shop:
        settle_memory()  # as production's `run` does once started
        cpu = time.process_time()
        phases = await spike(shop)
        cpu_seconds = time.process_time() - cpu
        await shop.wait_idle()
        return Run(mode, phases, cpu_seconds, await check(shop))


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
        print(f"{'':<8} CPU {run.cpu_seconds:.1f} s (one process); database {run.check}")
    print(
        f"{PEOPLE} new people send /start in {START_SECONDS:.0f} s (half invited), then "
        f"{BROWSERS} press 🛒 Services in {BROWSE_SECONDS:.0f} s; reply time: push -> first "
        "reply call\n" + TARGET
    )


async def run() -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-spike-") as tmp:
        async with FakeTelegram() as fake:
            sim = PanelSimulator(tick_seconds=None, fail_ratio_rejected=0.0)
            await sim.start()
            try:
                shared = World(fake, sim)
                runs = []
                for mode in ("polling", "webhook"):
                    print(f"  {mode}: {PEOPLE} people", flush=True)
                    runs.append(await measure(shared, Path(tmp), mode))
            finally:
                await sim.stop()
    print()
    report(runs)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
