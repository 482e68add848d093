"""Numbers as people type them (shop/numbers.py), and what a link or a list line may hold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop.numbers import AmbiguousNumber, parse_number, split_leading_number
from shop.order_input import InputError, Problem, parse_lines, parse_link


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1000", "1000"),
        ("1000.50", "1000.5"),
        ("1000,50", "1000.5"),
        ("1 000,50", "1000.5"),
        ("1\u202f000,50", "1000.5"),  # as the bot prints it in Russian
        ("1\u00a0000", "1000"),
        ("1,000.50", "1000.5"),
        ("1.000,50", "1000.5"),  # as the bot prints it in Vietnamese
        ("1,000,000", "1000000"),
        ("0.125", "0.125"),  # a leading zero is never a group of thousands
        ("1234.567", "1234.567"),  # nor are four digits before the mark
        ("10,5", "10.5"),
        (" 7 ", "7"),
    ],
)
def test_numbers_read_as_meant(typed: str, value: str) -> None:
    assert parse_number(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["1,000", "1.000", "12.500", "999,999"])
def test_a_thousand_or_three_decimals_is_ambiguous(typed: str) -> None:
    with pytest.raises(AmbiguousNumber):
        parse_number(typed)


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "-5", "1e9", "inf", "NaN", "1,2,3", "1.000.00", "1,000.5.0", "1.", "١٢٣", "0x10",
     "1" * 16, "1.1234567", "10 000 000 0"],
)  # fmt: skip
def test_what_is_not_a_number(typed: str) -> None:
    assert parse_number(typed) is None


def test_a_number_grouped_with_spaces_stays_whole_before_a_note() -> None:
    assert split_leading_number("1 000,50 welcome bonus") == ("1 000,50", "welcome bonus")
    assert split_leading_number("10 bonus") == ("10", "bonus")
    assert split_leading_number("12") == ("12", "")


@pytest.mark.parametrize(
    "link", ["https://youtu.be/x\x00", "https://youtu.be/x\x07", "https://you\u200btu.be/x"]
)
def test_a_link_with_invisible_characters_is_not_a_link(link: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_link(link)
    assert raised.value.problem is Problem.NOT_A_LINK


def test_list_lines_refuse_control_characters_but_keep_emoji_and_tabs() -> None:
    with pytest.raises(InputError) as raised:
        parse_lines("fine\nbro\x00ken", 1, 10)
    assert raised.value.problem is Problem.CONTROL_CHARACTER
    assert parse_lines("👨\u200d👩\u200d👧 lovely\nwell\tdone", 1, 10) == [
        "👨\u200d👩\u200d👧 lovely",
        "well\tdone",
    ]
