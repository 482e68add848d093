"""Drip-feed: a Default order delivered in `runs` runs, `interval` minutes apart.

`quantity` is per run; the person pays for quantity x runs, and that total must stay within the
service's max. The bounds are the API v2 family's (simulators/panel/fields.py follows them): runs
2..1000, interval 1..1440 minutes. Nothing here knows about Telegram.
"""

from __future__ import annotations

from provider.models import ServiceType
from shop.formatting import format_number
from shop.i18n import _, ngettext
from shop.offers import Offer
from shop.order_input import InputError, Problem, parse_quantity
from storage.catalog import ServiceRecord
from storage.orders import OrderRecord

MIN_RUNS = 2
MAX_RUNS = 1000
MIN_INTERVAL = 1  # minutes
MAX_INTERVAL = 1440  # a day


def offers_dripfeed(offer: Offer) -> bool:
    """Only a service the panel lists as Default with `dripfeed` takes runs and interval (an
    unknown type is ordered as Default, but the panel would refuse drip-feed on it)."""
    return offer.kind is ServiceType.DEFAULT and lists_dripfeed(offer.service)


def lists_dripfeed(service: ServiceRecord) -> bool:
    """The same, of a service as stored (the API's price list)."""
    return service.dripfeed and (
        service.type.strip().casefold() == ServiceType.DEFAULT.value.casefold()
    )


def max_runs(offer: Offer, quantity: int) -> int:
    """The most runs of `quantity` the service takes: quantity x runs within its max."""
    if quantity <= 0:
        return 0
    return min(MAX_RUNS, offer.service.max_quantity // quantity)


def parse_runs(text: str | None, offer: Offer, quantity: int) -> int:
    """Runs of `quantity`: MIN_RUNS..MAX_RUNS, and quantity x runs within the service's max
    (else InputError TOTAL_TOO_LARGE, whose maximum is the most runs that fit and whose
    details name the runs asked)."""
    runs = parse_quantity(text, MIN_RUNS, MAX_RUNS)
    limit = max(max_runs(offer, quantity), MIN_RUNS)
    if runs > limit:
        raise InputError(Problem.TOTAL_TOO_LARGE, MIN_RUNS, limit, {"runs": str(runs)})
    return runs


def parse_interval(text: str | None) -> int:
    """Minutes between runs: MIN_INTERVAL..MAX_INTERVAL."""
    return parse_quantity(text, MIN_INTERVAL, MAX_INTERVAL)


def total_quantity(quantity: int, runs: int | None) -> int:
    return quantity * runs if runs else quantity


def order_total(order: OrderRecord) -> int:
    """What an order delivers in all: its quantity is per run when it is drip-fed."""
    return total_quantity(order.quantity, order.runs)


def interval_text(minutes: int) -> str:
    """30 -> "30 min", 90 -> "1 h 30 min", 1440 -> "24 h"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("{minutes} min").format(minutes=rest)
    if not rest:
        return _("{hours} h").format(hours=hours)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)


def runs_text(runs: int) -> str:
    return ngettext("{count} run", "{count} runs", runs).format(count=format_number(runs))


def dripfeed_lines(quantity: int, runs: int, interval: int) -> list[str]:
    """What a confirm card, an order card or a receipt says of a drip-fed order."""
    return [
        _("💧 Drip-feed: {runs}, every {interval}").format(
            runs=runs_text(runs), interval=interval_text(interval)
        ),
        _("Quantity per run: {quantity}").format(quantity=format_number(quantity)),
        _("Total quantity: {total}").format(total=format_number(quantity * runs)),
    ]


def quantity_lines(order: OrderRecord) -> list[str]:
    """An order's quantity as a card shows it: per run and in all when it is drip-fed."""
    if order.runs and order.interval:
        return dripfeed_lines(order.quantity, order.runs, order.interval)
    return [_("Quantity: {quantity}").format(quantity=format_number(order.quantity))]
