"""The catalogs cover every text the code uses, translations keep placeholders and HTML tags,
plural forms are right per language, and numbers and money read the language's way."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from shop.formatting import NARROW_NBSP, format_money, format_number
from shop.i18n import (
    DEFAULT_LANGUAGE,
    LOCALES_PATH,
    available_languages,
    gettext,
    in_language,
    language_name,
    supported_language,
)
from shop.order_input import InputError, parse_quantity

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "handlers", "miniapp", "shop")  # what `make i18n` extracts from
# The same keywords as `make i18n`: _ , ngettext:1,2 , __ , N_ (and Babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "ngettext": (1, 2), "__": None, "N_": None}
# Every catalog is checked, so a new language needs no change here.
LANGUAGES = tuple(
    sorted(path.parents[1].name for path in LOCALES_PATH.glob("*/LC_MESSAGES/messages.po"))
)
# English is the source language: its catalog may stay empty. The others must translate all.
TRANSLATED = tuple(language for language in LANGUAGES if language != DEFAULT_LANGUAGE)
PLURAL_FORMS = {"en": 2, "ru": 3, "vi": 1}  # 1 comment / 2 comments; 1 заказ, 2 заказа, 5 заказов
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")  # <b>, </b>, <code>, <a href="...">

MessageId = str | tuple[str, ...]


def extracted_ids() -> dict[MessageId, str]:
    """Every text the code marks for translation -> where (file:line) it was first seen."""
    found: dict[MessageId, str] = {}
    for source in SOURCES:
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key: MessageId = message if isinstance(message, str) else tuple(message)
            found.setdefault(key, f"{source}/{filename}:{line}")
    return found


def load(language: str) -> Catalog:
    with (LOCALES_PATH / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def forms(text: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if text is None:
        return []
    return [text] if isinstance(text, str) else list(text)


def untranslated(message: Message) -> bool:
    """Fuzzy or empty (any plural form) counts as missing: such texts would show in English."""
    texts = forms(message.string)
    return message.fuzzy or not texts or any(not text for text in texts)


def placeholders(text: str) -> set[str]:
    """The {name} fields of a format string (raises ValueError on unbalanced braces)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def tags(text: str) -> Counter[str]:
    return Counter(TAG.findall(text))


def missing_in(catalog: Catalog, needed: dict[MessageId, str], translated: bool) -> list[str]:
    """What the code uses that the catalog lacks (or, when `translated`, does not translate)."""
    have = {
        (message.id if isinstance(message.id, str) else tuple(message.id)): message
        for message in entries(catalog)
    }
    problems = []
    for key, where in needed.items():
        message = have.get(key)
        if message is None:
            problems.append(f"{where}: not in the catalog: {key!r}")
        elif translated and untranslated(message):
            problems.append(f"{where}: fuzzy or not translated: {key!r}")
    return problems


def broken_in(catalog: Catalog) -> list[str]:
    """Translations whose placeholders or HTML tags differ from the English text's."""
    problems = []
    for message in entries(catalog):
        sources = forms(message.id)
        try:
            wanted = set().union(*(placeholders(text) for text in sources))
        except ValueError as error:
            problems.append(f"{message.id!r}: bad format string in the source: {error}")
            continue
        wanted_tags = tags(sources[-1])
        for text in forms(message.string):
            if not text:
                continue
            try:
                got = placeholders(text)
            except ValueError as error:
                problems.append(f"{message.id!r}: {text!r} is not a format string: {error}")
                continue
            # A singular form may leave out the count ("одна строка"), never add a field.
            if got != wanted and not (message.pluralizable and got < wanted):
                problems.append(f"{message.id!r}: placeholders {sorted(got)} != {sorted(wanted)}")
            if tags(text) != wanted_tags:
                problems.append(f"{message.id!r}: HTML tags in {text!r} differ")
    return problems


# ---- the catalogs against the code -----------------------------------------------------------


@pytest.fixture(scope="module")
def needed() -> dict[MessageId, str]:
    found = extracted_ids()
    assert len(found) > 100, "extraction found too little: are the keywords right?"
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_the_code_uses_is_in_the_catalog(
    language: str, needed: dict[MessageId, str]
) -> None:
    problems = missing_in(load(language), needed, translated=language in TRANSLATED)
    assert not problems, "run `make i18n` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_tags(language: str) -> None:
    problems = broken_in(load(language))
    assert not problems, "\n".join(problems)


def test_the_shops_languages_have_catalogs() -> None:
    assert {"en", "ru", "vi"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_are_the_languages(language: str) -> None:
    catalog = load(language)
    # The standard Plural-Forms header (CLDR's rule, as `pybabel init` writes it).
    assert catalog.plural_forms == get_plural(language).plural_forms
    if language in PLURAL_FORMS:
        assert catalog.num_plurals == PLURAL_FORMS[language]
    plural_entries = [message for message in entries(catalog) if message.pluralizable]
    assert plural_entries, "the code uses ngettext; its entries must be in the catalog"
    for message in plural_entries:
        assert len(forms(message.string)) == catalog.num_plurals, message.id


def test_no_compiled_catalogs_are_kept() -> None:
    assert list(LOCALES_PATH.rglob("*.mo")) == []


def test_the_checks_catch_what_they_should() -> None:
    """The checks above fail on a catalog that lacks, fuzzes or breaks a text."""
    catalog = Catalog(locale="ru")
    catalog.add("Price: <b>{price}</b>", "Цена: {price}")  # tag lost
    catalog.add("Hello, {name}!", "Привет, {имя}!")  # placeholder renamed
    catalog.add("Fuzzy {x}", "Нечёткий {x}", flags=["fuzzy"])
    catalog.add(("{n} order", "{n} orders"), ("{n} заказ", "{n} заказа", ""))
    catalog.add("Broken {x}", "Сломано {x")
    needed: dict[MessageId, str] = {
        "Price: <b>{price}</b>": "a.py:1",
        "Fuzzy {x}": "a.py:2",
        ("{n} order", "{n} orders"): "a.py:3",
        "Not there": "a.py:4",
    }
    missing = "\n".join(missing_in(catalog, needed, translated=True))
    assert "Not there" in missing and "Fuzzy" in missing and "{n} order" in missing
    assert "Price" not in missing
    broken = "\n".join(broken_in(catalog))
    assert "HTML tags" in broken and "placeholders" in broken and "not a format string" in broken


# ---- loading the catalogs --------------------------------------------------------------------


def test_every_catalog_is_a_language_compiled_at_start() -> None:
    assert set(available_languages()) == set(LANGUAGES)
    assert available_languages()[0] == "en"
    assert [language_name(code) for code in ("en", "ru", "vi")] == [
        "English",
        "Русский",
        "Tiếng Việt",
    ]


def test_telegram_language_codes_map_to_ours() -> None:
    assert supported_language("ru") == "ru"
    assert supported_language("ru-RU") == "ru"
    assert supported_language("VI") == "vi"
    assert supported_language("de") == DEFAULT_LANGUAGE
    assert supported_language("") == DEFAULT_LANGUAGE
    assert supported_language(None) == DEFAULT_LANGUAGE


def test_texts_follow_the_language() -> None:
    with in_language("ru"):
        assert gettext("🛒 Services") == "🛒 Услуги"
    with in_language("vi"):
        assert gettext("🛒 Services") == "🛒 Dịch vụ"
    with in_language("en"):
        assert gettext("🛒 Services") == "🛒 Services"
    with in_language("xx"):  # a language without a catalog reads English
        assert gettext("🛒 Services") == "🛒 Services"


@pytest.mark.parametrize(
    ("count", "english", "russian"),
    [
        (1, "1 comment", "1 комментарий"),
        (2, "2 comments", "2 комментария"),
        (5, "5 comments", "5 комментариев"),
        (11, "11 comments", "11 комментариев"),
        (21, "21 comments", "21 комментарий"),
        (22, "22 comments", "22 комментария"),
        (112, "112 comments", "112 комментариев"),
    ],
)
def test_plurals_read_right(count: int, english: str, russian: str) -> None:
    singular, plural = "Comments: {count} comment", "Comments: {count} comments"
    for language, expected in (("en", english), ("ru", russian), ("vi", f"{count} bình luận")):
        with in_language(language):
            text = gettext(singular, plural, count).format(count=count)
        assert text.endswith(expected), (language, text)


# ---- numbers and money -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "money", "number"),
    [
        ("en", "1,234.50 USD", "1,234,567"),
        ("ru", f"1{NARROW_NBSP}234,50 USD", f"1{NARROW_NBSP}234{NARROW_NBSP}567"),
        ("vi", "1.234,50 USD", "1.234.567"),
        ("xx", "1,234.50 USD", "1,234,567"),  # not a language we have: English
    ],
)
def test_money_and_numbers_use_the_languages_separators(
    language: str, money: str, number: str
) -> None:
    with in_language(language):
        assert format_money(Decimal("1234.5")) == money
        assert format_number(1_234_567) == number


def test_money_stays_exact_and_trimmed_in_every_language() -> None:
    cases = {
        "en": ["2.50 USD", "0.048 USD", "125,000 VND", "0.000123 USD", "-3.25 USD", "0.00 USD"],
        "ru": ["2,50 USD", "0,048 USD", f"125{NARROW_NBSP}000 VND", "0,000123 USD", "-3,25 USD",
               "0,00 USD"],
        "vi": ["2,50 USD", "0,048 USD", "125.000 VND", "0,000123 USD", "-3,25 USD", "0,00 USD"],
    }  # fmt: skip
    amounts = [
        (Decimal("2.5"), "USD"),
        (Decimal("0.048"), "USD"),
        (Decimal("125000"), "VND"),
        (Decimal("0.000123"), "USD"),
        (Decimal("-3.250000"), "USD"),
        (Decimal(0), "USD"),
    ]
    for language, expected in cases.items():
        with in_language(language):
            assert [format_money(amount, currency) for amount, currency in amounts] == expected
    with in_language("ru"):  # 1e-6 more than a float would show
        assert format_money(Decimal("12345678.123457")) == (
            f"12{NARROW_NBSP}345{NARROW_NBSP}678,123457 USD"
        )


def test_outside_any_i18n_context_numbers_read_english() -> None:
    assert format_money(Decimal("1234.5")) == "1,234.50 USD"
    assert format_number(1000) == "1,000"


@pytest.mark.parametrize(
    "typed", ["10000", "10,000", "10 000", f"10{NARROW_NBSP}000", "10\u00a0000", "10.000"]
)
def test_a_quantity_can_be_typed_as_any_language_writes_it(typed: str) -> None:
    assert parse_quantity(typed, 1, 100_000) == 10_000


def test_a_fraction_is_still_not_a_quantity() -> None:
    with pytest.raises(InputError):
        parse_quantity("12.5", 1, 100_000)
