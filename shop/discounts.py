"""Resellers' discounts (/reseller ID PERCENT): a share off the shop's price, for one person,
wherever they buy (the chat, the Mini App, the API), because it is applied in the shop's quoting
(`Ordering.quote`, `Products.quote`). Never below what the route costs: the same "never at a
loss" rule as failover (shop/failover.py `skip_reason`)."""

from __future__ import annotations

from decimal import Decimal

from shop.pricing import HUNDRED, round_price
from storage.resellers import ResellerRepository

MAX_DISCOUNT_PERCENT = Decimal(100)


def discounted(price: Decimal, percent: Decimal, floor: Decimal) -> Decimal:
    """`price` less `percent`, but never below `floor` (what the order costs the shop) nor
    above `price`."""
    if percent <= 0:
        return price
    lowered = round_price(price * (HUNDRED - min(percent, MAX_DISCOUNT_PERCENT)) / HUNDRED)
    return min(price, max(lowered, round_price(floor)))


class Discounts:
    """Every discount, kept in memory: they change only through `set`, and every quote of
    every door reads them."""

    def __init__(self, repository: ResellerRepository) -> None:
        self._repository = repository
        self._percents: dict[int, Decimal] | None = None
        self._version = 0  # a read that raced a change is not kept

    async def percent(self, user_id: int) -> Decimal:
        percents = self._percents
        if percents is None:
            version = self._version
            percents = await self._repository.discounts()
            if version == self._version:
                self._percents = percents
        return percents.get(user_id, Decimal(0))

    async def set(self, user_id: int, percent: Decimal | None) -> None:
        """`None` (or 0) takes the discount away."""
        if percent is not None and percent <= 0:
            percent = None
        try:
            await self._repository.set_discount(user_id, percent)
        finally:
            self._version += 1
            self._percents = None  # read afresh at the next quote

    async def apply(self, user_id: int, price: Decimal, cost: Decimal) -> Decimal:
        """What `user_id` pays for something priced `price` that costs the shop `cost`."""
        percent = await self.percent(user_id)
        return discounted(price, percent, cost) if percent > 0 else price
