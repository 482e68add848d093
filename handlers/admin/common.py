"""Small things every admin module says the same way."""

from __future__ import annotations

from shop.formatting import format_number


def counted(count: int, one: str, many: str) -> str:
    """Admin texts are English: '1 order', '2 orders'."""
    return f"{format_number(count)} {one if count == 1 else many}"


def whole_number(text: str) -> int | None:
    """An id as an admin types it: 42 or #42."""
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 18 else None
