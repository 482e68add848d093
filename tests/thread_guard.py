"""The test run always ends.

A thread left running (an aiosqlite connection never closed keeps its worker thread, which is
not a daemon) would keep the interpreter alive after the last test, for ever. At the very end of
the run this names such threads and ends the process with a failing status instead of hanging.
A run that leaves no thread behind is not affected.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

GRACE_SECONDS = 2.0  # a thread that is just finishing (a connection closing) gets this long
_exit_status = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_exit_status] = int(exitstatus)


@pytest.hookimpl(trylast=True)  # after the summary and every other plugin's clean-up
def pytest_unconfigure(config: pytest.Config) -> None:
    lingering = lingering_threads(GRACE_SECONDS)
    if not lingering:
        return
    names = ", ".join(sorted(thread.name for thread in lingering))
    sys.stdout.flush()
    sys.stderr.write(
        f"\n{len(lingering)} thread(s) still running after the tests, which would keep pytest "
        f"from ever exiting (a database connection not closed?): {names}\n"
    )
    sys.stderr.flush()
    os._exit(config.stash.get(_exit_status, 0) or 1)


def lingering_threads(grace: float) -> list[threading.Thread]:
    """Threads that would keep the interpreter from exiting, after `grace` seconds to end."""
    deadline = time.monotonic() + grace
    lingering = []
    for thread in threading.enumerate():
        if thread.daemon or thread is threading.current_thread():
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            lingering.append(thread)
    return lingering
