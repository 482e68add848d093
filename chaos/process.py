"""The bot as a real process (`python -m bot`): started, killed with -9 or stopped with SIGTERM.

Every process writes its stderr (the log) to a file of its own; a stop is timed and the log is
read for tracebacks and ERROR lines.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.fake_telegram import TEST_TOKEN

ROOT = Path(__file__).resolve().parent.parent
STOP_LIMIT_SECONDS = 5.0
# How long a stop is waited for before the process is killed: long enough to measure a slow
# stop, short enough that a hung one fails its trial instead of the whole suite.
STOP_WAIT_SECONDS = 20.0
ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ", re.MULTILINE)
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: if the suite itself dies, its bot process dies too (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True)
class Endpoints:
    """Where the bot process finds Telegram and the panel, and who its admins are."""

    telegram_url: str
    panel_url: str
    admin_ids: tuple[int, ...]


@dataclass(frozen=True)
class StopReport:
    seconds: float
    exit_code: int | None
    problems: list[str]


def log_problems(text: str) -> list[str]:
    """Tracebacks and ERROR/CRITICAL lines of a log, as short descriptions."""
    problems = []
    tracebacks = text.count("Traceback")
    if tracebacks:
        problems.append(f"{tracebacks} traceback(s) in the log")
    errors = [match.group(0) for match in ERROR_LINE.finditer(text)]
    if errors:
        first = next(line for line in text.splitlines() if ERROR_LINE.match(line))
        problems.append(f"{len(errors)} ERROR line(s) in the log, first: {first[:240]}")
    return problems


class BotProcess:
    """One run of `python -m bot` over a database file."""

    def __init__(
        self,
        endpoints: Endpoints,
        database: Path,
        log: Path,
        poll_seconds: float,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.database = database
        self.log = log
        self.poll_seconds = poll_seconds
        self.settings = dict(settings or {})  # more of the bot's environment (WEBHOOK_URL, ...)
        self._process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "PROVIDER_"))}
        return (
            env
            | {
                "BOT_TOKEN": TEST_TOKEN,
                "TELEGRAM_API_URL": self.endpoints.telegram_url,
                "PROVIDER_URL": self.endpoints.panel_url,
                "PROVIDER_KEY": "demo",
                "DATABASE_PATH": str(self.database),
                "ADMIN_IDS": ",".join(str(i) for i in self.endpoints.admin_ids),
                "STATUS_POLL_SECONDS": str(self.poll_seconds),
                "MARKUP_PERCENT": "30",
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
            }
            | self.settings
        )

    async def start(self) -> None:
        # cwd is the trial's own directory: no .env of the working copy is read.
        with self.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", env=self.environment(), cwd=self.database.parent,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=die_with_parent,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self._process is None:
            return
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    async def stop(self) -> StopReport:
        """SIGTERM, timed; a process still running after STOP_WAIT_SECONDS is killed."""
        process = self._process
        assert process is not None, "not started"
        started = time.monotonic()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        problems = []
        try:
            await asyncio.wait_for(process.wait(), STOP_WAIT_SECONDS)
        except TimeoutError:
            problems.append(f"still running {STOP_WAIT_SECONDS:.0f} s after SIGTERM: killed")
            await self.kill()
        seconds = time.monotonic() - started
        if seconds > STOP_LIMIT_SECONDS and not problems:
            problems.append(f"stop took {seconds:.1f} s (limit {STOP_LIMIT_SECONDS:.0f} s)")
        if process.returncode not in (0, None) and not problems:
            problems.append(f"exit code {process.returncode} after SIGTERM")
        return StopReport(seconds, process.returncode, problems)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
