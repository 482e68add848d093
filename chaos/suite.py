"""Runs trials against one fake Telegram and one simulator, and prints the table."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from chaos.core import SIM_FAULT_DELAY_SECONDS, Context, TrialError, TrialResult
from chaos.process import log_problems
from chaos.trials import TRIALS, Trial
from simulators.panel import PanelSimulator
from tests.fake_telegram import FakeTelegram


@dataclass
class Outcome:
    trial: str
    size: int
    result: TrialResult
    seconds: float


@asynccontextmanager
async def suite_context(seed: int, workdir: Path) -> AsyncIterator[Context]:
    """The fake Telegram and the simulator, in this process, on 127.0.0.1."""
    async with FakeTelegram() as fake:
        sim = PanelSimulator(
            tick_seconds=None, seed=seed, fault_delay_seconds=SIM_FAULT_DELAY_SECONDS
        )
        await sim.start()
        try:
            yield Context(fake, sim, seed, workdir)
        finally:
            await sim.stop()


def select(only: Iterable[str] = ()) -> list[Trial]:
    wanted = set(only)
    unknown = wanted - {trial.name for trial in TRIALS}
    if unknown:
        raise ValueError(f"no trial {sorted(unknown)}; trials: {[t.name for t in TRIALS]}")
    return [trial for trial in TRIALS if not wanted or trial.name in wanted]


async def run_trial(ctx: Context, trial: Trial, size: int) -> Outcome:
    """One trial, bounded in time: a stuck or crashing trial fails alone, with its reason."""
    started = time.monotonic()
    limit = trial.time_limit(size)
    try:
        async with asyncio.timeout(limit):
            result = await trial.run(ctx, size)
    except TimeoutError:
        result = broken(ctx, f"hung: not finished within {limit:.0f} s")
    except TrialError as error:
        result = broken(ctx, str(error))
    except Exception as error:
        result = broken(ctx, f"crashed: {type(error).__name__}: {error}")
    finally:
        await ctx.cleanup()
    return Outcome(trial.name, size, result, time.monotonic() - started)


def broken(ctx: Context, reason: str) -> TrialResult:
    """A trial that could not finish: its reason, and what the bot's logs say."""
    result = TrialResult()
    logs = [f"{p.log}: {problem}" for shop in ctx.shops for p in shop.processes
            for problem in log_problems(p.log_text())]  # fmt: skip
    result.record("whole trial", [reason, *logs])
    return result


async def run_suite(
    seed: int, full: bool, only: Iterable[str] = (), workdir: Path | None = None
) -> list[Outcome]:
    trials = select(only)
    root = workdir or Path(tempfile.mkdtemp(prefix="chaos-"))
    async with suite_context(seed, root) as ctx:
        return [await run_trial(ctx, trial, trial.size(full)) for trial in trials]


def table(outcomes: list[Outcome]) -> str:
    header = (
        f"{'trial':<26}{'size':>6}{'tried':>7}{'held':>7}{'failed':>8}{'max stop':>10}{'time':>8}"
    )
    lines = [header, "-" * len(header)]
    for o in outcomes:
        r = o.result
        stop = f"{max(r.stop_seconds):.2f} s" if r.stop_seconds else "-"
        lines.append(
            f"{o.trial:<26}{o.size:>6}{r.tried:>7}{r.held:>7}{r.failed:>8}{stop:>10}"
            f"{o.seconds:>7.0f}s"
        )
    return "\n".join(lines)


def report(outcomes: list[Outcome], seed: int, full: bool, workdir: Path | None) -> str:
    lines = [table(outcomes)]
    for outcome in outcomes:
        lines += [short(f"FAILED {outcome.trial}: {line}") for line in outcome.result.failures]
        lines += [short(f"note {outcome.trial}: {note}") for note in outcome.result.notes]
    flags = " --full" if full else ""
    kept = f"; logs and databases in {workdir}" if workdir else ""
    lines.append(f"seed {seed} (replay: python -m chaos{flags} --seed {seed}){kept}")
    return "\n".join(lines)


def short(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def remove(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
