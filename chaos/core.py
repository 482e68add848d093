"""What every trial shares: its result, the suite's context (one fake Telegram and one panel
simulator), and a shop (a database file with the bot processes that run over it)."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import aiosqlite

from chaos.invariants import money_problems
from chaos.process import BotProcess, Endpoints, StopReport, log_problems
from simulators.panel import PanelSimulator
from storage.db import Database
from storage.ledger import Ledger
from storage.order_repository import OrderRepository
from storage.users import UserRepository
from tests.fake_telegram import TEST_TOKEN, BotMessage, FakeTelegram, Person

T = TypeVar("T")

ADMIN_IDS = (900_000_101, 900_000_102)
FIRST_USER_ID = 610_000_001
START_SECONDS = 90.0  # importing aiogram alone takes ~7 s of CPU here; two cores are shared
REPLY_SECONDS = 15.0
SIM_FAULT_DELAY_SECONDS = 1.0
ORDER_NUMBER = re.compile(r"#(\d+)")
FAILED_UPDATE = re.compile(r"ERROR handlers\.errors: Update (\d+) failed: (.*)")


class TrialError(Exception):
    """A trial cannot go on (a bot that does not start, a reply that never comes)."""


@dataclass
class TrialResult:
    """What a trial tried, how much of it held, and why the rest did not."""

    tried: int = 0
    held: int = 0
    failures: list[str] = field(default_factory=list)
    stop_seconds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.tried - self.held

    def record(self, case: str, problems: Iterable[str]) -> bool:
        """One case tried: held when it has no problems; each problem is kept for the report."""
        found = [problem for problem in problems if problem]
        self.tried += 1
        if found:
            self.failures += [f"{case}: {problem}" for problem in found]
            return False
        self.held += 1
        return True


class ReadOnlyDatabase(Database):
    """The bot's SQLite file opened read-only: the storage repositories read it, never write."""

    async def connect(self) -> None:
        reader = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
        reader.row_factory = sqlite3.Row
        await reader.execute("PRAGMA busy_timeout=5000")
        self._reader = reader  # no writer: a transaction() here fails, nothing is written


async def until(
    check: Callable[[], Awaitable[T | None]],
    timeout: float,  # noqa: ASYNC109 - every wait of the suite is bounded
    what: str,
    step: float = 0.02,
) -> T:
    """Wait for a condition nothing signals (a row the bot process writes, a simulator
    counter); prefer the fake's wait_for wherever Telegram traffic is the event."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise TrialError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(step)


class Context:
    """One run of the suite: the fake Telegram, the simulator, the seeded random generator."""

    def __init__(self, fake: FakeTelegram, sim: PanelSimulator, seed: int, workdir: Path):
        self.fake = fake
        self.sim = sim
        self.seed = seed
        self.rng = random.Random(seed)
        self.workdir = workdir
        self.admins = (
            fake.person(user_id=ADMIN_IDS[0], first_name="Owner"),
            fake.person(user_id=ADMIN_IDS[1], first_name="Partner"),
        )
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._links = itertools.count(1)
        self._shops: list[Shop] = []

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(self.fake.base_url, self.sim.url, ADMIN_IDS)

    def person(self, first_name: str = "") -> Person:
        """A new person with a private chat with the bot (language: English)."""
        user_id = next(self._user_ids)
        return self.fake.person(user_id=user_id, first_name=first_name or f"P{user_id % 10_000}")

    def link(self) -> str:
        """A link no order used yet: the panel refuses a second active order per link."""
        return f"https://youtu.be/chaos-{self.seed}-{next(self._links)}"

    @property
    def shops(self) -> list[Shop]:
        """The shops of the trial under way."""
        return list(self._shops)

    def shop(
        self, name: str, poll_seconds: float = 3600.0, settings: Mapping[str, str] | None = None
    ) -> Shop:
        """A shop whose bot runs with `settings` added to its environment (WEBHOOK_URL: it
        takes updates by webhook)."""
        directory = self.workdir / f"{name}-{len(self._shops) + 1}"
        directory.mkdir(parents=True)
        shop = Shop(self, directory, poll_seconds, settings)
        self._shops.append(shop)
        return shop

    async def cleanup(self) -> None:
        """After a trial, whatever it did: no bot left running, no fault left queued."""
        shops, self._shops = self._shops, []
        for shop in shops:
            await shop.close()
        self.fake.clear_faults()
        self.fake.rate_limit_per_second = None
        self.sim.clear_faults()
        self.sim.latency_seconds = 0.0
        self.sim.fault_delay_seconds = SIM_FAULT_DELAY_SECONDS
        self.sim.set_balance(Decimal(1000))
        await drop_pending_updates(self.fake)


async def drop_pending_updates(fake: FakeTelegram) -> None:
    """What one trial's people sent and no bot took must not reach the next trial's bot."""
    url = f"{fake.base_url}/bot{TEST_TOKEN}/deleteWebhook"
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.post(url, json={"drop_pending_updates": True}) as response,
    ):
        await response.read()


class Shop:
    """One database file and the bot processes that run over it, one at a time."""

    def __init__(
        self,
        ctx: Context,
        directory: Path,
        poll_seconds: float,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.directory = directory
        self.database = directory / "bot.sqlite3"
        self.poll_seconds = poll_seconds
        self.settings = dict(settings or {})
        self.process: BotProcess | None = None
        self.processes: list[BotProcess] = []
        self.start_seconds: list[float] = []
        self._checked: set[Path] = set()  # logs already read for problems
        self._observer: ReadOnlyDatabase | None = None

    # ---- before the bot runs ------------------------------------------------------------------

    @asynccontextmanager
    async def seeding(self) -> AsyncIterator[Database]:
        """The database as the bot will find it: written with the storage repositories."""
        db = Database(self.database)
        await db.connect()
        try:
            yield db
        finally:
            await db.close()

    async def seed_customers(self, people: list[Person], balance: Decimal) -> None:
        """Register people with `balance` each (a credit in the ledger)."""
        async with self.seeding() as db:
            users, ledger = UserRepository(db), Ledger(db)
            for person in people:
                await users.register(person.user_id, person.user["first_name"], None, "en")
                if balance:
                    await ledger.change(person.user_id, balance, "credit", f"seed-{person.user_id}")

    # ---- the bot process ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start `python -m bot` and wait until it polls (or, with WEBHOOK_URL, has set its
        webhook) with the catalog synced."""
        if self.process is not None and self.process.running:
            raise TrialError("a bot process is already running for this shop")
        log = self.directory / f"bot-{len(self.processes) + 1}.log"
        process = BotProcess(
            self.ctx.endpoints, self.database, log, self.poll_seconds, self.settings
        )
        webhook = bool(self.settings.get("WEBHOOK_URL"))
        self.process = process
        self.processes.append(process)
        fake, mark = self.ctx.fake, len(self.ctx.fake.calls)
        started = time.monotonic()
        await process.start()

        def polling() -> str | None:
            if not process.running:
                return "exited"
            called = {c.method.lower() for c in fake.calls[mark:]}
            commands = "setmycommands" in called
            receiving = "setwebhook" in called if webhook else fake.pending_polls > 0
            return "polling" if commands and receiving else None

        try:
            state = await fake.wait_for(polling, START_SECONDS, what="the bot polling")
        except AssertionError:
            raise TrialError(
                f"the bot did not start polling within {START_SECONDS:.0f} s"
            ) from None
        if state == "exited":
            tail = process.log_text()[-600:]
            raise TrialError(f"the bot exited at start: {tail}")
        await until(self._catalog_ready, START_SECONDS, "the catalog synced at start")
        self.start_seconds.append(time.monotonic() - started)

    async def _catalog_ready(self) -> bool:
        db = await self.observer()
        services = await db.fetchval("SELECT COUNT(*) FROM services")
        products = await db.fetchval("SELECT COUNT(*) FROM products")
        return bool(services and products)

    async def kill(self) -> None:
        if self.process is not None:
            await self.process.kill()

    async def stop(self) -> StopReport:
        """SIGTERM, timed; the process's log is checked for tracebacks and errors."""
        if self.process is None or not self.process.running:
            raise TrialError("no bot process to stop")
        report = await self.process.stop()
        report.problems.extend(log_problems(self.process.log_text()))
        return report

    async def stop_and_record(self, result: TrialResult, case: str) -> StopReport:
        report = await self.stop()
        result.stop_seconds.append(report.seconds)
        assert self.process is not None
        self._checked.add(self.process.log)
        result.record(f"{case} (stop in {report.seconds:.2f} s)", report.problems)
        for update, problem in failed_updates(self.ctx.fake, self.process.log_text()):
            result.record(update, [problem])
        return report

    async def finish(self, result: TrialResult, checks: Iterable[str] = ()) -> None:
        """The end of every trial: stop with SIGTERM, check every log and the money."""
        if self.process is not None and self.process.running:
            await self.stop_and_record(result, "final stop")
        for process in self.processes:  # runs killed with -9: their logs too
            if process.log in self._checked:
                continue
            text = process.log_text()
            problems = log_problems(text)
            if problems:
                result.record(f"log of {process.log.name}", problems)
            for update, problem in failed_updates(self.ctx.fake, text):
                result.record(update, [problem])
        db = await self.observer()
        result.record("money invariant", [*await money_problems(db), *checks])
        starts = ", ".join(f"{seconds:.1f}" for seconds in self.start_seconds)
        result.notes.append(f"bot started in {starts} s (until polling with the catalog)")

    async def close(self) -> None:
        if self.process is not None:
            await self.process.kill()
        if self._observer is not None:
            await self._observer.close()
            self._observer = None

    # ---- reading what the bot wrote --------------------------------------------------------------

    async def observer(self) -> ReadOnlyDatabase:
        if self._observer is None:
            db = ReadOnlyDatabase(self.database)
            await db.connect()
            self._observer = db
        return self._observer

    async def orders(self) -> OrderRepository:
        return OrderRepository(await self.observer())


def failed_updates(fake: FakeTelegram, log: str) -> list[tuple[str, str]]:
    """The updates the bot's error handler caught: (which, what was sent and the error)."""
    sent = {
        update["update_id"]: update
        for call in fake.calls_of("getUpdates")
        if call.ok
        for update in call.result
    }
    described = []
    for match in FAILED_UPDATE.finditer(log):
        update = sent.get(int(match.group(1)), {})
        described.append(
            (f"update {match.group(1)}", f"{describe(update)} -> {match.group(2)[:120]}")
        )
    return described


def describe(update: dict[str, Any]) -> str:
    if "message" in update:
        message = update["message"]
        return (
            f"(message {str(message.get('text', '<no text>'))[:80]!r} from {message['from']['id']})"
        )
    if "callback_query" in update:
        query = update["callback_query"]
        return f"(button {query.get('data')!r} from {query['from']['id']})"
    return f"({next(iter(update), 'unknown')})"


# ---- what people see ------------------------------------------------------------------------


async def reply_matching(
    person: Person,
    wanted: Callable[[BotMessage], bool],
    what: str,
    timeout: float = REPLY_SECONDS,  # noqa: ASYNC109
) -> BotMessage:
    """Skip this person's replies until one is `wanted`; TrialError when none comes in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        try:
            if left <= 0:
                raise AssertionError
            message = await person.wait_reply(left)
        except AssertionError:
            raise TrialError(
                f"{what}: no such reply to {person.user_id} in {timeout:.0f} s"
            ) from None
        if wanted(message):
            return message


def order_number(message: BotMessage) -> int | None:
    match = ORDER_NUMBER.search(message.content)
    return int(match.group(1)) if match else None
