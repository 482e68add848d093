"""What a simulated panel sells right now: its services (some may be switched off) and its
products (with their stock)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulators.panel.errors import ERR_SERVICE, Refusal
from simulators.panel.values import RawJson, decimal, integer, parse_id, to_json, truthy


@dataclass(frozen=True, slots=True)
class Service:
    """A service entry as the panel reads its own list."""

    id: int
    type: str
    rate: Decimal
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Service:
        return cls(
            id=integer(raw["service"]),
            type=str(raw.get("type") or "Default"),
            rate=decimal(raw["rate"]),
            min=integer(raw["min"]),
            max=integer(raw["max"]),
            refill=truthy(raw.get("refill", False)),
            cancel=truthy(raw.get("cancel", False)),
            dripfeed=truthy(raw.get("dripfeed", False)),
        )

    @property
    def kind(self) -> str:
        """The type, compared without case: "default", "package", "custom comments", ..."""
        return self.type.casefold()


class Shelf:
    def __init__(self, services: list[dict[str, Any]], products: list[dict[str, Any]]) -> None:
        self._listed = copy.deepcopy(services)  # as the panel sends it
        self._services = {s.id: s for s in map(Service.parse, self._listed)}
        self._listing: RawJson | None = None  # written once, until a service is switched
        self._disabled: set[int] = set()  # switched off: not listed, refused on `add`
        self.products: dict[int, dict[str, Any]] = {
            integer(p["product"]): p for p in copy.deepcopy(products)
        }

    def listing(self) -> RawJson:
        """The `services` answer: every service not switched off."""
        if self._listing is None:
            listed = [s for s in self._listed if parse_id(str(s["service"])) not in self._disabled]
            self._listing = RawJson(to_json(listed))
        return self._listing

    def on_sale(self, raw_id: str) -> Service:
        """The service an `add` names; a disabled one is refused as panels do."""
        sid = parse_id(raw_id)
        service = self._services.get(sid) if sid is not None else None
        if service is None or service.id in self._disabled:
            raise Refusal(ERR_SERVICE)
        return service

    def service(self, service_id: int) -> Service:
        """The service an existing order was placed on, switched off or not."""
        return self._services[service_id]

    def set_service_enabled(self, service_id: int, enabled: bool) -> None:
        if enabled:
            self._disabled.discard(service_id)
        else:
            self._disabled.add(service_id)
        self._listing = None

    def product(self, raw_id: str) -> dict[str, Any] | None:
        pid = parse_id(raw_id)
        return self.products.get(pid) if pid is not None else None

    def set_product_stock(self, product_id: int, inventory: int) -> None:
        product = self.products[product_id]
        product["inventory"] = inventory
        product["status"] = "In stock" if inventory > 0 else "Out of stock"

    def restock(self, product_id: int, units: int) -> None:
        """Undelivered units go back to a product that keeps count of its stock."""
        product = self.products.get(product_id)
        if product is not None and product.get("inventory") is not None:
            self.set_product_stock(product_id, integer(product["inventory"]) + units)
