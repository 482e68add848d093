"""bot/aiogram_patches.py: what each patch does, and the aiogram behaviour it relies on, pinned so
that an aiogram upgrade that changes it fails here, loudly, instead of quietly in production."""

import gc
import inspect
import ssl
import threading
import weakref
from datetime import UTC, datetime
from typing import Any

from aiogram import F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.fsm.state import State, StatesGroup
from aiogram.methods.base import Response
from aiogram.types import (
    Chat,
    Message,
)

from bot.aiogram_patches import TelegramSession, _is_plain_local, run_sync_filters_inline

# ---- 1. no TLS pause on close for a local plain-http server ----------------------------------


def test_aiogram_session_still_keeps_its_aiohttp_session_where_the_patch_closes_it() -> None:
    plain = AiohttpSession(api=TelegramAPIServer.from_base("http://x"))
    assert "_session" in vars(plain)
    assert "asyncio.sleep" in inspect.getsource(AiohttpSession.close)  # the pause skipped


def test_the_session_has_what_aiogram_would_build_with_one_shared_tls_context() -> None:
    api = TelegramAPIServer.from_base("https://api.telegram.org")
    own, ours, again = AiohttpSession(api=api), TelegramSession(api=api), TelegramSession(api=api)
    assert set(vars(ours)) == set(vars(own)) | {"_plain_local"}
    fresh = {"middleware", "_connector_init", "_plain_local"}  # a new object in each session
    assert {k: v for k, v in vars(ours).items() if k not in fresh} == {
        k: v for k, v in vars(own).items() if k not in fresh
    }
    assert ours._connector_init.keys() == own._connector_init.keys()
    assert ours._connector_init["limit"] == own._connector_init["limit"]
    assert ours._connector_init["ssl"] is again._connector_init["ssl"]  # built once
    assert ours._connector_init["ssl"].verify_mode is ssl.CERT_REQUIRED


def test_only_plain_http_on_this_machine_skips_the_tls_pause() -> None:
    assert _is_plain_local("http://127.0.0.1:8081/bot{token}/{method}")
    assert _is_plain_local("http://localhost:8081/bot{token}/{method}")
    assert _is_plain_local("http://[::1]:8081/bot{token}/{method}")
    assert not _is_plain_local("https://127.0.0.1/bot{token}/{method}")
    assert not _is_plain_local("https://api.telegram.org/bot{token}/{method}")
    assert not _is_plain_local("http://10.0.0.5:8081/bot{token}/{method}")


# ---- 2. synchronous filters on the event loop -----------------------------------------------------


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


async def test_aiogram_still_sends_sync_filters_to_a_thread_without_the_patch() -> None:
    """The patch's reason to be: unpatched, a synchronous filter runs in a worker thread."""
    root, threads = build()
    child = root.sub_routers[0]
    await child.message.check_root_filters(message("x"))
    assert threads and threads[0] != threading.current_thread().name


def test_aiogram_filter_objects_still_have_what_the_patch_changes() -> None:
    fields = set(FilterObject.__dataclass_fields__)
    assert {"callback", "awaitable", "params"} <= fields
    router = Router()
    router.message.filter(lambda event: True)
    assert isinstance(router.message._handler, HandlerObject)  # where root filters live


# ---- 3. response models kept built -------------------------------------------------------------


def test_pydantic_still_forgets_an_unreferenced_response_model() -> None:
    """Why KeepResponseModels holds them: `Response[X]` is cached only weakly, so it is built
    again after a collection once nothing else holds it."""
    model = Response[list[tuple[int, bytes, frozenset[str]]]]  # a type no call returns
    assert model is Response[list[tuple[int, bytes, frozenset[str]]]]  # cached while held
    held = weakref.ref(model)
    del model
    gc.collect()
    assert held() is None
