"""The notifier against the fake Telegram: 429 honoured, errors retried or dropped, never doubled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties

from bot.notifier import Notifier
from storage.db import Database
from storage.notifications import NotificationRepository
from storage.users import UserRepository
from tests.fake_telegram import TEST_TOKEN, FakeTelegram
from tests.harness import eventually


@dataclass
class Outbox:
    fake: FakeTelegram
    db: Database
    repo: NotificationRepository
    users: UserRepository
    task: asyncio.Task[None]

    async def add(self, chat_id: int, text: str) -> None:
        await self.repo.enqueue(chat_id, text)

    async def drained(self) -> bool:
        return await self.repo.pending_count() == 0


@pytest_asyncio.fixture
async def outbox(db: Database) -> AsyncIterator[Outbox]:
    async with FakeTelegram() as fake:
        bot = Bot(
            TEST_TOKEN, session=fake.session(), default=DefaultBotProperties(parse_mode="HTML")
        )
        repo, users = NotificationRepository(db), UserRepository(db)
        notifier = Notifier(bot, repo, users, per_second=100, per_chat_interval=0.05)
        task = asyncio.create_task(notifier.run())
        yield Outbox(fake, db, repo, users, task)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()


def sent_texts(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [
        call.params["text"]
        for call in fake.calls_of("sendMessage")
        if call.ok and call.params.get("chat_id") == chat_id
    ]


async def test_delivers_in_order_once(outbox: Outbox) -> None:
    outbox.fake.person(user_id=1)
    outbox.fake.person(user_id=2)
    for n in range(5):
        await outbox.add(1, f"one-{n}")
        await outbox.add(2, f"two-{n}")
    await eventually(outbox.drained)
    assert sent_texts(outbox.fake, 1) == [f"one-{n}" for n in range(5)]
    assert sent_texts(outbox.fake, 2) == [f"two-{n}" for n in range(5)]


async def test_429_is_honoured_and_nothing_is_lost_or_doubled(outbox: Outbox) -> None:
    outbox.fake.person(user_id=3)
    outbox.fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await outbox.add(3, "hello")
    await eventually(outbox.drained)
    assert [call.status for call in outbox.fake.calls_of("sendMessage")] == [429, 200]
    assert sent_texts(outbox.fake, 3) == ["hello"]


async def test_server_errors_are_retried(outbox: Outbox) -> None:
    outbox.fake.person(user_id=4)
    outbox.fake.fail_next("sendMessage", 502, "Bad Gateway", count=1)
    await outbox.add(4, "eventually")
    await eventually(outbox.drained, timeout=10)
    assert sent_texts(outbox.fake, 4) == ["eventually"]


async def test_blocked_person_is_marked_and_their_queue_dropped(outbox: Outbox) -> None:
    await outbox.users.register(5, "Blocked", None, "en")
    person = outbox.fake.person(user_id=5)
    person.block()
    await outbox.add(5, "first")
    await outbox.add(5, "second")
    await eventually(outbox.drained)
    user = await outbox.users.get(5)
    assert user is not None
    assert user.blocked_bot
    assert sent_texts(outbox.fake, 5) == []
    dropped = await outbox.db.fetchall("SELECT dropped FROM notifications WHERE chat_id = 5")
    assert [row["dropped"] for row in dropped] == ["blocked the bot"] * 2


async def test_a_message_telegram_rejects_is_kept_with_its_reason(outbox: Outbox) -> None:
    outbox.fake.person(user_id=6)
    await outbox.add(6, "<b>broken html")
    await outbox.add(6, "fine")
    await eventually(outbox.drained)
    assert sent_texts(outbox.fake, 6) == ["fine"]
    row = await outbox.db.fetchone("SELECT dropped FROM notifications WHERE text LIKE '<b>%'")
    assert row is not None
    assert "rejected" in row["dropped"]


@pytest.mark.parametrize("count", [30])
async def test_many_chats_all_delivered_once(outbox: Outbox, count: int) -> None:
    for chat_id in range(100, 100 + count):
        outbox.fake.person(user_id=chat_id)
        await outbox.add(chat_id, f"note {chat_id}")
    await eventually(outbox.drained)
    texts = [call.params["text"] for call in outbox.fake.calls_of("sendMessage") if call.ok]
    assert sorted(texts) == sorted(f"note {c}" for c in range(100, 100 + count))
