"""A standing chaos suite: races, crashes, faults and fuzz against the real bot process.

Run as `python -m chaos` (every trial at its small size), `python -m chaos --full` (full sizes,
what `make chaos` runs), `python -m chaos --only fuzz --seed 1234` (one trial, replaying a run).
"""
