"""The panels the shop buys from, as the running bot holds them: a client for each, and what it
saw of each (its last answer, its errors in the last hour). Settings live in storage/panels.py.

Keys are kept as given and used only inside the clients: never shown (`mask`), never logged.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from provider.client import PanelClient
from provider.errors import PanelError
from provider.models import Balance, Service
from storage.panels import MAIN, PanelMode, PanelRecord, PanelRepository, RemovedPanel

ERROR_WINDOW_SECONDS = 3600
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,19}")
# Words of the admin commands that could be read as a panel's name (/import product ...).
RESERVED_NAMES = frozenset({"product", "products"})


class PanelProblem(Exception):
    """An admin's panel command cannot apply; the message says why (never with a key)."""


def mask(key: str) -> str:
    """`abc…xyz`: enough to tell two keys apart, too little to use one."""
    if len(key) <= 8:
        return "…"
    return f"{key[:3]}…{key[-3:]}"


@dataclass(slots=True)
class Activity:
    """The calls a panel did not answer in the last hour (its last answer is on its client)."""

    errors: deque[float] = field(default_factory=deque)

    def record(self, action: str, outcome: str, seconds: float) -> None:
        now = time.time()
        if outcome == "unavailable":
            self.errors.append(now)
        self._forget_before(now - ERROR_WINDOW_SECONDS)

    def errors_last_hour(self) -> int:
        self._forget_before(time.time() - ERROR_WINDOW_SECONDS)
        return len(self.errors)

    def _forget_before(self, moment: float) -> None:
        while self.errors and self.errors[0] < moment:
            self.errors.popleft()


@dataclass(slots=True)
class Panel:
    record: PanelRecord
    client: PanelClient
    activity: Activity

    @property
    def name(self) -> str:
        return self.record.name


@dataclass(frozen=True, slots=True)
class Checked:
    """A panel that answered `balance` and `services` when it was added."""

    panel: Panel
    balance: Balance
    services: list[Service]


ClientHook = Callable[[str, PanelClient], None]


class Panels:
    def __init__(
        self, repository: PanelRepository, main: PanelClient, on_client: ClientHook | None = None
    ) -> None:
        """`on_client` is told of each panel's client as it is built (metrics watch them)."""
        self._repository = repository
        self._main_client = main
        self._on_client = on_client
        # The main panel as migration 0008 writes it, until load() reads what admins set.
        default = PanelRecord(MAIN, "", "", PanelMode.ALL, True, "", None, None, 0)
        self._panels: dict[str, Panel] = {MAIN: self._watched(default, main)}

    async def load(self) -> None:
        """Read the panels; the main panel's client is the one built from the settings."""
        for record in await self._repository.all():
            if record.name not in self._panels:
                client = self._main_client if record.name == MAIN else self._client(record)
                self._panels[record.name] = self._watched(record, client)
            else:
                self._panels[record.name].record = record

    def _client(self, record: PanelRecord) -> PanelClient:
        return PanelClient(record.url, record.api_key, name=record.name)

    def _watched(self, record: PanelRecord, client: PanelClient) -> Panel:
        panel = Panel(record, client, Activity())
        client.name = record.name
        client.observers.append(panel.activity.record)
        if self._on_client is not None:
            self._on_client(record.name, client)
        return panel

    async def close(self) -> None:
        for panel in self._panels.values():
            if panel.client is not self._main_client:
                await panel.client.close()

    @property
    def main(self) -> Panel:
        return self._panels[MAIN]

    def all(self) -> list[Panel]:
        return sorted(self._panels.values(), key=lambda p: (p.record.position, p.name))

    def get(self, name: str) -> Panel | None:
        return self._panels.get(name.strip().lower())

    def named(self, name: str) -> Panel:
        """The panel called `name`; PanelProblem when there is none."""
        panel = self.get(name)
        if panel is None:
            known = ", ".join(p.name for p in self.all())
            raise PanelProblem(f"There is no panel {name!r}. Panels: {known}.")
        return panel

    def client(self, name: str) -> PanelClient:
        """The client of a panel an order names (a removed panel held no open order)."""
        panel = self._panels.get(name)
        return panel.client if panel is not None else self._main_client

    async def check_and_add(self, name: str, url: str, key: str) -> Checked:
        """Ask the new panel for its balance and services; only if both answer, keep it."""
        name = name.strip().lower()
        if not NAME_PATTERN.fullmatch(name):
            raise PanelProblem(
                "A panel name is 1-20 characters: a small letter first, then small letters, "
                "digits, - or _ (e.g. backup)."
            )
        if name in RESERVED_NAMES:
            raise PanelProblem(f"{name!r} is a word of the commands; name the panel otherwise.")
        if name in self._panels:
            raise PanelProblem(f"There is already a panel {name!r}.")
        if not url.startswith(("http://", "https://")):
            raise PanelProblem("The URL must start with http:// or https://.")
        client = PanelClient(url, key, name=name, read_attempts=1, timeout=15)
        try:
            balance = await client.balance()
            services = await client.services()
        except PanelError as error:
            raise PanelProblem(f"The panel did not answer as a panel does: {error}") from None
        finally:
            await client.close()
        try:
            record = await self._repository.add(name, url, key, balance.currency)
        except sqlite3.IntegrityError:
            raise PanelProblem(f"There is already a panel {name!r}.") from None
        await self._repository.set_balance(name, balance.balance, balance.currency)
        record = replace(record, balance=balance.balance, currency=balance.currency)
        panel = self._panels[name] = self._watched(record, self._client(record))
        panel.client.record.last_answer_at = client.record.last_answer_at  # it just answered
        return Checked(panel, balance, services)

    async def set_enabled(self, name: str, enabled: bool) -> Panel:
        return await self._set(name, "enabled", int(enabled), enabled=enabled)

    async def set_mode(self, name: str, mode: PanelMode) -> Panel:
        return await self._set(name, "mode", mode.value, mode=mode)

    async def set_rate(self, name: str, rate: Decimal | None) -> Panel:
        return await self._set(name, "rate", None if rate is None else str(rate), rate=rate)

    async def _set(self, name: str, column: str, stored: object, **record: object) -> Panel:
        """Store one setting of a panel and keep the record in memory in step."""
        panel = self.named(name)
        await self._repository.update(panel.name, column, stored)
        panel.record = replace(panel.record, **record)  # type: ignore[arg-type]
        return panel

    async def record_balance(self, name: str, balance: Balance) -> None:
        panel = self.named(name)
        currency = balance.currency or panel.record.currency
        if (panel.record.balance, panel.record.currency) == (balance.balance, currency):
            return  # checked every minute: most often nothing to write
        await self._repository.set_balance(panel.name, balance.balance, currency)
        panel.record = replace(panel.record, balance=balance.balance, currency=currency)

    async def remove(self, name: str) -> None:
        panel = self.named(name)
        if panel.name == MAIN:
            raise PanelProblem(
                "The main panel comes from PROVIDER_URL and stays; switch it off with "
                "/panel off main."
            )
        busy = await self._repository.remove(panel.name)
        if busy:
            raise PanelProblem(
                f"Panel {panel.name!r} still holds {busy} open orders; it can be removed once "
                "they are finished. Switch it off meanwhile: /panel off "
                f"{panel.name}."
            )
        del self._panels[panel.name]
        await panel.client.close()

    async def service_counts(self) -> dict[str, int]:
        return await self._repository.service_counts()

    async def removed(self) -> list[RemovedPanel]:
        """The panels removed so far, as they were then (their past orders still count)."""
        return await self._repository.removed()
