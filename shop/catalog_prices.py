"""The shop's currency (the main panel's) and its markup: the global percent and the rules
for a category or a service. The base of the catalog (shop/catalog.py)."""

from __future__ import annotations

from decimal import Decimal

from storage.catalog import ServiceRecord
from storage.markup import MarkupRepository, MarkupRule
from storage.settings import SettingsRepository

MARKUP_KEY = "markup_percent"
CURRENCY_KEY = "panel_currency"
DEFAULT_CURRENCY = "USD"


class CatalogPrices:
    def __init__(
        self,
        settings: SettingsRepository,
        default_markup: Decimal,
        markup_rules: MarkupRepository,
    ) -> None:
        self._settings = settings
        self._default_markup = default_markup
        self._markup_rules = markup_rules
        self._cached: dict[str, str | None] = {}

    async def _setting(self, key: str) -> str | None:
        """Settings change only through this class, so they are read once and kept."""
        if key not in self._cached:
            self._cached[key] = await self._settings.get(key)
        return self._cached[key]

    async def _store(self, key: str, value: str) -> None:
        await self._settings.set(key, value)
        self._cached.pop(key, None)

    async def currency(self) -> str:
        return await self._setting(CURRENCY_KEY) or DEFAULT_CURRENCY

    async def markup_percent(self) -> Decimal:
        stored = await self._setting(MARKUP_KEY)
        return Decimal(stored) if stored is not None else self._default_markup

    async def set_markup_percent(self, percent: Decimal) -> None:
        await self._store(MARKUP_KEY, str(percent))

    async def markup_for(self, service: ServiceRecord) -> Decimal:
        """The most specific rule wins: the service's, its category's, then the global one."""
        specific = await self._markup_rules.for_service(service.id, service.category_id)
        return specific if specific is not None else await self.markup_percent()

    async def markup_rules(self) -> list[MarkupRule]:
        return await self._markup_rules.all()

    async def set_markup_rule(self, scope: str, target: int, percent: Decimal) -> None:
        await self._markup_rules.set(scope, target, percent)

    async def remove_markup_rule(self, scope: str, target: int) -> bool:
        return await self._markup_rules.remove(scope, target)
