"""`python -m chaos [--full] [--only NAME] [--seed N]`: run the trials, print the table;
exit code 1 if any case failed."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

from chaos.suite import remove, report, run_suite
from chaos.trials import TRIALS


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--full", action="store_true", help="full sizes (default: small)")
    parser.add_argument(
        "--only", action="append", default=[], choices=[t.name for t in TRIALS],
        help="run only this trial (repeatable)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="replay a run's random choices")
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    seed = secrets.randbelow(1_000_000) if args.seed is None else args.seed
    workdir = Path(tempfile.mkdtemp(prefix="chaos-"))
    print(f"chaos suite: seed {seed}, {'full' if args.full else 'small'} sizes", flush=True)
    outcomes = asyncio.run(run_suite(seed, args.full, args.only, workdir))
    failed = any(outcome.result.failed for outcome in outcomes)
    keep = failed or args.keep
    print(report(outcomes, seed, args.full, workdir if keep else None))
    if not keep:
        remove(workdir)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
