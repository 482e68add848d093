"""Run synchronous filters on the event loop instead of in a worker thread.

aiogram awaits every synchronous filter (a `State` such as `Ordering.link`, an `F` expression
such as `~F.text`) through `asyncio.to_thread`. Each update is checked against many handlers
before one matches, so a text message paid for several thread hand-offs (and the event loop
wake-ups that come with them) before any of our code ran: profiling the updates benchmark showed
more CPU in those hand-offs than in our handlers. Our filters are cheap and never block, so they
run inline, as aiogram already runs asynchronous filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject


def run_sync_filters_inline(root: Router) -> int:
    """Make every synchronous filter in `root` and its sub-routers awaitable in place.
    Returns how many filters were changed (a second call changes none)."""
    changed = 0
    for handler in _handlers(root):
        for event_filter in handler.filters or ():
            if not event_filter.awaitable:
                _make_inline(event_filter)
                changed += 1
    return changed


def _handlers(root: Router) -> Iterator[HandlerObject]:
    for router in root.chain_tail:
        for observer in router.observers.values():
            yield from observer.handlers
            root_filters = getattr(observer, "_handler", None)  # `router.message.filter(...)`
            if isinstance(root_filters, HandlerObject):
                yield root_filters


def _make_inline(event_filter: FilterObject) -> None:
    check: Callable[..., Any] = event_filter.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    # `params` (the keyword arguments the filter accepts) were read from `check` already.
    event_filter.callback = inline
    event_filter.awaitable = True
