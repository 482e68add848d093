"""Numbers as people type them: `1000`, `1000.50`, `1000,50`, `1 000,50`, `1,000.50`,
`1.000,50` all read as they are meant; `1,000` and `1.000` are refused as ambiguous (a thousand,
or one with three decimals?), since the bot itself prints `1,000.00` in English and `1.000,00`
in Vietnamese, and a copied figure must never be off by a thousand times."""

from __future__ import annotations

import re
from decimal import Decimal

ACCEPTED_FORMS = "1000, 1000.50, 1 000,50 or 1,000.50"
MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 6
SPACES = " \u00a0\u202f"  # a space, a no-break space, a narrow no-break space (Russian)
SPACE_GROUPED = re.compile(rf"\d{{1,3}}(?:[{SPACES}]\d{{3}})+(?:[.,]\d+)?", re.ASCII)
DIGITS_AND_MARKS = re.compile(r"\d[\d.,]*", re.ASCII)


class AmbiguousNumber(ValueError):
    """`1,000` or `1.000`: the reader cannot know which was meant."""


def parse_number(text: str) -> Decimal | None:
    """A number of at most 15 whole digits and 6 decimals, or None when `text` is not one.
    Raises AmbiguousNumber for a single `,` or `.` followed by exactly three digits after one
    to three digits (`1,000`, `12.500`), where grouping and decimals read alike."""
    cleaned = text.strip()
    spaced = SPACE_GROUPED.fullmatch(cleaned) is not None
    if spaced:
        cleaned = re.sub(rf"[{SPACES}]", "", cleaned)
    if not DIGITS_AND_MARKS.fullmatch(cleaned):
        return None
    split = _split(cleaned, spaced)
    if split is None:
        return None
    whole, fraction = split
    if len(whole) > MAX_INTEGER_DIGITS or len(fraction) > MAX_DECIMALS:
        return None
    value = Decimal(f"{whole}.{fraction or 0}")
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _split(text: str, spaced: bool) -> tuple[str, str] | None:
    """(whole digits, decimal digits) of digits with `,` and `.` marks; None if malformed."""
    marks = {mark for mark in ",." if mark in text}
    if not marks:
        return text, ""
    if len(marks) == 2:  # 1,000.50 or 1.000,50: the last mark is the decimal one
        decimal = max(marks, key=text.rfind)
        group = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        if group in fraction or not _grouped(whole, group):
            return None
        return whole.replace(group, ""), fraction
    mark = marks.pop()
    parts = text.split(mark)
    if len(parts) > 2:  # 1,000,000: only grouping
        return (text.replace(mark, ""), "") if _grouped(text, mark) else None
    whole, fraction = parts
    if not fraction:
        return None
    if not spaced and len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0"):
        raise AmbiguousNumber(text)
    return whole, fraction


def _grouped(text: str, mark: str) -> bool:
    """1,000 or 12,345,678: thousands grouped by `mark` (at least one mark)."""
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+", text, re.ASCII) is not None


def split_leading_number(text: str) -> tuple[str, str]:
    """`1 000,50 bonus` -> ('1 000,50', 'bonus'): a number grouped with spaces stays whole;
    otherwise the first word is the number."""
    text = text.strip()
    spaced = SPACE_GROUPED.match(text)
    if spaced and (len(text) == spaced.end() or text[spaced.end()].isspace()):
        return spaced.group(0), text[spaced.end() :].strip()
    first, _, rest = text.partition(" ")
    return first, rest.strip()
