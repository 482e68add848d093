"""What handlers work with: the shop's services, built once by the composition root (bot/app.py)
and handed to every handler as one typed argument, `services`."""

from __future__ import annotations

from dataclasses import dataclass

from shop.catalog import Catalog
from shop.console import Console
from shop.health import HealthMonitor
from shop.orders import Shop
from shop.payments import Payments
from shop.products import Products
from shop.promos import Promos
from shop.referrals import Referrals
from shop.resolving import Resolutions
from shop.topup_methods import TopUpMethods
from shop.tracker import Tracker


@dataclass(frozen=True, slots=True)
class Services:
    shop: Shop
    catalog: Catalog
    products: Products
    tracker: Tracker
    console: Console
    health: HealthMonitor
    payments: Payments
    promos: Promos
    referrals: Referrals
    resolutions: Resolutions
    support_contact: str  # shown under /help; "" for none
    topups: TopUpMethods  # crypto, bank transfer, admin-approved transfer (beyond Stars)

    def is_admin(self, user_id: int) -> bool:
        return self.shop.is_admin(user_id)
