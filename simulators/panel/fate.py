"""How simulated items end: the odds, rolled on one seeded generator per panel so that a run
is reproducible from its seed."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Odds:
    partial: float = 0.1
    canceled: float = 0.05
    rejected: float = 0.1  # refills
    overdelivery: float = 0.2  # service orders that deliver a few more than asked


class Fate:
    def __init__(self, seed: int, odds: Odds) -> None:
        self._rng = random.Random(seed)
        self.odds = odds

    def outcome(self, quantity: int, *, may_overdeliver: bool) -> tuple[str, int]:
        """(final status, remains at the end); negative remains is an overdelivery."""
        roll = self._rng.random()
        if roll < self.odds.canceled:
            return "Canceled", quantity
        if roll < self.odds.canceled + self.odds.partial and quantity > 1:
            return "Partial", self._rng.randint(1, quantity - 1)
        if may_overdeliver and self._rng.random() < self.odds.overdelivery:
            return "Completed", -self._rng.randint(1, 10)
        return "Completed", 0

    def start_count(self) -> int:
        return self._rng.randint(0, 5000)

    def refill_outcome(self) -> str:
        return "Rejected" if self._rng.random() < self.odds.rejected else "Completed"

    def codes(self, count: int) -> str:
        """A product order's result: one made-up code a line."""
        return "\n".join(
            str(uuid.UUID(int=self._rng.getrandbits(128), version=4)) for _ in range(count)
        )
