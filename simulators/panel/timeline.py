"""When a simulated item's timed steps fall due: one step every ``tick_seconds`` since its
anchor, worked out lazily when someone looks (a status call, ``advance(0)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Timed(Protocol):
    anchor: float
    frozen: bool

    @property
    def is_final(self) -> bool: ...


class Timeline:
    """The clock and the step length every part of one panel shares."""

    def __init__(self, clock: Callable[[], float], tick_seconds: float | None) -> None:
        self.clock = clock
        self.tick_seconds = tick_seconds

    def now(self) -> float:
        return self.clock()

    def due_steps(self, item: Timed) -> int:
        """Timed steps owed since ``item.anchor``; moves the anchor past them."""
        if item.frozen or not self.tick_seconds or item.is_final:
            return 0
        due = int((self.clock() - item.anchor) // self.tick_seconds)
        if due <= 0:
            return 0
        item.anchor += due * self.tick_seconds
        return min(due, 2)  # two steps reach a final state
