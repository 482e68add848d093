"""What a person types while ordering, checked against what the panel allows.

Each check returns the clean value or raises InputError with a reason the handlers put in words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

MAX_LINK_LENGTH = 2048
MAX_LINE_LENGTH = 1000
MAX_LIST_LINES = 100  # a Special (1DG) list, its suggested videos, its search keywords
# Digits with optional thousands separators, as any of our languages writes them: 1000, 1,000,
# 1 000 (also with a no-break space), 1.000 (Vietnamese), 1_000.
GROUP_SEPARATORS = " ,._\u00a0\u202f"
WHOLE_NUMBER = re.compile(rf"^\d{{1,3}}(?:[{GROUP_SEPARATORS}]?\d{{3}})*$|^\d+$")
HOST = re.compile(r"^(?=.{1,253}$)([\w-]{1,63}\.)+[\w-]{2,63}$|^localhost$", re.IGNORECASE)


class Problem(StrEnum):
    NOT_TEXT = "not_text"
    NOT_A_LINK = "not_a_link"
    LINK_TOO_LONG = "link_too_long"
    NOT_A_NUMBER = "not_a_number"
    NOT_WHOLE = "not_whole"
    NOT_POSITIVE = "not_positive"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    TOO_FEW_LINES = "too_few_lines"
    TOO_MANY_LINES = "too_many_lines"
    LINE_TOO_LONG = "line_too_long"
    CONTROL_CHARACTER = "control_character"
    TOTAL_TOO_LARGE = "total_too_large"  # drip-feed: quantity x runs above the service's max


@dataclass(frozen=True)
class InputError(Exception):
    problem: Problem
    minimum: int = 0
    maximum: int = 0
    details: dict[str, str] = field(default_factory=dict)


def is_control(char: str) -> bool:
    """NUL, BEL and the like: never part of what a person means to send (a tab is kept)."""
    return unicodedata.category(char) == "Cc" and char != "\t"


def is_invisible(char: str) -> bool:
    """A control or format character (zero-width, direction marks): never in a real link."""
    return unicodedata.category(char) in {"Cc", "Cf"}


def parse_link(text: str | None) -> str:
    """An http(s) URL with a host; `youtu.be/x` becomes `https://youtu.be/x`."""
    if text is None:
        raise InputError(Problem.NOT_TEXT)
    link = text.strip()
    if len(link) > MAX_LINK_LENGTH:
        raise InputError(Problem.LINK_TOO_LONG, maximum=MAX_LINK_LENGTH)
    if not link or any(char.isspace() or is_invisible(char) for char in link):
        raise InputError(Problem.NOT_A_LINK)
    if "://" not in link:
        link = f"https://{link}"
    try:
        parts = urlsplit(link)
        host = parts.hostname or ""
    except ValueError:
        raise InputError(Problem.NOT_A_LINK) from None
    if parts.scheme.lower() not in {"http", "https"} or not HOST.match(host):
        raise InputError(Problem.NOT_A_LINK)
    return link


def parse_quantity(text: str | None, minimum: int, maximum: int) -> int:
    """A whole number within minimum..maximum; '1e9', '-5', '12.5' are refused with a reason."""
    if text is None:
        raise InputError(Problem.NOT_TEXT, minimum, maximum)
    cleaned = text.strip()
    if cleaned.startswith("-") and cleaned[1:].strip().isdigit():
        raise InputError(Problem.NOT_POSITIVE, minimum, maximum)
    if re.fullmatch(r"\d+[.,]\d+", cleaned) and not WHOLE_NUMBER.match(cleaned):
        raise InputError(Problem.NOT_WHOLE, minimum, maximum)
    if not WHOLE_NUMBER.match(cleaned):
        raise InputError(Problem.NOT_A_NUMBER, minimum, maximum)
    value = int(re.sub(rf"[{GROUP_SEPARATORS}]", "", cleaned))
    if value <= 0:
        raise InputError(Problem.NOT_POSITIVE, minimum, maximum)
    if value < minimum:
        raise InputError(Problem.TOO_SMALL, minimum, maximum)
    if value > maximum:
        raise InputError(Problem.TOO_LARGE, minimum, maximum)
    return value


def parse_lines(text: str | None, minimum: int, maximum: int) -> list[str]:
    """Non-empty lines, each kept as typed (trimmed), their count within minimum..maximum."""
    if text is None:
        raise InputError(Problem.NOT_TEXT, minimum, maximum)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(is_control(char) for line in lines for char in line):
        raise InputError(Problem.CONTROL_CHARACTER, minimum, maximum)
    if any(len(line) > MAX_LINE_LENGTH for line in lines):
        raise InputError(Problem.LINE_TOO_LONG, minimum, maximum, {"limit": str(MAX_LINE_LENGTH)})
    if len(lines) < minimum:
        raise InputError(Problem.TOO_FEW_LINES, minimum, maximum, {"count": str(len(lines))})
    if len(lines) > maximum:
        raise InputError(Problem.TOO_MANY_LINES, minimum, maximum, {"count": str(len(lines))})
    return lines
