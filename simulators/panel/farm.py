"""``PanelFarm``: several simulated panels on one server, each under its own prefix
(``/main/api/v2``, ``/backup/api/v2``, ``/vnd/api/v2``), each with its own key, catalog,
currency, balance, orders, faults and ``/<name>/_control/...``; ``make_panel`` builds the
presets named in ``PANEL_PRESETS``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from aiohttp import web

from simulators.panel.catalog import PANEL_PRESETS
from simulators.panel.control import CONTROL_PATH
from simulators.panel.http import API_PATH, json_response
from simulators.panel.simulator import PanelSimulator, bound_base

PANEL_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def make_panel(name: str, *, key: str | None = None, **options: Any) -> PanelSimulator:
    """The preset panel ``name`` (see ``PANEL_PRESETS``); ``options`` go to ``PanelSimulator``."""
    preset = PANEL_PRESETS.get(name)
    if preset is None:
        raise ValueError(f"unknown panel {name!r}; one of {sorted(PANEL_PRESETS)}")
    return PanelSimulator(
        key=preset.key if key is None else key,
        currency=preset.currency,
        balance=preset.balance,
        services=preset.services(),
        products=preset.products(),
        **options,
    )


class PanelFarm:
    """Several ``PanelSimulator`` on one server, each under its own prefix.

    Panel ``name`` answers at ``/<name>/api/v2`` and is steered at ``/<name>/_control/...``;
    ``GET /_control/panels`` lists the panels (names, URLs, currencies; never keys). Each
    panel's ``url`` and ``base_url`` point at its prefix while the farm runs.
    """

    def __init__(self, panels: Mapping[str, PanelSimulator]) -> None:
        if not panels:
            raise ValueError("a farm needs at least one panel")
        for name in panels:
            if not PANEL_NAME_RE.fullmatch(name):
                raise ValueError(f"bad panel name {name!r}: lowercase letters, digits, - and _")
        self.panels = dict(panels)
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    @classmethod
    def demo(
        cls,
        names: Sequence[str] = tuple(PANEL_PRESETS),
        *,
        keys: Mapping[str, str] | None = None,
        seed: int = 1,
        **options: Any,
    ) -> PanelFarm:
        """The preset panels ``names``; each gets its own seed so their outcomes differ."""
        keys = keys or {}
        return cls(
            {
                name: make_panel(name, key=keys.get(name), seed=seed + index, **options)
                for index, name in enumerate(names)
            }
        )

    def __getitem__(self, name: str) -> PanelSimulator:
        return self.panels[name]

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("farm not started")
        return self._base_url

    @property
    def urls(self) -> dict[str, str]:
        """Each panel's API URL, once started."""
        return {name: sim.url for name, sim in self.panels.items()}

    def build_app(self) -> web.Application:
        root = web.Application()
        for name, sim in self.panels.items():
            root.add_subapp(f"/{name}", sim.build_app())
        root.router.add_get(f"{CONTROL_PATH}/panels", self._handle_panels)
        return root

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> dict[str, str]:
        """Serve every panel on host:port (0 = a free port); returns name -> API URL."""
        if self._runner is not None:
            raise RuntimeError("farm already started")
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        attached: list[PanelSimulator] = []
        try:
            await web.TCPSite(runner, host, port).start()
            base = bound_base(runner)
            for name, sim in self.panels.items():
                sim.attach(f"{base}/{name}{API_PATH}")  # refuses a panel served elsewhere
                attached.append(sim)
        except BaseException:
            for sim in attached:
                sim.detach()
            await runner.cleanup()
            raise
        self._runner, self._base_url = runner, base
        return self.urls

    async def stop(self) -> None:
        if self._runner is None:
            return  # never started: its panels may be served elsewhere, leave them be
        for sim in self.panels.values():
            sim.detach()
        runner, self._runner, self._base_url = self._runner, None, None
        await runner.cleanup()

    async def __aenter__(self) -> PanelFarm:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle_panels(self, request: web.Request) -> web.StreamResponse:
        return json_response(
            {name: {"url": sim.url, "currency": sim.currency} for name, sim in self.panels.items()}
        )
