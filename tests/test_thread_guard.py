"""The test run ends even when a test leaves a thread running (tests/thread_guard.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LEAKS = """
import threading

def test_forgets_a_worker_thread():
    threading.Thread(target=threading.Event().wait, name="never-ends").start()
"""

TIDY = """
import threading

def test_waits_for_its_thread():
    worker = threading.Thread(target=lambda: None, name="ends-at-once")
    worker.start()
    worker.join()
"""


def run_pytest(folder: Path, test_module: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_it.py").write_text(test_module, encoding="utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.thread_guard",
            "-p",
            "no:cacheprovider",
            "test_it.py",
        ],
        cwd=folder,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,  # without the guard this run would never end
        check=False,
    )


def test_a_thread_left_running_ends_the_run_failing_and_named(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, LEAKS)
    assert "1 passed" in result.stdout  # the test itself passed; the run still fails
    assert result.returncode != 0
    assert "never-ends" in result.stderr


def test_a_run_that_leaves_no_thread_is_not_affected(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, TIDY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "still running" not in result.stderr
