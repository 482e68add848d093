"""The Mini App's JSON API, under /app/api/ on the bot's web server: its routes, each an
endpoint of one module by job, every one served through the gate (miniapp/gate.py: who is
asking, how fast, the ban, the language, failures answered as JSON).

    browsing.py   the first screen, categories, search, a service's or a product's page
    placing.py    a form checked as it is typed, the confirm (a quote) and the order, once
    orders.py     the history, an order's page, asking the panel again, a refill, a cancel
    topups.py     the balance and its movements, every top-up method the chat offers
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from aiogram import Bot
from aiohttp import web

from miniapp.browsing import Browsing
from miniapp.front import Storefront
from miniapp.gate import Endpoint, Gate
from miniapp.orders import Orders
from miniapp.placing import Placing
from miniapp.topups import TopUps

ID = r"{id:\d{1,18}}"


class Api:
    def __init__(self, front: Storefront, bot: Bot, token: str, max_age: float) -> None:
        self.gate = Gate(front, token, max_age)
        self.browsing = Browsing(front)
        self.orders = Orders(front)
        self.placing = Placing(front, self.orders)
        self.topups = TopUps(front, bot)

    def routes(self) -> list[web.RouteDef]:
        """The routes, relative to where the Mini App is mounted (/app). An action (placing,
        paying, asking the panel) counts against the slower of the two rates."""
        get, post, action = web.get, web.post, True
        browsing, placing, orders, topups = self.browsing, self.placing, self.orders, self.topups
        table: list[tuple[Callable[..., web.RouteDef], str, Endpoint, bool]] = [
            (get, "/start", browsing.start, False),
            (get, "/categories", browsing.categories, False),
            (get, f"/categories/{ID}", browsing.category, False),
            (get, "/search", browsing.search, False),
            (get, f"/services/{ID}", browsing.service, False),
            (post, f"/services/{ID}/check", placing.check_service, False),
            (post, f"/services/{ID}/quote", placing.quote_service, False),
            (get, "/product-categories", browsing.product_categories, False),
            (get, f"/product-categories/{ID}", browsing.product_category, False),
            (get, f"/products/{ID}", browsing.product, False),
            (post, f"/products/{ID}/check", placing.check_product, False),
            (post, f"/products/{ID}/quote", placing.quote_product, False),
            (post, "/orders", placing.place, action),
            (get, "/orders", orders.orders, False),
            (get, f"/orders/{ID}", orders.order, False),
            (post, f"/orders/{ID}/refresh", orders.refresh, action),
            (post, f"/orders/{ID}/refill", orders.refill, action),
            (post, f"/orders/{ID}/cancel", orders.cancel, action),
            (get, "/balance", topups.balance, False),
            (get, "/topup", topups.methods, False),
            (post, "/topup", topups.top_up, action),
            (post, f"/topup/{ID}/proof", topups.proof, action),
        ]
        return [
            method(f"/api{path}", partial(self.gate.serve, endpoint, slow))
            for method, path, endpoint, slow in table
        ]
