"""The panel simulator on its own, for demos and manual tests::

python -m simulators.panel --port 8800 --key demo
python -m simulators.panel --port 8800 --panels main,backup,vnd
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import Any

from simulators.panel.catalog import PANEL_PRESETS
from simulators.panel.control import CONTROL_PATH
from simulators.panel.farm import PanelFarm
from simulators.panel.simulator import PanelSimulator

log = logging.getLogger(__name__)


def _key_hint(key: str) -> str:
    """Demo keys in full (people type them); any other key masked, as it may be a real one."""
    if key == "demo" or any(key == preset.key for preset in PANEL_PRESETS.values()):
        return f'key "{key}"'
    return f"key {key[:2]}{'*' * max(len(key) - 2, 0)} ({len(key)} characters)"


def panel_names(text: str) -> list[str]:
    """``--panels main,backup,vnd``: preset names, comma-separated, each once."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PANEL_PRESETS]
    if not names or unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"expected distinct names among {', '.join(PANEL_PRESETS)}, got {text!r}"
        )
    return names


def describe_farm(farm: PanelFarm) -> list[str]:
    """One line per panel: name, currency, API URL and key, for the console."""
    width = max(len(sim.url) for sim in farm.panels.values())
    return [
        f"panel {name:<8} {sim.currency:<4} {sim.url:<{width}}  {_key_hint(sim.key)}"
        for name, sim in farm.panels.items()
    ]


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(args: argparse.Namespace) -> None:
    options: dict[str, Any] = {"tick_seconds": args.tick or None, "latency_seconds": args.latency}
    if args.panels:
        farm = PanelFarm.demo(args.panels, keys={"main": args.key}, seed=args.seed, **options)
        await farm.start(args.host, args.port)
        try:
            for line in describe_farm(farm):
                log.info("%s", line)
            log.info("Control under <panel root>/_control/...; list at %s/_control/panels",
                     farm.base_url)  # fmt: skip
            await _wait_for_signal()
        finally:
            await farm.stop()
        return
    sim = PanelSimulator(key=args.key, seed=args.seed, **options)
    url = await sim.start(args.host, args.port)
    log.info("Panel simulator at %s (%s); control under %s", url, _key_hint(args.key), CONTROL_PATH)
    try:
        await _wait_for_signal()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.panel",
        description='A realistic 1DG / Perfect Panel "API v2" SMM panel for demos and tests.',
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8800, help="port (default: 8800; 0 = any)")
    parser.add_argument(
        "--key",
        default="demo",
        help='the API key accepted (default: "demo"); with --panels, the key of "main"',
    )
    parser.add_argument(
        "--panels",
        type=panel_names,
        default=None,
        help=(
            "serve several panels on one port, each at /<name>/api/v2 with its own key: "
            f"a comma-separated choice of {', '.join(PANEL_PRESETS)} "
            "(default: one panel at /api/v2)"
        ),
    )
    parser.add_argument(
        "--tick",
        type=float,
        default=5.0,
        help="seconds per order status step (default: 5; 0 = only /_control/advance moves them)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every API call (default: 0)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
