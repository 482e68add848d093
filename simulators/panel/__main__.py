"""``python -m simulators.panel --port 8800 --key demo`` (``--help`` for the rest)."""

from simulators.panel.cli import main

main()
