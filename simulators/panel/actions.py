"""The API v2 actions: each reads its form fields, asks the engine, and answers in the shapes
real panels use, including the multi-id forms (``orders=1,2,3``) where one id's error sits
beside the others' answers.

Beyond the seed, ``cancel`` answers ``[{"order": 1, "cancel": 1}, {"order": 2, "cancel":
{"error": "..."}}]`` and ``add`` takes drip-feed (``runs`` and ``interval`` in minutes; the
charge is rate x quantity x runs / 1000) where a service says so in ``services``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from simulators.panel import fields as read
from simulators.panel.engine import OrderEngine
from simulators.panel.errors import ERR_MISSING, ERR_OUT_OF_STOCK, ERR_PRODUCT, Refusal
from simulators.panel.money import Wallet
from simulators.panel.products import ProductOrders
from simulators.panel.refills import Refills
from simulators.panel.shelf import Shelf
from simulators.panel.traffic import Traffic
from simulators.panel.values import integer, json_id

Fields = Mapping[str, str]
Action = Callable[[Fields], object]


class Actions:
    def __init__(
        self,
        *,
        shelf: Shelf,
        wallet: Wallet,
        currency: str,
        orders: OrderEngine,
        refills: Refills,
        products: ProductOrders,
        traffic: Traffic,
    ) -> None:
        self._shelf = shelf
        self._orders = orders
        self._refills = refills
        self._products = products
        self._traffic = traffic
        self.by_name: dict[str, Action] = {
            "services": lambda _: shelf.listing(),
            "add": self.add,
            "status": lambda f: _per_id(f, self._orders.view),
            "balance": lambda _: {"balance": wallet.text(), "currency": currency},
            "refill": self.refill,
            "refill_status": self.refill_status,
            "products": lambda _: list(shelf.products.values()),
            "add_product_order": self.add_product_order,
            "product_order_status": lambda f: _per_id(f, self._products.view),
            "cancel": self.cancel,
        }

    def add(self, fields: Fields) -> object:
        service = self._shelf.on_sale(read.required(fields, "service"))
        link = read.required(fields, "link").strip()
        quantity = read.service_quantity(fields, service)
        drip = read.drip_feed(fields, service, quantity)
        if drip is not None:
            quantity *= drip[0]  # from here on, quantity is the total over every run
        order = self._orders.place(service, link, quantity, drip)
        self._traffic.took(fields)
        return {"order": order.id}

    def refill(self, fields: Fields) -> object:
        if "orders" in fields:
            answer: list[object] = []
            for raw in read.id_list(fields["orders"]):
                try:
                    answer.append({"order": json_id(raw), "refill": self._refills.create(raw)})
                except Refusal as exc:
                    answer.append({"order": json_id(raw), "refill": {"error": exc.message}})
            return answer
        return {"refill": str(self._refills.create(read.required(fields, "order")))}

    def refill_status(self, fields: Fields) -> object:
        if "refills" in fields:
            answer: list[object] = []
            for raw in read.id_list(fields["refills"]):
                try:
                    status: object = self._refills.status(raw)
                except Refusal as exc:
                    status = {"error": exc.message}
                answer.append({"refill": json_id(raw), "status": status})
            return answer
        return {"status": self._refills.status(read.required(fields, "refill"))}

    def cancel(self, fields: Fields) -> object:
        """Per id ``{"order": id, "cancel": 1}`` or ``{"order": id, "cancel": {"error": ...}}``.

        The family's docs name only ``orders``; a lone ``order`` is answered the same way.
        """
        raw_ids = fields["orders"] if "orders" in fields else read.required(fields, "order")
        answer: list[object] = []
        for raw in read.id_list(raw_ids):
            try:
                self._orders.request_cancel(raw)
            except Refusal as exc:
                answer.append({"order": json_id(raw), "cancel": {"error": exc.message}})
            else:
                answer.append({"order": json_id(raw), "cancel": 1})
        return answer

    def add_product_order(self, fields: Fields) -> object:
        product = self._shelf.product(read.required(fields, "product"))
        if product is None:
            raise Refusal(ERR_PRODUCT)
        require = fields.get("require", "").strip() or None
        if product.get("require") and require is None:
            raise Refusal(ERR_MISSING)
        if str(product.get("status", "")).casefold() == "out of stock":
            raise Refusal(ERR_OUT_OF_STOCK)
        quantity = read.quantity(fields, integer(product["min"]), integer(product["max"]))
        return {"order": self._products.place(product, quantity, require)}


def _per_id(fields: Fields, view: Callable[[str], object]) -> object:
    """`status` and `product_order_status`: one order's view, or with ``orders`` a map of id
    (as typed) to its view or its error."""
    if "orders" not in fields:
        return view(read.required(fields, "order"))
    answer: dict[str, object] = {}
    for raw in read.id_list(fields["orders"]):
        try:
            answer[raw] = view(raw)
        except Refusal as exc:
            answer[raw] = {"error": exc.message}
    return answer
