"""The panels' side of the catalog: their services synced into SQLite, each panel's terms
(on or off, its currency's rate, mirrored or picked), and the admins' changes to them and to
the routes. Every change of terms describes the catalog again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from provider.errors import PanelError
from provider.models import Service, ServiceType
from shop.catalog_prices import CURRENCY_KEY, CatalogPrices
from shop.panel_lists import last_of_each, quantity_range
from shop.panels import Checked, Panel, PanelProblem, Panels
from storage.catalog import (
    CatalogEntry,
    CatalogRepository,
    Imported,
    PanelTerms,
    RouteRecord,
    SyncResult,
)
from storage.markup import MarkupRepository
from storage.panels import MAIN, PanelMode
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)


def conversion_of(
    name: str, panel_currency: str, rate: Decimal | None, currency: str
) -> Decimal | None:
    """One unit of a panel's currency in the shop's `currency`: 1 for the same currency (and
    for main, whose currency is the shop's), the admin's rate else; None when there is none."""
    theirs = panel_currency.strip().upper()
    if name == MAIN or not theirs or theirs == currency.strip().upper():
        return Decimal(1)
    return rate


def to_entry(service: Service) -> CatalogEntry:
    low, high = quantity_range(service.min, service.max)
    return CatalogEntry(
        id=service.service,
        name=service.name or f"Service {service.service}",
        type=service.type or ServiceType.DEFAULT.value,
        category=service.category or "Other",
        rate=service.rate,
        min_quantity=low,
        max_quantity=high,
        refill=service.refill,
        cancel=service.cancel,
        description=service.description,
        dripfeed=service.dripfeed,
    )


def to_entries(services: list[Service]) -> list[CatalogEntry]:
    """A panel's list, each id once (a panel that repeats one: the last wins)."""
    return [to_entry(service) for service in last_of_each(services, lambda s: s.service)]


class Listing(Protocol):
    """Another listing sold through the same panels (the products, shop/products.py): described
    again whenever a panel's terms change, as the services are."""

    async def rebuild(self, terms: Mapping[str, PanelTerms], *, mirror: str = "") -> object: ...

    async def routed_panels(self) -> frozenset[str]: ...


class CatalogPanels(CatalogPrices):
    def __init__(
        self,
        repository: CatalogRepository,
        settings: SettingsRepository,
        panels: Panels,
        default_markup: Decimal,
        markup_rules: MarkupRepository,
    ) -> None:
        super().__init__(settings, default_markup, markup_rules)
        self._repository = repository
        self.panels = panels
        self._listings: list[Listing] = []

    # ---- syncing the panels -------------------------------------------------------------------

    async def sync(self) -> SyncResult:
        """Sync every panel that is on. Raises the main panel's PanelError when no panel
        answered (a panel that fails does not stop the others)."""
        outcomes = await self.sync_each()
        failures = [o for o in outcomes.values() if isinstance(o, PanelError)]
        if failures and len(failures) == len(outcomes):
            raise failures[0]
        return next((o for o in outcomes.values() if isinstance(o, SyncResult)), SyncResult())

    async def sync_each(self, names: list[str] | None = None) -> dict[str, SyncResult | PanelError]:
        """Fetch the panels' services at once, then store every answer in one transaction.
        Per panel: what changed in the shop (the same for every panel stored), or its error."""
        wanted = [
            p for p in self.panels.all() if p.record.enabled and (names is None or p.name in names)
        ]
        answers = await asyncio.gather(
            *(p.client.services() for p in wanted), return_exceptions=True
        )
        lists: dict[str, list[CatalogEntry]] = {}
        outcomes: dict[str, SyncResult | PanelError] = {}
        for panel, answer in zip(wanted, answers, strict=True):
            if isinstance(answer, PanelError):
                logger.warning("Catalog sync of panel %s failed: %s", panel.name, answer)
                outcomes[panel.name] = answer
            elif isinstance(answer, BaseException):
                raise answer
            else:
                lists[panel.name] = to_entries(answer)
        if MAIN in lists:
            await self._refresh_currency()
        if lists:
            result = await self._repository.sync_panels(lists, await self.terms())
            outcomes.update(dict.fromkeys(lists, result))
            logger.info(
                "Catalog synced (%s): %d added, %d changed, %d removed",
                ", ".join(lists), len(result.added), len(result.changed), len(result.removed),
            )  # fmt: skip
        return outcomes

    async def _refresh_currency(self) -> None:
        try:
            balance = await self.panels.main.client.balance()
        except PanelError:
            return
        await self.panels.record_balance(MAIN, balance)
        if balance.currency and balance.currency != await self.currency():
            await self._store(CURRENCY_KEY, balance.currency)
            await self._rebuild()  # every other panel's rate

    async def terms(self) -> dict[str, PanelTerms]:
        currency = await self.currency()
        return {
            panel.name: PanelTerms(
                enabled=panel.record.enabled,
                conversion=self.conversion(panel, currency),
                mirror=panel.record.mode is PanelMode.ALL,
                position=panel.record.position,
            )
            for panel in self.panels.all()
        }

    @staticmethod
    def conversion(panel: Panel, currency: str) -> Decimal | None:
        """One unit of the panel's currency in the shop's (see conversion_of); None: not sold."""
        return conversion_of(panel.name, panel.record.currency, panel.record.rate, currency)

    def selling_panel(self, name: str, currency: str) -> tuple[Panel, Decimal] | None:
        """The panel, and one unit of its currency in the shop's, when a route to it sells now
        (the panel known and on, its rate known); None otherwise."""
        panel = self.panels.get(name)
        if panel is None or not panel.record.enabled:
            return None
        conversion = self.conversion(panel, currency)
        return None if conversion is None else (panel, conversion)

    # ---- the panels, as admins change them ----------------------------------------------------

    async def add_panel(self, name: str, url: str, key: str) -> Checked:
        """Check the panel answers, keep it (picked: nothing sold until imported), store its
        list so /import can name its services."""
        checked = await self.panels.check_and_add(name, url, key)
        await self._repository.sync_panels(
            {checked.panel.name: to_entries(checked.services)}, await self.terms()
        )
        return checked

    def also_rebuild(self, listing: Listing) -> None:
        """`listing` is described again with the services whenever a panel's terms change."""
        self._listings.append(listing)

    async def _rebuild(self, *, mirror: str = "") -> SyncResult:
        terms = await self.terms()
        result = await self._repository.rebuild(terms, mirror=mirror)
        for listing in self._listings:
            await listing.rebuild(terms, mirror=mirror)
        return result

    async def set_panel_enabled(self, name: str, enabled: bool) -> SyncResult:
        await self.panels.set_enabled(name, enabled)
        return await self._rebuild()

    async def set_panel_rate(self, name: str, rate: Decimal) -> SyncResult:
        await self.panels.set_rate(name, rate)
        return await self._rebuild()

    async def set_panel_mode(self, name: str, mode: PanelMode) -> SyncResult:
        panel = await self.panels.set_mode(name, mode)
        return await self._rebuild(mirror=panel.name if mode is PanelMode.ALL else "")

    async def remove_panel(self, name: str) -> SyncResult:
        await self.panels.remove(name)
        return await self._rebuild()

    async def import_services(
        self, name: str, panel_ids: list[int], category: str | None
    ) -> Imported:
        panel = self.panels.named(name)
        return await self._repository.import_services(
            panel.name, panel_ids, category, await self.terms()
        )

    async def set_routes(self, service_id: int, routes: list[tuple[str, int]] | None) -> None:
        """Raises PanelProblem naming an unknown panel or a service a panel does not list."""
        for panel_name, _ in routes or ():
            self.panels.named(panel_name)
        unknown = await self._repository.set_routes(service_id, routes, await self.terms())
        if unknown:
            listed = ", ".join(f"{panel}:{panel_id}" for panel, panel_id in unknown)
            raise PanelProblem(f"Not in the panels' lists (try /sync first): {listed}.")

    async def rename(self, service_id: int, name: str | None) -> None:
        await self._repository.set_own_text(service_id, "own_name", name, await self.terms())

    async def describe(self, service_id: int, text: str | None) -> None:
        await self._repository.set_own_text(service_id, "own_description", text, await self.terms())

    async def routes_of(self, service_id: int) -> tuple[str, list[RouteRecord]]:
        """How a service is routed ('ordered' or 'cheapest') and its routes, for admins."""
        return (
            await self._repository.routing(service_id),
            await self._repository.routes(service_id),
        )

    async def routed_panels(self) -> frozenset[str]:
        """The panels that hold a route of a service (or a product) customers can buy."""
        routed = await self._repository.routed_panels()
        for listing in self._listings:
            routed |= await listing.routed_panels()
        return routed
