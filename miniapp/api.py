"""The Mini App's JSON API, under /app/api/ on the bot's web server: the endpoints of one module
per job, each module listing its own routes, every one served through the gate
(miniapp/gate.py: who is asking, how fast, the ban, the language, failures answered as JSON).

    browsing.py   the first screen, categories, search, a service's or a product's page
    placing.py    a form checked as it is typed, the confirm (a quote) and the order, once
    orders.py     the history, an order's page, asking the panel again, a refill, a cancel
    topups.py     the balance and its movements, every top-up method the chat offers
    keys.py       the person's key for the API v2 (RESELLER_API), as the chat's /api
"""

from __future__ import annotations

from functools import partial

from aiogram import Bot
from aiohttp import web

from miniapp.browsing import Browsing
from miniapp.front import Storefront
from miniapp.gate import Gate
from miniapp.keys import Keys
from miniapp.orders import Orders
from miniapp.placing import Placing
from miniapp.topups import TopUps


class Api:
    def __init__(self, front: Storefront, bot: Bot, token: str, max_age: float) -> None:
        self.gate = Gate(front, token, max_age)
        self.browsing = Browsing(front)
        self.orders = Orders(front)
        self.placing = Placing(front, self.orders)
        self.topups = TopUps(front, bot)
        self.keys = Keys(front)

    def routes(self) -> list[web.RouteDef]:
        """The routes, relative to where the Mini App is mounted (/app)."""
        parts = (self.browsing, self.placing, self.orders, self.topups, self.keys)
        return [
            web.route(route.method, f"/api{route.path}", partial(self.gate.serve, route))
            for part in parts
            for route in part.routes()
        ]
