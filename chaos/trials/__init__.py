"""The trials, each `async def trial(ctx, size) -> TrialResult`, with their sizes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chaos.core import Context, TrialResult
from chaos.trials import (
    doors,
    double_spend,
    fuzz,
    kill9_burst,
    panel_faults,
    resolve_race,
    sigterm,
    telegram_faults,
)

TrialFunction = Callable[[Context, int], Awaitable[TrialResult]]


@dataclass(frozen=True)
class Trial:
    name: str
    run: TrialFunction
    small: int
    full: int
    seconds_per_unit: float  # with a fixed allowance, how long it may take before it "hangs"

    def size(self, full: bool) -> int:
        return self.full if full else self.small

    def time_limit(self, size: int) -> float:
        return 120.0 + self.seconds_per_unit * size


TRIALS = (
    Trial("resolve_race", resolve_race.trial, small=8, full=60, seconds_per_unit=3.0),
    Trial("double_spend", double_spend.trial, small=5, full=50, seconds_per_unit=5.0),
    Trial("kill9_burst", kill9_burst.trial, small=1, full=8, seconds_per_unit=60.0),
    Trial("sigterm_mid_conversation", sigterm.trial, small=4, full=30, seconds_per_unit=4.0),
    Trial("panel_faults", panel_faults.trial, small=1, full=4, seconds_per_unit=60.0),
    Trial("telegram_faults", telegram_faults.trial, small=4, full=40, seconds_per_unit=3.0),
    Trial("fuzz", fuzz.trial, small=3, full=12, seconds_per_unit=20.0),
    Trial("doors", doors.trial, small=1, full=5, seconds_per_unit=30.0),
)
