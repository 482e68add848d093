"""The shop's services as every front door receives them: the chat's handlers, the payment
webhooks, the Mini App and the reseller API all call these, built once by the composition
root (bot/app.py). No repository is here: a front door calls a rule, never the books."""

from __future__ import annotations

from dataclasses import dataclass

from shop.catalog import Catalog
from shop.catalog_sync import CatalogSync
from shop.console import Console
from shop.credits import Credits
from shop.health import HealthMonitor
from shop.order_requests import OrderRequests
from shop.ordering import Ordering
from shop.payments import Payments
from shop.people import People
from shop.products import Products
from shop.promos import Promos
from shop.referrals import Referrals
from shop.resellers import Resellers
from shop.resolving import Resolutions
from shop.reversals import Reversals
from shop.topup_methods import TopUpMethods
from shop.tracker import Tracker


@dataclass(frozen=True, slots=True)
class Services:
    people: People  # people, balances, their orders as they read them
    ordering: Ordering  # quoting and placing service orders (charge once, failover)
    order_requests: OrderRequests  # refills and cancels of placed orders
    catalog: Catalog
    catalog_sync: CatalogSync
    products: Products
    tracker: Tracker
    console: Console
    credits: Credits  # balances and refunds changed by admins
    health: HealthMonitor
    payments: Payments
    promos: Promos
    referrals: Referrals
    resolutions: Resolutions
    resellers: Resellers  # keys, grants, discounts, callbacks of the API v2 (reseller_api/)
    support_contact: str  # shown under /help; "" for none
    topups: TopUpMethods  # crypto, bank transfer, admin-approved transfer (beyond Stars)
    reversals: Reversals  # top-ups admins take back (/reverse)

    def is_admin(self, user_id: int) -> bool:
        return self.people.is_admin(user_id)
