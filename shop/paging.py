"""Pages of a long list (categories, services, products, orders): which page exists, and
reading one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

PAGE_SIZE = 8
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int  # items on every page together

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def clamp_page(page: int, total: int, size: int = PAGE_SIZE) -> int:
    return min(max(page, 0), page_count(total, size) - 1)


async def fetch_page(
    page: int, total: int, fetch: Callable[[int, int], Awaitable[list[T]]], size: int = PAGE_SIZE
) -> Page[T]:
    """Page `page` (clamped to what exists) of `total` items, `size` a page (the chat's 8; the
    Mini App's longer lists); fetch(offset, limit) reads it."""
    page = clamp_page(page, total, size)
    return Page(await fetch(page * size, size), page, page_count(total, size), total)
