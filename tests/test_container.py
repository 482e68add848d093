"""The Dockerfile's steps, run without Docker (images cannot be pulled on this machine).

The test reads the Dockerfile and does what it says, in a temporary folder standing for the
image: the COPY lines build the context, ENV sets the environment, the `pip install` RUN line
runs in a fresh virtualenv (as the image's Python), then CMD starts the bot against the fake
Telegram (no PROVIDER_URL: the built-in simulated panel), HEALTHCHECK's command must pass, and
SIGTERM must stop it cleanly. Not run: the line that creates the unprivileged user (root and
the system's user database), and the base image itself. ~40 s, so outside `make test`:
`make container-check`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_telegram import TEST_TOKEN, FakeTelegram
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.container, pytest.mark.timeout(600)]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(arguments: str) -> list[str]:
    """CMD ["python", "-m", "bot"] -> the list; HEALTHCHECK's options before its CMD dropped."""
    return list(json.loads(arguments[arguments.index("[") :]))


async def run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, f"{shlex.join(command)} failed:\n{output.decode()[-3000:]}"


async def test_the_dockerfile_installs_starts_passes_its_healthcheck_and_stops(
    tmp_path: Path,
) -> None:
    app, data, venv = tmp_path / "app", tmp_path / "data", tmp_path / "venv"
    app.mkdir()
    data.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_NO")}
    env.pop("PYTHONPATH", None)
    steps = instructions()
    assert ("FROM", "python:3.11-slim") in steps
    for keyword, arguments in steps:
        if keyword == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                if key != "PIP_NO_CACHE_DIR":  # the test may use pip's cache; the image keeps none
                    env[key] = value
        elif keyword == "COPY":
            *sources, target = shlex.split(arguments)
            for source in sources:
                destination = app / target / (Path(source).name if target.endswith("/") else "")
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source, destination, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(ROOT / source, destination)
    # The image's own Python, with nothing installed yet.
    await run([sys.executable, "-m", "venv", str(venv)], env, tmp_path)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    installs = [
        arguments
        for keyword, arguments in steps
        if keyword == "RUN" and arguments.startswith("pip ")
    ]
    assert installs == ["pip install -c requirements.lock ."]
    for arguments in installs:
        await run([str(venv / "bin" / "pip"), *shlex.split(arguments)[1:]], env, app)

    [healthcheck] = [exec_form(a) for k, a in steps if k == "HEALTHCHECK"]
    [command] = [exec_form(a) for k, a in steps if k == "CMD"]
    assert env["DATABASE_PATH"] == "/data/bot.sqlite3"  # the volume; here a folder of the test
    async with FakeTelegram() as fake:
        env |= {
            "BOT_TOKEN": TEST_TOKEN,
            "TELEGRAM_API_URL": fake.base_url,
            "DATABASE_PATH": str(data / "bot.sqlite3"),
            "WEB_HOST": "127.0.0.1",  # the image listens on every address; a test stays local
            "WEB_PORT": str(free_port()),
        }
        python = str(venv / "bin" / "python")
        bot = await asyncio.create_subprocess_exec(
            python, *command[1:], env=env, cwd=app,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            exited = asyncio.ensure_future(bot.wait())
            polling = asyncio.ensure_future(fake.wait_for(lambda: fake.pending_polls or None, 120))
            await asyncio.wait({exited, polling}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done():  # e.g. a package the image does not copy: say why, at once
                polling.cancel()
                assert bot.stdout is not None
                early = (await bot.stdout.read()).decode()
                raise AssertionError(f"the bot exited at start:\n{early[-3000:]}")
            await polling
            exited.cancel()
            await run([python, *healthcheck[1:]], env, app)
            bot.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(bot.communicate(), 30)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
    log, exit_code = output.decode(), await bot.wait()
    assert exit_code == 0, log[-3000:]
    assert "Traceback" not in log and "SIMULATED panel" in log
    assert (data / "bot.sqlite3").exists()
