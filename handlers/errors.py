"""The last net: an unexpected error is logged with its update, and the person gets a calm line."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, User

from shop.i18n import _, in_language
from shop.services import Services

logger = logging.getLogger(__name__)


async def language_of(services: Services | None, sender: User | None) -> str | None:
    """The person's stored language: errors are handled outside the middleware that set it."""
    if services is None or sender is None:
        return None
    try:
        person = await services.people.person(sender.id)
    except Exception:  # the error may be the database itself: then the line reads English
        return None
    return None if person is None else person.language


async def on_error(
    event: ErrorEvent, services: Services | None = None, event_from_user: User | None = None
) -> None:
    logger.error(
        "Update %s failed: %r", event.update.update_id, event.exception, exc_info=event.exception
    )
    with in_language(await language_of(services, event_from_user)):
        text = _("Sorry, something went wrong on our side. Please try again; your balance is safe.")
    with contextlib.suppress(TelegramAPIError, LookupError):
        if event.update.callback_query is not None:
            await event.update.callback_query.answer(text, show_alert=True)
        elif event.update.message is not None:
            await event.update.message.answer(text)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
