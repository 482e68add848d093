"""Orders written straight into a shop's database (storage repositories) before its bot starts,
and orders placed straight on the simulator: the situations a trial starts from."""

from __future__ import annotations

from decimal import Decimal

from provider.client import PanelClient
from provider.models import OrderRequest
from simulators.panel import PanelSimulator
from storage.db import Database
from storage.ledger import Ledger
from storage.order_repository import OrderRepository
from storage.orders import NewOrder, Stage

PRICE = Decimal("3.25")  # 1,000 Youtube views: 2.50 on the panel + 30 %


def new_order(user_id: int, link: str, price: Decimal) -> NewOrder:
    return NewOrder(
        user_id=user_id,
        service_id=1,
        service_name="Youtube views",
        service_type="Default",
        link=link,
        quantity=1000,
        price=price,
        draft_key=f"seed-{user_id}-{link}",
        refill_allowed=True,
    )


async def paid_order(
    db: Database, user_id: int, link: str, *, panel_id: int | None, price: Decimal = PRICE
) -> int:
    """An order paid from the balance: placed as `panel_id`, or unconfirmed when None."""
    orders, ledger = OrderRepository(db), Ledger(db)
    async with db.transaction() as tx:
        order_id = await orders.create(tx, new_order(user_id, link, price))
        await ledger.apply(tx, user_id, -price, "order", str(order_id), "Youtube views")
        if panel_id is None:
            await orders.set_stage(tx, order_id, Stage.UNCONFIRMED, "seeded: no clear answer")
        else:
            await orders.set_placed(tx, order_id, panel_id)
    return order_id


async def panel_orders(sim: PanelSimulator, links: list[str]) -> list[int]:
    """Orders placed on the simulator over its API (as if by the bot); -> their panel ids."""
    async with PanelClient(sim.url, "demo") as panel:
        return [await panel.add(OrderRequest(1, link, quantity=1000)) for link in links]
