"""Notifier throughput through the fake Telegram, which answers 429 above 30 messages a second.

    .venv/bin/python bench/notify.py            # 100 notifications over 20 chats
    FULL=1 .venv/bin/python bench/notify.py     # 100, then 1,000 over 200 chats

Puts N notifications in the outbox (five per chat, every text unique), runs `Notifier.run()`
until the outbox has nothing pending, and reports: time to deliver all, the rate reached,
429 answers received, lost (rows neither sent nor dropped, plus rows marked sent that the fake
never received), duplicated (one text delivered twice to a chat), per-chat pacing breaks (two
messages to one chat less than 1 s apart) and the most messages the fake saw in any 1 s window.
Target: about 35 s for 1,000, 0 lost, 0 duplicated. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

# Run as `python bench/notify.py` from the repo root: make the project importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties

from bot.aiogram_patches import TelegramSession
from bot.notifier import Notifier
from storage.db import Database
from storage.notifications import NotificationRepository
from storage.users import UserRepository
from tests.fake_telegram import TEST_TOKEN, FakeTelegram

PER_CHAT = 5
FIRST_CHAT_ID = 500_000
TELEGRAM_LIMIT_PER_SECOND = 30
PER_CHAT_INTERVAL = 1.0
POLL_SECONDS = 0.05
TARGET = "target: ~35 s for 1,000, 0 lost, 0 duplicated"


@dataclass
class Row:
    notifications: int
    chats: int
    seconds: float
    rate: float
    too_many: int
    lost: int
    duplicated: int
    pacing_breaks: int
    peak_per_second: int
    finished: bool


def sizes() -> list[int]:
    return [100, 1_000] if os.environ.get("FULL") == "1" else [100]


def text_for(index: int, chat_id: int) -> str:
    return f"Bench notice <b>#{index}</b> for chat {chat_id}: order completed ✅"


async def fill_outbox(
    db: Database, outbox: NotificationRepository, n: int, chats: int
) -> dict[int, set[str]]:
    """Round-robin over the chats, so each chat has PER_CHAT messages spread through the queue."""
    expected: dict[int, set[str]] = defaultdict(set)
    async with db.transaction() as tx:
        for index in range(n):
            chat_id = FIRST_CHAT_ID + index % chats
            text = text_for(index, chat_id)
            await outbox.add(tx, chat_id, text)
            expected[chat_id].add(text)
    return expected


def peak_in_window(times: list[float], window: float = 1.0) -> int:
    recent: deque[float] = deque()
    peak = 0
    for moment in sorted(times):
        recent.append(moment)
        while moment - recent[0] >= window:
            recent.popleft()
        peak = max(peak, len(recent))
    return peak


async def bench_size(n: int, workdir: Path) -> Row:
    chats = max(1, n // PER_CHAT)
    db = Database(workdir / f"notify-{n}.sqlite3")
    await db.connect()
    fake = FakeTelegram()
    await fake.start()
    session = TelegramSession(api=fake.api_server)  # the bot's own session, as in production
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    task: asyncio.Task[None] | None = None
    try:
        fake.rate_limit_per_second = TELEGRAM_LIMIT_PER_SECOND
        for chat_id in range(FIRST_CHAT_ID, FIRST_CHAT_ID + chats):
            fake.person(user_id=chat_id, first_name=f"P{chat_id}")
        outbox = NotificationRepository(db)
        expected = await fill_outbox(db, outbox, n, chats)

        notifier = Notifier(bot, outbox, UserRepository(db))
        # A generous deadline: 25 messages a second is the notifier's own pace.
        deadline = n / 25 * 3 + 30
        started = time.perf_counter()
        task = asyncio.create_task(notifier.run(), name="bench-notifier")
        finished = False
        while time.perf_counter() - started < deadline:
            if await outbox.pending_count() == 0:
                finished = True
                break
            if task.done():
                break  # run() crashed: report what got through
            await asyncio.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        task = None

        sends = [c for c in fake.calls_of("sendMessage") if c.ok and c.message is not None]
        delivered: Counter[tuple[int, str]] = Counter(
            (c.message.chat_id, c.message.raw_text or "") for c in sends if c.message
        )
        duplicated = sum(count - 1 for count in delivered.values() if count > 1)
        not_handled = await db.fetchval(
            "SELECT COUNT(*) FROM notifications WHERE sent_at IS NULL AND dropped IS NULL"
        )
        sent_rows = await db.fetchall(
            "SELECT chat_id, text FROM notifications WHERE sent_at IS NOT NULL"
        )
        missing_at_fake = sum(1 for r in sent_rows if (r["chat_id"], r["text"]) not in delivered)
        unexpected = sum(
            count for (chat, text), count in delivered.items() if text not in expected[chat]
        )
        by_chat: dict[int, list[float]] = defaultdict(list)
        for call in sends:
            if call.message:
                by_chat[call.message.chat_id].append(call.time)
        pacing_breaks = sum(
            1
            for times in by_chat.values()
            for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
            if later - earlier < PER_CHAT_INTERVAL * 0.95  # a little slack for clock jitter
        )
        if unexpected:
            print(f"  ! {unexpected} delivered texts were never queued", flush=True)
        return Row(
            notifications=n,
            chats=chats,
            seconds=seconds,
            rate=len(sends) / seconds if seconds > 0 else 0.0,
            too_many=fake.too_many_requests_sent,
            lost=not_handled + missing_at_fake,
            duplicated=duplicated,
            pacing_breaks=pacing_breaks,
            peak_per_second=peak_in_window([c.time for c in sends]),
            finished=finished,
        )
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.session.close()
        await fake.stop()
        await db.close()


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'notices':>7} {'chats':>5} {'seconds':>8} {'msg/s':>6} {'429s':>5} {'lost':>5} "
        f"{'dup':>4} {'pacing':>6} {'peak/1s':>7} {'done':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.notifications:>7,} {row.chats:>5} {row.seconds:>8.1f} {row.rate:>6.1f} "
            f"{row.too_many:>5} {row.lost:>5} {row.duplicated:>4} {row.pacing_breaks:>6} "
            f"{row.peak_per_second:>7} {'yes' if row.finished else 'NO':>5}"
        )
    print(TARGET)
    print(
        "pacing: messages to one chat < 1 s after the previous one; peak/1s: most messages the "
        f"fake got in any 1 s window (it answers 429 above {TELEGRAM_LIMIT_PER_SECOND})"
    )


async def run() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        for n in sizes():
            print(f"N = {n:,}", flush=True)
            rows.append(await bench_size(n, Path(tmp)))
    print()
    print_table(rows)


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
