"""Files for the owner: /export orders|users|ledger (CSV) and /backup (a copy of the database)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from handlers.admin.common import takes_no_arguments
from shop.console import EXPORTS, Console
from shop.services import Services

EXPORT_USAGE = "Usage: /export orders | users | ledger"


async def send_export(message: Message, console: Console, table: str) -> None:
    async with console.export_file(table) as path:
        await message.answer_document(
            FSInputFile(path, filename=f"{table}.csv"), caption=f"📤 {table}"
        )


async def send_backup(message: Message, console: Console) -> None:
    async with console.backup_file() as path:
        caption = "💾 Database backup (SQLite). Keep it somewhere safe."
        await message.answer_document(FSInputFile(path, filename=path.name), caption=caption)


async def export(message: Message, command: CommandObject, services: Services) -> None:
    table = (command.args or "").strip().lower()
    if table not in EXPORTS:
        await message.answer(EXPORT_USAGE)
        return
    await send_export(message, services.console, table)


async def backup(message: Message, command: CommandObject, services: Services) -> None:
    if await takes_no_arguments(message, command, "Usage: /backup"):
        await send_backup(message, services.console)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(export, Command("export"))
    router.message.register(backup, Command("backup"))
    return router
