"""gettext for the shop's texts, in the language of the person being answered.

The catalogs are the .po files in shop/locales/<lang>/LC_MESSAGES/messages.po, compiled in memory
the first time a text is translated: no compiled .mo file is kept. A language is available when
its catalog exists; English is the source language (texts show as written in the code).

The current language lives in a context variable: the update middleware sets it for everything a
handler renders, and `in_language` sets it for texts written outside an update (notifications a
background task writes in each person's language). Nothing here knows about Telegram.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_PATH = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:  # the gettext convention's name for "mark only"
    """Marks a text for the catalogs without translating it (translated where it is shown)."""
    return message


def compile_catalog(po_path: Path, locale: str) -> gettext_module.GNUTranslations:
    """A .po file as gettext translations, compiled in memory. Fuzzy and empty translations are
    left out (as msgfmt does): those texts show in English until someone translates them."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


@cache
def catalogs() -> dict[str, gettext_module.GNUTranslations]:
    """Every language's compiled catalog, read once per process (they do not change)."""
    return {
        po_path.parents[1].name: compile_catalog(po_path, po_path.parents[1].name)
        for po_path in sorted(LOCALES_PATH.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    }


def available_languages() -> list[str]:
    """The languages people can choose: English first, then the others by code."""
    codes = set(catalogs()) | {DEFAULT_LANGUAGE}
    return sorted(codes, key=lambda code: (code != DEFAULT_LANGUAGE, code))


def language_name(code: str) -> str:
    """A language's name in itself, for the language buttons: English, Русский, Tiếng Việt."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):  # a catalog named after nothing Babel knows
        return code
    return name[:1].upper() + name[1:]


def supported_language(code: str | None) -> str:
    """A Telegram language_code ('ru', 'pt-br') -> a language we have, else English."""
    base = (code or "").split("-")[0].lower()
    return base if base in catalogs() else DEFAULT_LANGUAGE


def current_language() -> str:
    return _language.get()


@contextmanager
def in_language(code: str | None) -> Iterator[None]:
    """Render texts in a person's language (one we have; English otherwise)."""
    token = _language.set(supported_language(code))
    try:
        yield
    finally:
        _language.reset(token)


def gettext(singular: str, plural: str | None = None, n: int = 1, locale: str | None = None) -> str:
    """`singular` in the current language (or `locale`); with `plural`, the form for `n`."""
    translations = catalogs().get(locale or _language.get())
    if plural is None:
        return singular if translations is None else translations.gettext(singular)
    if translations is None:
        return singular if n == 1 else plural
    return translations.ngettext(singular, plural, n)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return gettext(singular, plural, n, locale)


_ = gettext
