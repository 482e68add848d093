"""Browsing: categories, a category's services, a service card. Reads only the local catalog."""

from __future__ import annotations

import re

from aiogram import F, Router, html
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.catalog import Catalog, Offer
from bot.formatting import format_money, format_number
from handlers import keyboards
from handlers.callbacks import CategoriesCb, CategoryCb, MenuCb, ServiceCb
from handlers.common import answer_quietly, show
from provider.models import ServiceType

router = Router(name=__name__)
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


async def show_categories(target: Message | CallbackQuery, catalog: Catalog, page: int) -> None:
    categories = await catalog.categories(page)
    if not categories.items:
        await show(target, _("The catalog is empty right now. Please come back later."),
                   keyboards.back_home())  # fmt: skip
        return
    await show(
        target, _("🛒 <b>Services</b>\nChoose a category:"), keyboards.categories(categories)
    )


@router.message(Command("services"))
async def services_command(message: Message, state: FSMContext, catalog: Catalog) -> None:
    await state.clear()
    await show_categories(message, catalog, 0)


@router.callback_query(MenuCb.filter(F.to == "services"))
async def services_button(callback: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
    await state.clear()
    await show_categories(callback, catalog, 0)
    await answer_quietly(callback)


@router.callback_query(CategoriesCb.filter())
async def categories_page(
    callback: CallbackQuery, callback_data: CategoriesCb, catalog: Catalog
) -> None:
    await show_categories(callback, catalog, callback_data.page)
    await answer_quietly(callback)


@router.callback_query(CategoryCb.filter())
async def category_page(
    callback: CallbackQuery, callback_data: CategoryCb, catalog: Catalog
) -> None:
    category = await catalog.category(callback_data.id)
    if category is None or category.service_count == 0:
        await answer_quietly(callback, _("This category is no longer available."))
        await show_categories(callback, catalog, 0)
        return
    page = await catalog.services(category, callback_data.page)
    text = _("🛒 <b>{category}</b>\nChoose a service:").format(category=html.quote(category.name))
    await show(callback, text, keyboards.services(category, page))
    await answer_quietly(callback)


def type_label(kind: ServiceType) -> str:
    return {
        ServiceType.DEFAULT: _("Standard"),
        ServiceType.PACKAGE: _("Package"),
        ServiceType.CUSTOM_COMMENTS: _("Custom comments"),
        ServiceType.SPECIAL: _("With a video or keyword list"),
        ServiceType.SPECIAL_1: _("With suggested videos and search keywords"),
    }[kind]


def service_card_text(offer: Offer) -> str:
    service = offer.service
    price = format_money(offer.unit_price, offer.currency)
    lines = [
        f"<b>{html.quote(service.name)}</b>",
        _("Category: {category}").format(category=html.quote(service.category)),
        _("Type: {type}").format(type=type_label(offer.kind)),
    ]
    if offer.is_package:
        lines.append(_("Price: {price} per package").format(price=price))
    else:
        lines.append(_("Price: {price} per 1,000").format(price=price))
        lines.append(
            _("Quantity: from {min} to {max}").format(
                min=format_number(service.min_quantity), max=format_number(service.max_quantity)
            )
        )
    lines.append(_("Refill: yes") if service.refill else _("Refill: no"))
    if service.description:
        # Panels break lines with <br>: shown escaped it would read as "<br>".
        description = BREAK.sub("\n", service.description)
        lines.append("\n" + html.quote(description[:800]))
    return "\n".join(lines)


@router.callback_query(ServiceCb.filter())
async def service_card(callback: CallbackQuery, callback_data: ServiceCb, catalog: Catalog) -> None:
    offer = await catalog.offer(callback_data.id)
    if offer is None:
        await answer_quietly(callback, _("This service is no longer available."))
        await show_categories(callback, catalog, 0)
        return
    await show(
        callback,
        service_card_text(offer),
        keyboards.service_card(offer.service, callback_data.page),
    )
    await answer_quietly(callback)
