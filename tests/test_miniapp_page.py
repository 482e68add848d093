"""The Mini App's page as files: small enough for a phone connection, loaded from our own server
only (Telegram's script aside), and never turning text into HTML."""

from __future__ import annotations

import re
from pathlib import Path

from miniapp.web import STATIC, TELEGRAM_SCRIPT_ORIGIN, load_static

PAGE_BUDGET_BYTES = 150 * 1024  # the page, gzip'd, without Telegram's own script
CODE = (".html", ".js", ".mjs", ".css")
IMPORT = re.compile(r"""(?:import|export)\s*(?:[\w{},*\s]+from\s*)?["']([^"']+)["']""")


def page_files() -> list[Path]:
    return sorted(path for path in STATIC.rglob("*") if path.suffix in CODE)


def test_the_page_is_at_most_150_kb_compressed() -> None:
    served = load_static()
    names = [path.relative_to(STATIC).as_posix() for path in page_files()]
    compressed = sum(len(served[name].gzipped) for name in names)
    print(f"the page: {len(names)} files, {compressed / 1024:.1f} KB gzip'd")
    assert compressed <= PAGE_BUDGET_BYTES


def test_only_our_own_files_and_telegrams_script_are_loaded() -> None:
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", index)
    outside = [source for source in sources if "://" in source]
    assert outside == [f"{TELEGRAM_SCRIPT_ORIGIN}/js/telegram-web-app.js"]
    for path in page_files():
        if path.suffix in {".js", ".mjs"}:
            for target in IMPORT.findall(path.read_text(encoding="utf-8")):
                assert target.startswith("./"), f"{path.name} imports {target}"
                assert (path.parent / target).resolve().is_file(), f"{path.name}: {target}"


def test_no_script_of_ours_turns_text_into_html() -> None:
    ours = [path for path in page_files() if path.suffix == ".js"]
    risky = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|eval\(")
    found = [path.name for path in ours if risky.search(path.read_text(encoding="utf-8"))]
    assert ours and not found
