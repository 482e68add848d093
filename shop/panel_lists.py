"""What a panel's list says, made fit to store and sell: each id once, a sensible range."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def last_of_each(items: Iterable[T], key: Callable[[T], int]) -> list[T]:
    """Each id once, where it first stood (a panel that repeats one: the last wins)."""
    return list({key(item): item for item in items}.values())


def quantity_range(minimum: int, maximum: int) -> tuple[int, int]:
    """A panel's min and max as the shop sells them: at least 1, the max never below the min."""
    return max(1, minimum), max(1, minimum, maximum)
