"""What a simulated panel was asked: calls per action, how many ids each multi-id call
carried, and the fields of every order it took (without the key). Tests and benches read it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Final

MULTI_PARAMS: Final = {
    "status": "orders",
    "cancel": "orders",
    "refill": "orders",
    "refill_status": "refills",
    "product_order_status": "orders",
}


class Traffic:
    def __init__(self) -> None:
        self.request_counts: Counter[str] = Counter()
        self.multi_sizes: dict[str, list[int]] = {action: [] for action in MULTI_PARAMS}
        self.added: list[dict[str, str]] = []

    def count(self, fields: Mapping[str, str]) -> None:
        action = fields.get("action", "")
        if action:
            self.request_counts[action] += 1
        multi_param = MULTI_PARAMS.get(action)
        if multi_param is not None and multi_param in fields:
            ids = [part for part in fields[multi_param].split(",") if part.strip()]
            self.multi_sizes[action].append(len(ids))

    def took(self, fields: Mapping[str, str]) -> None:
        """An `add` made an order."""
        self.added.append({k: v for k, v in fields.items() if k != "key"})

    def reset(self) -> None:
        """Counts start again; the orders taken stay listed."""
        self.request_counts.clear()
        for sizes in self.multi_sizes.values():
            sizes.clear()
