"""/route: the panels a service or a product is sold through, and in what order they are
tried. A mistake answers the usage line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import PRODUCT_WORDS, whole_number
from shop.catalog import Catalog
from shop.formatting import format_money, format_number
from shop.panels import PanelProblem
from shop.services import Services
from storage.catalog import RouteRecord, ServiceRecord
from storage.products import ProductRecord, ProductRouteRecord

ROUTE_USAGE = (
    "Usage: /route SERVICE_ID (shows its routes), /route SERVICE_ID PANEL:ID [PANEL:ID ...] "
    "(tried in this order), /route SERVICE_ID cheapest; products: /route product PRODUCT_ID "
    "[PANEL:ID ... | cheapest]"
)
MAX_ROUTES = 10
IN_STOCK_FIRST = "the first with stock, "  # a product's order goes to a route with stock first

AnyRoute = RouteRecord | ProductRouteRecord


@dataclass(frozen=True, slots=True)
class Routable:
    """What /route shows and changes: the services, or the products, through the shop service
    that keeps them."""

    noun: str  # "service" or "product"
    find: Callable[[int], Awaitable[ServiceRecord | ProductRecord | None]]
    routes_of: Callable[[int], Awaitable[tuple[str, Sequence[AnyRoute]]]]
    set_routes: Callable[[int, list[tuple[str, int]] | None], Awaitable[None]]
    first: str = ""  # which route an order goes to first, when not simply the first tried


def routable(services: Services, words: list[str]) -> tuple[Routable, list[str]]:
    """What the command names (`product ID ...`: the products; the services else), and the
    words after."""
    if words and words[0].lower() in PRODUCT_WORDS:
        products = services.products
        kind = Routable(
            "product", products.product, products.routes_of, products.set_routes, IN_STOCK_FIRST
        )
        return kind, words[1:]
    catalog = services.catalog
    return Routable("service", catalog.service, catalog.routes_of, catalog.set_routes), words


def parse_route(text: str) -> tuple[str, int] | None:
    name, colon, number = text.partition(":")
    panel_service_id = whole_number(number)
    if not colon or not name or panel_service_id is None:
        return None
    return name.strip().lower(), panel_service_id


def read_routes(words: list[str]) -> list[tuple[str, int]] | str | None:
    """The routes an admin wrote: None for `cheapest`, or the list; a str says what is wrong."""
    if words == ["cheapest"]:
        return None
    routes = [parse_route(word) for word in words]
    if None in routes or len(routes) > MAX_ROUTES:
        return f"⚠️ Write each route as PANEL:ID, up to {MAX_ROUTES}. {ROUTE_USAGE}"
    return [route for route in routes if route is not None]


async def route_command(message: Message, command: CommandObject, services: Services) -> None:
    kind, words = routable(services, (command.args or "").split())
    item_id = whole_number(words[0]) if words else None
    item = await kind.find(item_id) if item_id is not None else None
    if item is None:
        known = "" if item_id is None else f"⚠️ There is no {kind.noun} {item_id}. "
        await message.answer(known + ROUTE_USAGE)
        return
    choice = words[1:]
    if choice:
        routes = read_routes(choice)
        if isinstance(routes, str):
            await message.answer(routes)
            return
        try:
            await kind.set_routes(item.id, routes)
        except PanelProblem as problem:
            await message.answer(f"⚠️ {html.quote(str(problem))}\n{ROUTE_USAGE}")
            return
    await message.answer(await routes_text(services.catalog, kind, item.id, changed=bool(choice)))


async def routes_text(catalog: Catalog, kind: Routable, item_id: int, *, changed: bool) -> str:
    routing, routes = await kind.routes_of(item_id)
    item = await kind.find(item_id)
    assert item is not None
    currency = await catalog.currency()
    order = "cheapest first, at each order" if routing == "cheapest" else "in this order"
    lines = [
        f"{'✅ ' if changed else ''}{kind.noun.capitalize()} {item.id} «{html.quote(item.name)}» "
        f"is sold through ({kind.first}tried {order}):"
    ]
    lines += [route_line(catalog, currency, n, route) for n, route in enumerate(routes, 1)]
    if not routes:
        lines.append("no route: it is not sold.")
    if not item.active:
        lines.append("⚠️ No route sells it now: customers do not see it.")
    return "\n".join(lines) + f"\n{ROUTE_USAGE}"


def route_line(catalog: Catalog, currency: str, number: int, route: AnyRoute) -> str:
    """A route as admins read it: its price in the panel's currency (and in the shop's when
    they differ), per 1000 and the range of a service or each unit of a product, and what
    stops it selling."""
    if isinstance(route, ProductRouteRecord):
        label = f"{number}. {route.panel}:{route.panel_product_id}"
        sold, state = "each", "" if route.in_stock else " — ⛔ out of stock"
    else:
        label = f"{number}. {route.panel}:{route.panel_service_id}"
        limits = f"{format_number(route.min_quantity)}-{format_number(route.max_quantity)}"
        sold, state = f"per 1000, {limits}", ""
    panel = catalog.panels.get(route.panel)
    if panel is None or not route.listed:
        return f"{label} — ⚠️ not listed by the panel now"
    conversion = catalog.conversion(panel, currency)
    price = format_money(route.rate, panel.record.currency or currency)
    if conversion is not None and conversion != Decimal(1):
        price += f" = {format_money(route.rate * conversion, currency)}"
    state += "" if panel.record.enabled else " — 🔴 panel off"
    if conversion is None:
        state += " — ⚠️ no rate"
    return f"{label} — {price} {sold}{state}"


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(route_command, Command("route"))
    return router
