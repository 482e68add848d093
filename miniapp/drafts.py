"""The order each person is about to confirm in the Mini App: one at a time, as in the chat.

A quote issues a draft key (shop/checkout.py `Draft.key`, UNIQUE per order); the order call names
it. A person's newest quote replaces their previous one, so of two open tabs only the confirm
shown last can place an order, and a double tap or a retried request names a key that is
either still waiting (placed once, under the shop's draft lock) or already an order (the same
order is answered). Kept in memory: after a restart a confirm asks to check the order again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from shop.products import ProductDraft
from shop.service_drafts import OrderDraft

DRAFT_SECONDS = 30 * 60  # a confirm left open longer is checked again
MEMORY = 50_000  # people with a confirm open at once before the oldest are dropped


@dataclass(frozen=True, slots=True)
class Pending:
    draft: OrderDraft | ProductDraft
    at: float


class PendingDrafts:
    def __init__(self, seconds: float = DRAFT_SECONDS) -> None:
        self._seconds = seconds
        self._by_person: dict[int, Pending] = {}

    def keep(self, person: int, draft: OrderDraft | ProductDraft) -> None:
        """This draft is now the person's one confirm (replacing any earlier)."""
        self._by_person.pop(person, None)  # re-inserted last: the dict stays oldest first
        self._by_person[person] = Pending(draft, time.monotonic())
        while len(self._by_person) > MEMORY:
            del self._by_person[next(iter(self._by_person))]

    def current(self, person: int, key: str) -> OrderDraft | ProductDraft | None:
        """The person's draft if `key` names it and it has not expired."""
        pending = self._by_person.get(person)
        if pending is None or pending.draft.key != key:
            return None
        if time.monotonic() - pending.at > self._seconds:
            del self._by_person[person]
            return None
        return pending.draft

    def drop(self, person: int, key: str) -> None:
        pending = self._by_person.get(person)
        if pending is not None and pending.draft.key == key:
            del self._by_person[person]
