"""People as the shop knows them: registering on first contact, their language, their balance
and its movements, and their orders as they read them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial

from shop.books import Books
from shop.paging import PAGE_SIZE, Page, fetch_page
from storage.ledger import LedgerEntry
from storage.orders import OrderRecord, OrderSnapshot, Stage
from storage.users import User


class People:
    def __init__(self, books: Books, admin_ids: Sequence[int]) -> None:
        self._books = books
        self._admin_ids = frozenset(admin_ids)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._admin_ids

    async def person(self, user_id: int) -> User | None:
        return await self._books.users.get(user_id)

    async def find(self, token: str) -> User | None:
        """A person by Telegram id or @username."""
        return await self._books.users.find(token)

    async def register_person(
        self, user_id: int, full_name: str, username: str | None, language: str
    ) -> User:
        """Registered on first contact; name, username and last seen kept up to date."""
        return await self._books.users.register(user_id, full_name, username, language)

    async def set_banned(self, user_id: int, banned: bool) -> None:
        await self._books.users.set_banned(user_id, banned)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._books.users.set_language(user_id, language)

    async def balance(self, user_id: int) -> Decimal:
        return await self._books.ledger.balance(user_id)

    async def history(self, user_id: int, limit: int) -> list[LedgerEntry]:
        """The last balance movements, newest first."""
        return await self._books.ledger.history(user_id, limit)

    async def orders_page(
        self, user_id: int, page: int, size: int = PAGE_SIZE
    ) -> Page[OrderRecord]:
        total = await self._books.orders.count_for_user(user_id)
        return await fetch_page(page, total, partial(self._books.orders.for_user, user_id), size)

    async def recent_orders(self, user_id: int, limit: int) -> list[OrderRecord]:
        return await self._books.orders.for_user(user_id, 0, limit)

    async def order_count(self, user_id: int) -> int:
        return await self._books.orders.count_for_user(user_id)

    async def order(self, order_id: int) -> OrderRecord | None:
        return await self._books.orders.get(order_id)

    async def own_order(self, user_id: int, order_id: int) -> OrderRecord | None:
        """The order, if it is this person's: a forged button cannot show another's."""
        order = await self._books.orders.get(order_id)
        return order if order is not None and order.user_id == user_id else None

    async def own_orders(self, user_id: int, order_ids: Sequence[int]) -> list[OrderRecord]:
        """Those of these orders that are the person's (the API's status of up to 100)."""
        return await self._books.orders.of_user(user_id, order_ids)

    async def own_snapshots(self, user_id: int, order_ids: Sequence[int]) -> list[OrderSnapshot]:
        """The same, with only what a status reads (the API's `status` of 100 at a time)."""
        return await self._books.orders.snapshots_of_user(user_id, order_ids)

    async def unconfirmed(self, limit: int) -> list[OrderRecord]:
        return await self._books.orders.in_stage(Stage.UNCONFIRMED, limit=limit)
