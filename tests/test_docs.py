"""The project's documents point at what is there: every repository path a Markdown page names
(in backticks, or as a link) exists, and every `.md` the code names is in the repository."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IN_BACKTICKS = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MD_NAMED = re.compile(r"[\w./-]*\w\.md\b")
PLACEHOLDER = re.compile(r"<[^>/]+>|NNNN")  # bot/locales/<lang>/..., migrations/NNNN_*.sql
CODE_SUFFIXES = {".py", ".toml", ".yaml", ".cfg"}
CODE_NAMES = {"Makefile", "Dockerfile"}


def ignored_folders() -> list[str]:
    """The folders .gitignore keeps out of the repository (.venv/, data/, *.egg-info/...)."""
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip().endswith("/")]


def files(*, suffixes: set[str], names: frozenset[str] = frozenset()) -> list[Path]:
    """The repository's files of these kinds; hidden and ignored folders are not entered."""
    ignored = ignored_folders()
    found = []
    for folder, subfolders, filenames in os.walk(ROOT):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".")
            and not any(fnmatch.fnmatch(name, pattern) for pattern in ignored)
        ]
        found += [
            Path(folder, name)
            for name in filenames
            if Path(name).suffix in suffixes or name in names
        ]
    return sorted(found)


def top_folders() -> set[str]:
    """A path is the repository's when it starts with one of its folders: `bot/app.py`,
    `docs/`; `data/bot.sqlite3` (made at run time) and `text/html` are not."""
    ignored = ignored_folders()
    return {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and not any(fnmatch.fnmatch(path.name, pattern) for pattern in ignored)
    }


def exists(base: Path, named: str) -> bool:
    pattern = PLACEHOLDER.sub("*", named.split("#")[0]).rstrip("/")
    if "*" in pattern:
        return any(base.glob(pattern))
    return (base / pattern).exists()


def test_the_documents_find_every_file_they_name() -> None:
    folders = top_folders()
    missing = []
    for page in files(suffixes={".md"}):
        text = page.read_text(encoding="utf-8")
        for named in IN_BACKTICKS.findall(text):
            if "/" in named and named.split("/")[0] in folders and not exists(ROOT, named):
                missing.append(f"{page.relative_to(ROOT)}: `{named}`")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:|#", target):  # a web address or an anchor of the same page
                continue
            if not exists(page.parent, target):
                missing.append(f"{page.relative_to(ROOT)}: ({target})")
    assert not missing


def test_every_page_the_code_names_is_in_the_repository() -> None:
    missing = [
        f"{path.relative_to(ROOT)}: {named}"
        for path in files(suffixes=CODE_SUFFIXES, names=frozenset(CODE_NAMES))
        for named in MD_NAMED.findall(path.read_text(encoding="utf-8"))
        if not (ROOT / named).is_file()
    ]
    assert not missing


def test_the_checks_see_the_documents() -> None:
    pages = {path.relative_to(ROOT).as_posix() for path in files(suffixes={".md"})}
    assert {"README.md", "docs/architecture.md", "docs/panel-api.md", "docs/design.md"} <= pages
    assert {"bot", "docs", "simulators", "tests"} <= top_folders()
    assert "data" not in top_folders()
