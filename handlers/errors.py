"""The last net: an unexpected error is logged with its update, and the person gets a calm line."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

router = Router(name=__name__)
logger = logging.getLogger(__name__)


@router.errors()
async def on_error(event: ErrorEvent) -> None:
    logger.error(
        "Update %s failed: %r", event.update.update_id, event.exception, exc_info=event.exception
    )
    text = _("Sorry, something went wrong on our side. Please try again; your balance is safe.")
    with contextlib.suppress(TelegramAPIError, LookupError):
        if event.update.callback_query is not None:
            await event.update.callback_query.answer(text, show_alert=True)
        elif event.update.message is not None:
            await event.update.message.answer(text)
