"""/api: a person's key for the shop's API v2 (reseller_api/), to buy with their own scripts
or their own shop bot as from a panel.

The screen shows the endpoint, the key masked, the callback URL and whether API orders are
told in the chat too; buttons create a key (shown once, in a message of its own, with the
callback signing secret), regenerate it (the old one stops at once) or revoke it.
`/api callback https://...` sets where status callbacks go; `/api callback off` stops them.
"""

from __future__ import annotations

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.callbacks import ApiCb
from handlers.common import show
from handlers.keyboards import button, home_button
from shop import reseller_texts
from shop.i18n import _
from shop.resellers import Access, CallbackUrlError
from shop.services import Services
from storage.resellers import ResellerRecord
from storage.users import User

CALLBACK_USAGE = f"/api callback {reseller_texts.CALLBACK_EXAMPLE}"


def screen_text(services: Services, account: ResellerRecord | None) -> str:
    lines = [
        reseller_texts.title(),
        reseller_texts.intro(),
        "",
        reseller_texts.endpoint_line(services.resellers.endpoint),
        reseller_texts.key_line(account),
    ]
    if account is not None and account.has_key:
        lines.append(reseller_texts.callbacks_line(account, CALLBACK_USAGE))
        lines.append(reseller_texts.notify_line(account))
    return "\n".join(lines)


def closed_text(access: Access, person: User, services: Services) -> str:
    return reseller_texts.closed_text(access, person.id, services.support_contact)


def screen_keyboard(account: ResellerRecord | None) -> InlineKeyboardMarkup:
    if account is None or not account.has_key:
        rows = [[button(_("🔑 Create a key"), ApiCb(action="create"))]]
    else:
        notify = (
            button(_("🔕 Stop chat messages"), ApiCb(action="notify_off"))
            if account.notify
            else button(_("🔔 Tell me in the chat too"), ApiCb(action="notify_on"))
        )
        rows = [
            [
                button(_("🔄 New key"), ApiCb(action="regenerate")),
                button(_("🗑 Revoke key"), ApiCb(action="revoke")),
            ],
            [notify],
        ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [home_button()]])


def confirm_keyboard(action: str) -> InlineKeyboardMarkup:
    yes = _("Yes, a new key") if action == "regenerate" else _("Yes, revoke it")
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(yes, ApiCb(action=f"{action}_sure"))],
            [button(_("⬅️ Back"), ApiCb(action="show"))],
        ]
    )


async def show_screen(target: Message | CallbackQuery, services: Services, person: User) -> None:
    account = await services.resellers.account(person.id)
    access = services.resellers.access(person, account)
    if access is not Access.ALLOWED:
        await show(target, closed_text(access, person, services))
        return
    await show(target, screen_text(services, account), screen_keyboard(account))


async def api_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    services: Services,
    person: User,
) -> None:
    await state.clear()
    args = (command.args or "").split(maxsplit=1)
    if not args:
        return await show_screen(message, services, person)
    if args[0].lower() != "callback" or len(args) < 2:
        await message.answer(
            _("Send /api for your key, or {usage} for status callbacks.").format(
                usage=f"<code>{CALLBACK_USAGE}</code>"
            )
        )
        return None
    return await set_callback(message, services, person, args[1].strip())


async def set_callback(message: Message, services: Services, person: User, url: str) -> None:
    account = await services.resellers.account(person.id)
    if services.resellers.access(person, account) is not Access.ALLOWED:
        return await show_screen(message, services, person)
    if account is None or not account.has_key:
        await message.answer(_("Create a key first: send /api."))
        return None
    if url.lower() in {"off", "-", "none"}:
        await services.resellers.set_callback_url(person.id, None)
        await message.answer(_("✅ Status callbacks are off."))
        return None
    try:
        url = await services.resellers.set_callback_url(person.id, url) or url
    except CallbackUrlError as error:
        problem = reseller_texts.url_problem_text(error.problem, CALLBACK_USAGE)
        await message.answer("⚠️ " + problem)
        return None
    await message.answer(
        _(
            "✅ Status callbacks go to {url}: a signed POST on every status change of your "
            "API orders (see /api)."
        ).format(url=html.quote(url))
    )
    return None


async def api_button(
    callback: CallbackQuery,
    callback_data: ApiCb,
    services: Services,
    person: User,
    callback_answer: CallbackAnswer,
) -> None:
    resellers = services.resellers
    action = callback_data.action
    if action in {"regenerate", "revoke"}:
        text = (
            reseller_texts.replace_question()
            if action == "regenerate"
            else reseller_texts.revoke_question()
        )
        await show(callback, "⚠️ " + text, confirm_keyboard(action))
        return
    if action == "create" and (account := await resellers.account(person.id)) and account.has_key:
        callback_answer.text = _("You have a key already.")  # an old screen's button
        await show_screen(callback, services, person)
        return
    if action in {"create", "regenerate_sure"}:
        new = await resellers.create_key(person)
        if isinstance(new, Access):
            await show(callback, closed_text(new, person, services))
            return
        await show_screen(callback, services, person)
        if isinstance(callback.message, Message):
            endpoint = services.resellers.endpoint
            await callback.message.answer(reseller_texts.new_key_text(endpoint, new))
        return
    if action == "revoke_sure":
        await resellers.revoke_key(person.id)
        callback_answer.text = _("The key is revoked.")
    elif action in {"notify_on", "notify_off"}:
        await resellers.set_notify(person.id, action == "notify_on")
    await show_screen(callback, services, person)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(api_command, Command("api"))
    router.callback_query.register(api_button, ApiCb.filter())
    return router
