"""Reads remembered in memory until the data they read changes.

For tables this process alone writes, through the same repository object (the catalog, the
markup rules): every write calls `forget()`, and a read that raced a write is not kept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

MEMO_LIMIT = 4096  # distinct reads remembered; past it all are dropped and read afresh
P = ParamSpec("P")
R = TypeVar("R")
Repository = TypeVar("Repository", bound="Remembering")


class Remembering:
    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._version = 0

    def forget(self) -> None:
        """Drop what is remembered: after every write (and in the benches, to time reads)."""
        self._version += 1
        self._memo.clear()


def remembered(
    read: Callable[Concatenate[Repository, P], Awaitable[R]],
) -> Callable[Concatenate[Repository, P], Awaitable[R]]:
    """Answer a read from memory when it was made since the repository last changed. A list
    is copied out, so that a caller cannot change what the others read."""

    async def remembering(self: Repository, /, *args: P.args, **kwargs: P.kwargs) -> R:
        key = (read.__name__, args, tuple(sorted(kwargs.items())))
        if key in self._memo:
            value: R = self._memo[key]
        else:
            version = self._version
            value = await read(self, *args, **kwargs)
            if version == self._version:  # not a read that raced a write
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()
                self._memo[key] = value
        return list(value) if isinstance(value, list) else value  # type: ignore[return-value]

    return remembering
