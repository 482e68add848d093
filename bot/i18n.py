"""gettext through aiogram's I18n; texts made outside an update use the person's language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiogram.utils.i18n import I18n, get_i18n

LOCALES_PATH = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"


def make_i18n() -> I18n:
    return I18n(path=LOCALES_PATH, default_locale=DEFAULT_LANGUAGE, domain="messages")


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
