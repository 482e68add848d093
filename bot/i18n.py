"""gettext through aiogram's I18n; texts made outside an update use the person's language.

The catalogs are the .po files in bot/locales/<lang>/LC_MESSAGES/messages.po, compiled in memory
at start-up: no compiled .mo file is kept. A language is available when its catalog exists;
English is the source language (its catalog is empty: texts show as written in the code).
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Token
from pathlib import Path

from aiogram.utils.i18n import I18n, get_i18n
from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_PATH = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"


def N_(message: str) -> str:  # the gettext convention's name for "mark only"
    """Marks a text for the catalogs without translating it (translated where it is shown)."""
    return message


def compile_catalog(po_path: Path, locale: str) -> gettext.GNUTranslations:
    """A .po file as gettext translations, compiled in memory. Fuzzy and empty translations are
    left out (as msgfmt does): those texts show in English until someone translates them."""
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class PoI18n(I18n):
    """aiogram's I18n reading the .po catalogs themselves instead of compiled .mo files."""

    # aiogram gives every subclass its own "current instance" context variable, but gettext
    # and get_i18n() read I18n's: set and reset that one.
    @classmethod
    def set_current(cls, value: I18n) -> Token[I18n]:
        return I18n.set_current(value)

    @classmethod
    def reset_current(cls, token: Token[I18n]) -> None:
        I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        return {
            po_path.parents[1].name: compile_catalog(po_path, po_path.parents[1].name)
            for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po"))
        }


def make_i18n() -> I18n:
    return PoI18n(path=LOCALES_PATH, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def language_name(code: str) -> str:
    """A language's name in itself, for the language buttons: English, Русский, Tiếng Việt."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):  # a catalog named after nothing Babel knows
        return code
    return name[:1].upper() + name[1:]


def available_languages() -> list[str]:
    """The languages people can choose: English first, then the others by code."""
    codes = get_i18n().available_locales
    return sorted(codes, key=lambda code: (code != DEFAULT_LANGUAGE, code))


def supported_language(code: str | None) -> str:
    """A Telegram language_code ('ru', 'pt-br') -> a language we have, else English."""
    i18n = get_i18n()
    base = (code or "").split("-")[0].lower()
    return base if base in i18n.available_locales else DEFAULT_LANGUAGE


@contextmanager
def in_language(code: str | None) -> Iterator[None]:
    """Render texts in a person's language, e.g. for a notification written by a background task."""
    with get_i18n().use_locale(supported_language(code)):
        yield
