"""A realistic 1DG / Perfect Panel "API v2" SMM panel, served over HTTP: for the tests, the
benchmarks, the chaos suite and as the demo panel when no real panel is configured
(``python -m simulators.panel --port 8800 --key demo``).

It speaks the API of ``docs/panel-api.md``: one ``POST /api/v2`` endpoint, form-encoded fields,
errors as HTTP 200 ``{"error": "..."}`` with the panels' own messages, numbers sometimes as
strings and sometimes as JSON numbers. Orders move Pending -> In progress -> Completed (a
share ends Partial or Canceled) as time passes (``tick_seconds``) or on ``advance()``, from a
seeded random generator so that runs are reproducible. Beyond the seed it offers ``cancel``
and drip-feed where a service says so in ``services``.

It imports nothing of the project's (``tests/test_architecture.py`` checks): it is a second,
independent reading of the API, so a misreading in ``provider/`` is not mirrored here.
"""

from simulators.panel.catalog import PANEL_PRESETS, PanelPreset, make_large_catalog
from simulators.panel.cli import describe_farm, main
from simulators.panel.farm import PanelFarm, make_panel
from simulators.panel.faults import FAULT_KINDS
from simulators.panel.records import SimOrder, SimProductOrder, SimRefill
from simulators.panel.simulator import PanelSimulator

__all__ = [
    "FAULT_KINDS",
    "PANEL_PRESETS",
    "PanelFarm",
    "PanelPreset",
    "PanelSimulator",
    "SimOrder",
    "SimProductOrder",
    "SimRefill",
    "describe_farm",
    "main",
    "make_large_catalog",
    "make_panel",
]
