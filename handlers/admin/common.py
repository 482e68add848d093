"""Small things every admin module says the same way."""

from __future__ import annotations

from decimal import Decimal

from aiogram import html
from aiogram.filters import CommandObject
from aiogram.types import Message

from shop.formatting import format_number
from shop.numbers import ACCEPTED_FORMS, AmbiguousNumber, parse_number
from shop.pricing import MAX_AMOUNT

PRODUCT_WORDS = frozenset({"product", "products"})  # /import product ..., /route product ...


def counted(count: int, one: str, many: str) -> str:
    """Admin texts are English: '1 order', '2 orders'."""
    return f"{format_number(count)} {one if count == 1 else many}"


def whole_number(text: str) -> int | None:
    """An id as an admin types it: 42 or #42."""
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 18 else None


def is_ambiguous(text: str) -> bool:
    try:
        parse_number(text)
    except AmbiguousNumber:
        return True
    return False


def ambiguity(text: str) -> str:
    return (
        f"⚠️ {html.quote(text.strip()[:30])} is ambiguous: a thousand, or one with three "
        f"decimals? Write it as {ACCEPTED_FORMS}."
    )


def read_amount(text: str) -> Decimal | str:
    """A positive amount of money an admin typed, or the line that says what is wrong."""
    if is_ambiguous(text):
        return ambiguity(text)
    value = parse_number(text)
    if value is None or value <= 0 or value >= MAX_AMOUNT:
        return (
            f"⚠️ {html.quote(text.strip()[:30]) or 'Nothing'} is not an amount: write a "
            f"positive amount such as {ACCEPTED_FORMS}."
        )
    return value


async def takes_no_arguments(message: Message, command: CommandObject, usage: str) -> bool:
    """True when the command came bare; otherwise the admin is told it takes nothing more."""
    if not (command.args or "").strip():
        return True
    await message.answer(f"⚠️ /{command.command} takes nothing after it. {usage}")
    return False
