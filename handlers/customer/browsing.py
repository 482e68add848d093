"""Browsing a shelf, services or products alike: its categories (8 a page), a category's items,
and what a stale button says. Each shelf's module says what differs (texts, keyboards, data)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.common import show
from handlers.deps import Services
from shop.catalog import Page
from shop.formatting import quote
from shop.i18n import _
from storage.catalog import Category

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Shelf(Generic[Item]):
    title: Callable[[], str]  # above the categories
    empty: Callable[[], str]  # when there is nothing to show
    category_title: Callable[[str], str]  # above a category's items, given its (quoted) name
    categories: Callable[[Services, int], Awaitable[Page[Category]]]
    category: Callable[[Services, int], Awaitable[Category | None]]
    items: Callable[[Services, Category, int], Awaitable[Page[Item]]]
    categories_keyboard: Callable[[Page[Category]], InlineKeyboardMarkup]
    items_keyboard: Callable[[Category, Page[Item]], InlineKeyboardMarkup]


async def show_categories(
    target: Message | CallbackQuery, shelf: Shelf[Any], services: Services, page: int
) -> None:
    categories = await shelf.categories(services, page)
    if not categories.items:
        await show(target, shelf.empty(), keyboards.back_home())
        return
    await show(target, shelf.title(), shelf.categories_keyboard(categories))


async def show_category(
    callback: CallbackQuery,
    shelf: Shelf[Any],
    services: Services,
    category_id: int,
    page: int,
    callback_answer: CallbackAnswer,
) -> None:
    category = await shelf.category(services, category_id)
    if category is None or category.service_count == 0:
        callback_answer.text = _("This category is no longer available.")
        await show_categories(callback, shelf, services, 0)
        return
    items = await shelf.items(services, category, page)
    await show(
        callback, shelf.category_title(quote(category.name)), shelf.items_keyboard(category, items)
    )
