"""The shared request reader (webio), the amount rule (shop/amounts.py) and the in-flight set,
alone; tests/test_doors.py throws the same at the bot's real doors."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from bot.in_flight import UpdatesInFlight
from shop.amounts import AmountError, bounded, parse_amount
from tests.raw_http import NESTED, NESTED_OBJECTS
from webio import BadRequest, parse_json


def test_the_reader_refuses_hostile_json_with_a_reason() -> None:
    for body, reason in [
        (NESTED, "nested deeper"),
        (NESTED_OBJECTS, "nested deeper"),
        (b"[1e999999]", "out of range"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "Infinity"),
        (b"1" * 41, "more than 40 digits"),
        (b"\xff\xfe{", "not JSON"),
        (b'{"a": "unterminated', "not JSON"),
    ]:
        with pytest.raises(BadRequest) as refused:
            parse_json(body)
        assert refused.value.status == 400 and reason in refused.value.reason, body[:20]
    # Brackets inside strings are text, however many; escapes do not end a string.
    text = '[[[[{{{{\\"' * 1000
    assert parse_json(json.dumps({"a": {"b": text}}).encode(), max_depth=2) == {"a": {"b": text}}
    assert parse_json(b"[1e30, 0.1]") == [Decimal("1e30"), Decimal("0.1")]
    with pytest.raises(BadRequest, match="out of range"):
        parse_json(b"[1e999999]")


def test_amounts_are_bounded_before_any_arithmetic() -> None:
    top = Decimal(10_000)
    assert parse_amount("12.50", maximum=top) == Decimal("12.50")
    assert parse_amount(7, maximum=top) == 7 and parse_amount(Decimal("0.000001"), maximum=top)
    cases: list[tuple[object, str]] = [
        (True, "not a number"), (None, "not a number"), (1.5, "not a number"), ([], "not a number"),
        ("1e3", "not a plain"), ("NaN", "not a plain"), ("Infinity", "not a plain"),
        ("1e999999", "not a plain"), (" ", "not a plain"), (Decimal("NaN"), "not a finite"),
        (Decimal("Infinity"), "not a finite"), (Decimal("1e999999"), "above the maximum"),
        (Decimal("1e30"), "above the maximum"), (10**25, "above the maximum"),
        (2**63, "above the maximum"), (-5, "negative"), ("-0.01", "negative"), (0, "zero"),
        ("10000.01", "above the maximum"), ("0.0000001", "more than 6 decimal places"),
        (Decimal("1e-999999"), "more than 6 decimal places"),
    ]  # fmt: skip
    for raw, reason in cases:
        with pytest.raises(AmountError, match=reason):
            parse_amount(raw, maximum=top)
    assert bounded(Decimal(0), maximum=top, allow_zero=True) == 0


async def test_an_accepted_update_is_forgotten_however_its_task_ends() -> None:
    in_flight = UpdatesInFlight()

    async def fails() -> None:
        raise ValueError("a handler's bug")

    async def never_starts() -> None:
        raise AssertionError("cancelled before it ran")

    failing, cancelled = asyncio.create_task(fails()), asyncio.create_task(never_starts())
    in_flight.accept(failing)
    in_flight.accept(cancelled)
    cancelled.cancel()
    assert len(in_flight) == 2
    await asyncio.wait({failing, cancelled})
    assert failing.exception() is not None  # retrieved: never "Task exception was never..."
    assert len(in_flight) == 0
    assert await in_flight.wait(0) == set()  # a stop waits for nothing
