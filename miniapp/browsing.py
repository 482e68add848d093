"""The catalog's endpoints: the first screen (the person's words, balance and shelves), the
service categories, a category's services, search (the chat's search), a service's page, and
the same for products. Only what is sold now opens; what is gone is a 404 in the chat's words."""

from __future__ import annotations

from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json
from miniapp.front import BadQuery, Storefront
from miniapp.gate import Route
from miniapp.inputs import ID, page_number, path_id
from miniapp.texts import page_texts
from shop.catalog import Offer, search_terms
from shop.formatting import format_money
from shop.i18n import _
from shop.order_form import search_problem
from shop.order_texts import product_card_text
from shop.products import ProductOffer
from storage.catalog import ServiceRecord
from storage.users import User

CATEGORIES_PAGE = 50
LIST_PAGE = 30  # services, search results, products


async def sold_offer(front: Storefront, service_id: int) -> Offer:
    offer = await front.offer(service_id)
    if offer is None:
        raise ApiError(404, "gone", _("This service is no longer available."))
    return offer


async def sold_product(front: Storefront, product_id: int) -> ProductOffer:
    offer = await front.product_offer(product_id)
    if offer is None:
        raise ApiError(404, "gone", _("This product is no longer available."))
    return offer


def category_gone() -> ApiError:
    return ApiError(404, "gone", _("This category is no longer available."))


class Browsing:
    def __init__(self, front: Storefront) -> None:
        self.front = front

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/start", self.start),
            Route("GET", "/categories", self.categories),
            Route("GET", f"/categories/{ID}", self.category),
            Route("GET", "/search", self.search),
            Route("GET", f"/services/{ID}", self.service),
            Route("GET", "/product-categories", self.product_categories),
            Route("GET", f"/product-categories/{ID}", self.product_category),
            Route("GET", f"/products/{ID}", self.product),
        ]

    async def start(self, request: web.Request, person: User) -> Json:
        currency = await self.front.currency()
        categories = await self.front.categories(0, CATEGORIES_PAGE)
        products = await self.front.product_categories(0, CATEGORIES_PAGE)
        return {
            "language": person.language,
            "texts": page_texts(),
            "name": person.full_name,
            "balance": format_money(await self.front.balance(person.id), currency),
            "categories": views.page_of(categories, [views.category(c) for c in categories.items]),
            "product_categories": views.page_of(
                products, [views.product_category(c) for c in products.items]
            ),
            "reseller_api": await self.front.may_have_key(person),  # its settings (keys.py)
        }

    # ---- services -----------------------------------------------------------------------------

    async def categories(self, request: web.Request, person: User) -> Json:
        found = await self.front.categories(page_number(request), CATEGORIES_PAGE)
        return views.page_of(found, [views.category(c) for c in found.items])

    async def category(self, request: web.Request, person: User) -> Json:
        category = await self.front.category(path_id(request))
        if category is None or category.service_count == 0:
            raise category_gone()
        found = await self.front.services_in(category, page_number(request), LIST_PAGE)
        return {
            "category": views.category(category),
            **views.page_of(found, await self._service_rows(found.items)),
        }

    async def _service_rows(self, services: list[ServiceRecord]) -> list[Json]:
        offers = await self.front.offers(services)
        return [
            views.service_row(offers[s.id]) if s.id in offers else views.gone_row(s)
            for s in services
        ]

    async def search(self, request: web.Request, person: User) -> Json:
        query = request.query.get("q", "")
        try:
            terms = search_terms(query)
            found = await self.front.search(query, page_number(request), LIST_PAGE)
        except BadQuery as bad:
            return {"problem": search_problem(bad.problem), "items": [], "page": 0, "pages": 1}
        return {
            "terms": terms,
            "found": views.found_text(found.total),
            **views.page_of(found, await self._service_rows(found.items)),
        }

    async def service(self, request: web.Request, person: User) -> Json:
        return views.service_page(await sold_offer(self.front, path_id(request)))

    # ---- products -----------------------------------------------------------------------------

    async def product_categories(self, request: web.Request, person: User) -> Json:
        found = await self.front.product_categories(page_number(request), CATEGORIES_PAGE)
        return views.page_of(found, [views.product_category(c) for c in found.items])

    async def product_category(self, request: web.Request, person: User) -> Json:
        category = await self.front.product_category(path_id(request))
        if category is None or category.service_count == 0:
            raise category_gone()
        found = await self.front.products_in(category, page_number(request), LIST_PAGE)
        rows = [
            views.product_row(product, await self.front.product_offer(product.id))
            for product in found.items
        ]
        return {"category": views.product_category(category), **views.page_of(found, rows)}

    async def product(self, request: web.Request, person: User) -> Json:
        offer = await sold_product(self.front, path_id(request))
        return views.product_page(offer, product_card_text(offer))
