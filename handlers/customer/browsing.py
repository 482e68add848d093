"""Browsing a shelf, services or products alike: its categories (8 a page), a category's items,
an item's card, and what a stale button says. Each shelf's module says what differs (texts,
buttons, data) in a `Shelf` and registers the ways in with `register_shelf`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from aiogram import F, Router
from aiogram.filters import Command, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import MenuCb
from handlers.common import show
from shop.formatting import quote
from shop.i18n import _
from shop.paging import Page
from shop.services import Services
from storage.catalog import Category

Item = TypeVar("Item")


class PageData(Protocol):
    page: int


class CategoryData(Protocol):
    id: int
    page: int


class ItemData(Protocol):
    id: int


Find = Callable[[Services, int], Awaitable[object | None]]


class Offered(Filter):
    """Passes when the item a button names is on sale (`find` finds it), handing the handler
    its `offer`; otherwise the update goes on to the handler that says it is gone."""

    def __init__(self, find: Find) -> None:
        self._find = find

    async def __call__(
        self, callback: CallbackQuery, callback_data: ItemData, services: Services
    ) -> bool | dict[str, Any]:
        offer = await self._find(services, callback_data.id)
        return False if offer is None else {"offer": offer}


@dataclass(frozen=True, slots=True)
class Shelf(Generic[Item]):
    command: str  # /services
    menu: str  # the main menu button's MenuCb(to=...)
    title: Callable[[], str]  # above the categories
    empty: Callable[[], str]  # when there is nothing to show
    category_title: Callable[[str], str]  # above a category's items, given its (quoted) name
    categories_cb: type[CallbackData]  # a page of categories: (page)
    category_cb: type[CallbackData]  # a page of one category's items: (id, page)
    item_button: Callable[[Item, int], InlineKeyboardButton]  # an item, on the category's page
    categories: Callable[[Services, int], Awaitable[Page[Category]]]
    category: Callable[[Services, int], Awaitable[Category | None]]
    items: Callable[[Services, Category, int], Awaitable[Page[Item]]]
    card_cb: type[CallbackData]  # an item's card: (id, page)
    offer: Find  # an item's offer, None when it is not on sale
    gone: Callable[[], str]  # a card's button whose item is no longer on sale


def categories_keyboard(shelf: Shelf[Any], page: Page[Category]) -> InlineKeyboardMarkup:
    items = [
        keyboards.button(
            keyboards.label(f"{category.name} ({category.service_count})"),
            shelf.category_cb(id=category.id),
        )
        for category in page.items
    ]
    return keyboards.rows_with_pager(
        items, page, lambda p: shelf.categories_cb(page=p), keyboards.home_button()
    )


def items_keyboard(
    shelf: Shelf[Item], category: Category, page: Page[Item]
) -> InlineKeyboardMarkup:
    items = [shelf.item_button(item, page.page) for item in page.items]
    back = keyboards.button(_("⬅️ Categories"), shelf.categories_cb())
    return keyboards.rows_with_pager(
        items, page, lambda p: shelf.category_cb(id=category.id, page=p), back
    )


async def show_categories(
    target: Message | CallbackQuery, shelf: Shelf[Any], services: Services, page: int
) -> None:
    categories = await shelf.categories(services, page)
    if not categories.items:
        await show(target, shelf.empty(), keyboards.back_home())
        return
    await show(target, shelf.title(), categories_keyboard(shelf, categories))


def register_shelf(router: Router, shelf: Shelf[Any], card: Callable[..., Awaitable[None]]) -> None:
    """/command and the menu button open the categories; their pages; a category's items; an
    item's card (`card`, given the `offer`), or the categories again when it is gone."""

    async def by_command(message: Message, state: FSMContext, services: Services) -> None:
        await state.clear()
        await show_categories(message, shelf, services, 0)

    async def by_button(callback: CallbackQuery, state: FSMContext, services: Services) -> None:
        await state.clear()
        await show_categories(callback, shelf, services, 0)

    async def categories_page(
        callback: CallbackQuery, callback_data: PageData, services: Services
    ) -> None:
        await show_categories(callback, shelf, services, callback_data.page)

    async def category_page(
        callback: CallbackQuery,
        callback_data: CategoryData,
        services: Services,
        callback_answer: CallbackAnswer,
    ) -> None:
        category = await shelf.category(services, callback_data.id)
        if category is None or category.service_count == 0:
            callback_answer.text = _("This category is no longer available.")
            await show_categories(callback, shelf, services, 0)
            return
        items = await shelf.items(services, category, callback_data.page)
        title = shelf.category_title(quote(category.name))
        await show(callback, title, items_keyboard(shelf, category, items))

    router.message.register(by_command, Command(shelf.command))
    router.callback_query.register(by_button, MenuCb.filter(F.to == shelf.menu))
    router.callback_query.register(categories_page, shelf.categories_cb.filter())
    router.callback_query.register(category_page, shelf.category_cb.filter())

    async def card_gone(
        callback: CallbackQuery, services: Services, callback_answer: CallbackAnswer
    ) -> None:
        callback_answer.text = shelf.gone()
        await show_categories(callback, shelf, services, 0)

    router.callback_query.register(card, shelf.card_cb.filter(), Offered(shelf.offer))
    router.callback_query.register(card_gone, shelf.card_cb.filter())
