"""The books the shop's services keep together: people, their ledger, orders, refill requests,
the outbox of messages and the admins' alerts written through it, all on one database.

Built once by the composition root and handed to the shop's services, which write through them
inside their own transactions. A front door (the chat, the Mini App, the reseller API) never
holds the books: it calls a service, so every rule about money lives in `shop/` once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shop.alerts import Alerts
from storage.db import Database
from storage.ledger import Ledger
from storage.notifications import NotificationRepository
from storage.order_repository import OrderRepository
from storage.refills import RefillRepository
from storage.resellers import ResellerRepository
from storage.users import UserRepository


@dataclass(frozen=True, slots=True)
class Books:
    db: Database
    users: UserRepository
    ledger: Ledger
    orders: OrderRepository
    refills: RefillRepository
    resellers: ResellerRepository  # how a reseller hears of their API orders (shop/order_news.py)
    # One outbox for the whole shop: its `added` event is what wakes the notifier.
    outbox: NotificationRepository
    alerts: Alerts

    @classmethod
    def open(cls, db: Database, admin_ids: Sequence[int]) -> Books:
        outbox = NotificationRepository(db)
        return cls(
            db=db,
            users=UserRepository(db),
            ledger=Ledger(db),
            orders=OrderRepository(db),
            refills=RefillRepository(db),
            resellers=ResellerRepository(db),
            outbox=outbox,
            alerts=Alerts(db, outbox, admin_ids),
        )
