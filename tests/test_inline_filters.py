"""Synchronous filters keep filtering the same way once they run on the event loop."""

import threading
from datetime import UTC, datetime
from typing import Any

from aiogram import F, Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Chat, Message

from bot.aiogram_patches import run_sync_filters_inline


class Steps(StatesGroup):
    link = State()


def message(text: str | None) -> Message:
    chat = Chat(id=1, type="private")
    return Message(message_id=1, date=datetime.now(UTC), chat=chat, text=text)


def build() -> tuple[Router, list[str]]:
    parent, child = Router(), Router()
    threads: list[str] = []

    def on_loop_thread(event: Message) -> bool:
        threads.append(threading.current_thread().name)
        return True

    child.message.filter(on_loop_thread)

    @child.message(Steps.link, ~F.text)
    async def not_text(event: Message) -> None: ...

    parent.include_router(child)
    return parent, threads


async def test_every_sync_filter_becomes_awaitable_once() -> None:
    root, _ = build()
    assert run_sync_filters_inline(root) == 3  # the root filter, the State, the F expression
    assert run_sync_filters_inline(root) == 0
    child = root.sub_routers[0]
    handler = child.message.handlers[0]
    assert all(f.awaitable for f in handler.filters or ())


async def test_filters_give_the_same_answers_on_the_event_loop_thread() -> None:
    root, threads = build()
    run_sync_filters_inline(root)
    child = root.sub_routers[0]
    handler = child.message.handlers[0]
    in_state: dict[str, Any] = {"raw_state": Steps.link.state}

    assert (await handler.check(message(None), **in_state))[0] is True
    assert (await handler.check(message("text"), **in_state))[0] is False
    assert (await handler.check(message(None), raw_state=None))[0] is False

    assert (await child.message.check_root_filters(message("x")))[0] is True
    assert threads == [threading.current_thread().name]
