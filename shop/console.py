"""The owner's console: dashboard figures, people's profiles and bans, exports, backups, broadcasts.

Long reads (CSV exports, the backup) run in a worker thread on a connection of their own, so
the bot keeps answering while they work.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from provider.client import PanelClient
from provider.errors import PanelError
from provider.models import Balance
from shop.books import Books
from shop.catalog import Catalog
from shop.catalog_panels import conversion_of
from shop.people import People
from storage.broadcasts import BroadcastProgress, BroadcastRepository
from storage.ledger import LedgerEntry
from storage.money import from_micros
from storage.orders import OrderRecord, Stage
from storage.stats import ChargeTerms, StatsRepository, UserStats, WindowStats
from storage.users import User

DAY = 86_400
EXPORTS = {
    "orders": ("orders", ("price", "charge", "refunded")),
    "users": ("users", ("balance",)),
    "ledger": ("ledger", ("amount", "balance_after")),
}


class ConsoleError(Exception):
    """An admin request that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    users: UserStats
    today: WindowStats
    week: WindowStats
    panel_balance: Balance | None
    unconfirmed: int
    stuck: int
    currency: str


@dataclass(frozen=True, slots=True)
class Profile:
    user: User
    orders: list[OrderRecord]
    order_count: int
    ledger: list[LedgerEntry]


def start_of_today() -> int:
    now = dt.datetime.now(dt.UTC)
    return int(now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


class Console:
    def __init__(
        self,
        books: Books,
        people: People,
        catalog: Catalog,
        panel: PanelClient,
        stuck_hours: float,
    ) -> None:
        self._db = books.db
        self._outbox = books.outbox
        self._people = people
        self._catalog = catalog
        self._panel = panel
        self._stuck_hours = stuck_hours
        self.stats = StatsRepository(books.db)
        self.broadcasts = BroadcastRepository(books.db)

    async def dashboard(self) -> Dashboard:
        now = int(time.time())
        try:
            balance: Balance | None = await asyncio.wait_for(self._panel.balance(), timeout=10)
        except (PanelError, TimeoutError):
            balance = None
        currency = await self._catalog.currency()
        panels = {
            panel.name: ChargeTerms(
                panel.record.currency, self._catalog.conversion(panel, currency)
            )
            for panel in self._catalog.panels.all()
        }
        removed = {
            (gone.name, gone.removed_at): ChargeTerms(
                gone.currency, conversion_of(gone.name, gone.currency, gone.rate, currency)
            )
            for gone in await self._catalog.panels.removed()
        }
        return Dashboard(
            users=await self.stats.users(start_of_today(), now - 7 * DAY),
            today=await self.stats.window(start_of_today(), panels, removed),
            week=await self.stats.window(now - 7 * DAY, panels, removed),
            panel_balance=balance,
            unconfirmed=await self.stats.count_in_stage(Stage.UNCONFIRMED),
            stuck=await self.stats.stuck(int(now - self._stuck_hours * 3600)),
            currency=currency,
        )

    async def find_user(self, token: str) -> User | None:
        """A user by Telegram id or @username."""
        return await self._people.find(token)

    async def profile(self, user: User) -> Profile:
        return Profile(
            user=user,
            orders=await self._people.recent_orders(user.id, 5),
            order_count=await self._people.order_count(user.id),
            ledger=await self._people.history(user.id, 5),
        )

    async def set_banned(self, user: User, banned: bool) -> None:
        if banned and self._people.is_admin(user.id):  # they would lock themselves out
            raise ConsoleError("an admin cannot be banned")
        await self._people.set_banned(user.id, banned)

    @asynccontextmanager
    async def export_file(self, table: str) -> AsyncIterator[Path]:
        """A CSV file of a whole table (money as decimal text), removed after use."""
        name, money_columns = EXPORTS[table]
        path = await asyncio.to_thread(write_csv, self._db.path, name, money_columns)
        try:
            yield path
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    @asynccontextmanager
    async def backup_file(self) -> AsyncIterator[Path]:
        """A consistent copy of the database (SQLite's online backup), removed after use."""
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp))
        path = await asyncio.to_thread(copy_database, self._db.path, folder)
        try:
            yield path
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    async def start_broadcast(self, admin_id: int, text: str) -> int:
        broadcast_id = await self.broadcasts.create(admin_id, text)
        self._outbox.added.set()  # wake the notifier
        return broadcast_id

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """The admin's message that shows the broadcast's figures as it goes."""
        await self.broadcasts.set_progress_message(broadcast_id, chat_id, message_id)

    async def cancel_broadcasts(self) -> list[int]:
        """Cancel what is running; returns the broadcasts this call canceled (not those another
        admin's cancel got to first)."""
        return [
            broadcast_id
            for broadcast_id in await self.broadcasts.running()
            if await self.broadcasts.finish(broadcast_id, "canceled")
        ]

    async def broadcast_progress(self, broadcast_id: int) -> BroadcastProgress | None:
        progress = await self.broadcasts.progress(broadcast_id)
        if progress is not None and progress.status == "running" and progress.pending == 0:
            await self.broadcasts.finish(broadcast_id, "done")
            progress = await self.broadcasts.progress(broadcast_id)
        return progress


def write_csv(database: Path, table: str, money_columns: tuple[str, ...]) -> Path:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to the caller, who deletes it
        "w", newline="", encoding="utf-8", suffix=f"-{table}.csv", delete=False
    )
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        cursor = connection.execute(f"SELECT * FROM {table} ORDER BY rowid")
        columns = [description[0] for description in cursor.description]
        money = {columns.index(column) for column in money_columns if column in columns}
        writer = csv.writer(handle)
        writer.writerow(columns)
        while rows := cursor.fetchmany(5000):
            writer.writerows(
                [
                    from_micros(value) if index in money and value is not None else value
                    for index, value in enumerate(row)
                ]
                for row in rows
            )
    finally:
        connection.close()
        handle.close()
    return Path(handle.name)


def copy_database(database: Path, folder: Path) -> Path:
    target = folder / f"backup-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.sqlite3"
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target
