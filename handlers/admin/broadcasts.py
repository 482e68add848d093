"""/broadcast TEXT (or a reply to a message): one outbox row per person, paced by the notifier,
its figures kept up to date by bot/broadcaster.py; /broadcast cancel stops what is running."""

from __future__ import annotations

import contextlib

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.admin.common import counted
from shop import texts
from shop.console import Console
from shop.services import Services

BROADCAST_USAGE = (
    "Usage: /broadcast TEXT, or reply to a message with /broadcast; /broadcast cancel stops it"
)
MAX_BROADCAST_LENGTH = 4000


async def show_final_progress(bot: Bot, console: Console, broadcast_id: int) -> None:
    """A canceled broadcast's progress message says so at once."""
    progress = await console.broadcast_progress(broadcast_id)
    if progress is None or progress.progress_chat_id is None or not progress.progress_message_id:
        return
    with contextlib.suppress(TelegramAPIError):
        await bot.edit_message_text(
            texts.broadcast_progress_line(broadcast_id, progress),
            chat_id=progress.progress_chat_id,
            message_id=progress.progress_message_id,
        )


async def broadcast(message: Message, command: CommandObject, services: Services, bot: Bot) -> None:
    console = services.console
    args = (command.args or "").strip()
    if args.lower() == "cancel":
        canceled = await console.cancel_broadcasts()
        for broadcast_id in canceled:
            await show_final_progress(bot, console, broadcast_id)
        await message.answer(
            f"✖️ Canceled {len(canceled)} running broadcast(s)."
            if canceled
            else "No broadcast is running."
        )
        return
    replied = message.reply_to_message
    text = (replied.html_text if replied and (replied.text or replied.caption) else "") or (
        message.html_text.split(maxsplit=1)[1] if args else ""
    )
    if not text.strip():
        await message.answer(BROADCAST_USAGE)
        return
    if len(text) > MAX_BROADCAST_LENGTH:
        await message.answer(
            "⚠️ The message is too long for Telegram (at most about 4,000 characters)."
        )
        return
    broadcast_id = await console.start_broadcast(message.chat.id, text)
    progress = await console.broadcast_progress(broadcast_id)
    assert progress is not None
    sent = await message.answer(
        f"📣 Broadcast #{broadcast_id} to {counted(progress.total, 'person', 'people')} started."
    )
    await console.set_progress_message(broadcast_id, sent.chat.id, sent.message_id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(broadcast, Command("broadcast"))
    return router
