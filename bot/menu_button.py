"""The chat's menu button: the Mini App when it is on (Telegram shows it beside the message
field), otherwise Telegram's default. Only a button that opens our own Mini App is ever taken
back, so one the owner set with @BotFather stays."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import MenuButtonDefault, MenuButtonWebApp, WebAppInfo

logger = logging.getLogger(__name__)

MENU_BUTTON_TEXT = "🛍 Shop"  # one text for everyone: Telegram keeps one default button
MINIAPP_PATH = "/app/"


async def set_menu_button(bot: Bot, miniapp_url: str) -> None:
    try:
        if miniapp_url:
            button = MenuButtonWebApp(text=MENU_BUTTON_TEXT, web_app=WebAppInfo(url=miniapp_url))
            await bot.set_chat_menu_button(menu_button=button)
            return
        current = await bot.get_chat_menu_button()
        if isinstance(current, MenuButtonWebApp) and current.web_app.url.endswith(MINIAPP_PATH):
            await bot.set_chat_menu_button(menu_button=MenuButtonDefault())
    except TelegramAPIError as error:  # the shop works without it: say so and go on
        logger.warning("Could not set the chat's menu button: %s", error)
