"""Browsing services: categories, a category's services, a service card. Reads only the local
catalog (shop/catalog.py); the Order button starts handlers/customer/ordering.py."""

from __future__ import annotations

import re

from aiogram import Router, html
from aiogram.types import CallbackQuery

from handlers import keyboards
from handlers.callbacks import CategoriesCb, CategoryCb, ServiceCb
from handlers.common import show
from handlers.customer.browsing import Shelf, register_shelf
from provider.models import ServiceType
from shop.dripfeed import offers_dripfeed
from shop.formatting import format_money, format_number
from shop.i18n import _
from shop.offers import Offer
from storage.catalog import ServiceRecord

BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)

SERVICES: Shelf[ServiceRecord] = Shelf(
    command="services",
    menu="services",
    title=lambda: _("🛒 <b>Services</b>\nChoose a category:"),
    empty=lambda: _("The catalog is empty right now. Please come back later."),
    category_title=lambda name: _("🛒 <b>{category}</b>\nChoose a service:").format(category=name),
    categories_cb=CategoriesCb,
    category_cb=CategoryCb,
    item_button=lambda service, page: keyboards.button(
        keyboards.label(service.name), ServiceCb(id=service.id, page=page)
    ),
    categories=lambda services, page: services.catalog.categories(page),
    category=lambda services, category_id: services.catalog.category(category_id),
    items=lambda services, category, page: services.catalog.services(category, page),
    card_cb=ServiceCb,
    offer=lambda services, service_id: services.catalog.offer(service_id),
    gone=lambda: _("This service is no longer available."),
)


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
    if offers_dripfeed(offer):
        lines.append(_("💧 Drip-feed: can be delivered in runs at an interval"))
    if service.cancel:
        lines.append(_("✖️ Can be canceled while the order is open"))
    if service.description:
        # Panels break lines with <br>: shown escaped it would read as "<br>".
        description = BREAK.sub("\n", service.description)
        lines.append("\n" + html.quote(description[:800]))
    return "\n".join(lines)


async def service_card(callback: CallbackQuery, callback_data: ServiceCb, offer: Offer) -> None:
    keyboard = keyboards.service_card(offer.service, callback_data.page)
    await show(callback, service_card_text(offer), keyboard)


def create_router() -> Router:
    router = Router(name=__name__)
    register_shelf(router, SERVICES, service_card)
    return router
