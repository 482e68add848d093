"""The Dockerfile copies every package the bot runs from (a fast check, in `make test`; the
full run of its steps is `make container-check`, tests/test_container.py)."""

from __future__ import annotations

import tomllib

from tests.test_container import ROOT, instructions

NOT_IN_THE_IMAGE = {"chaos"}  # the chaos suite drives a bot; the bot never imports it


def test_every_package_of_the_bot_is_copied_into_the_image() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in included} - NOT_IN_THE_IMAGE
    copied = {arguments.split()[0] for keyword, arguments in instructions() if keyword == "COPY"}
    assert packages <= copied, f"the Dockerfile does not COPY {sorted(packages - copied)}"
