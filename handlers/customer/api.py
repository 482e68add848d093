"""/api: a person's key for the shop's API v2 (reseller_api/), to buy with their own scripts
or their own shop bot as from a panel.

The screen shows the endpoint, the key masked, the callback URL and whether API orders are
told in the chat too; buttons create a key (shown once, in a message of its own, with the
callback signing secret), regenerate it (the old one stops at once) or revoke it.
`/api callback https://...` sets where status callbacks go; `/api callback off` stops them.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router, html
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers.callbacks import ApiCb
from handlers.common import show
from handlers.keyboards import button, home_button
from shop.i18n import _
from shop.resellers import Access, CallbackUrlError, NewKey, UrlProblem
from shop.services import Services
from storage.resellers import ResellerRecord
from storage.users import User

CALLBACK_USAGE = "/api callback https://example.com/hook"


def when(moment: int | None) -> str:
    if moment is None:
        return _("never")
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def endpoint_line(services: Services) -> str:
    endpoint = services.resellers.endpoint
    if not endpoint:
        return _("Endpoint: ask the shop for its address (it has not set a public one).")
    return _("Endpoint: <code>{url}</code>").format(url=html.quote(endpoint))


def closed_text(access: Access, person: User, services: Services) -> str:
    if access is Access.OFF:
        return _("🔌 This shop does not sell through an API.")
    if access is Access.NOT_GRANTED:
        text = _(
            "🔌 <b>API for resellers</b>\n\nThis shop gives API keys to resellers it approves. "
            "Ask the shop to approve you, giving your id: <code>{id}</code>."
        ).format(id=person.id)
        contact = services.support_contact
        if contact:
            text += "\n" + _("Contact: {contact}").format(contact=html.quote(contact))
        return text
    return _("⛔ Your account is blocked.")


def screen_text(services: Services, account: ResellerRecord | None) -> str:
    lines = [
        _("🔌 <b>API for resellers</b>"),
        _(
            "Buy from this shop with your own scripts or your own shop bot, as from an SMM "
            "panel (API v2: the same actions, answers and errors)."
        ),
        "",
        endpoint_line(services),
    ]
    if account is None or not account.has_key:
        lines.append(_("Key: none yet."))
        return "\n".join(lines)
    lines.append(
        _("Key: <code>{hint}</code> (created {created}, last used {used})").format(
            hint=html.quote(account.key_hint or ""),
            created=when(account.key_created_at),
            used=when(account.last_used_at),
        )
    )
    if account.callback_url:
        lines.append(_("Status callbacks: {url}").format(url=html.quote(account.callback_url)))
    else:
        lines.append(
            _("Status callbacks: off (set them with {usage})").format(
                usage=f"<code>{CALLBACK_USAGE}</code>"
            )
        )
    if account.notify:
        lines.append(_("API orders are also told in this chat."))
    else:
        lines.append(_("API orders are not told in this chat."))
    return "\n".join(lines)


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


def new_key_text(services: Services, new: NewKey) -> str:
    """The only message that ever shows the key."""
    return "\n".join(
        [
            _("🔑 <b>Your API key</b> (shown only this once: copy it now)"),
            f"<code>{html.quote(new.key)}</code>",
            "",
            _("Callback signing secret (HMAC-SHA256 of each callback's body):"),
            f"<code>{html.quote(new.callback_secret)}</code>",
            "",
            endpoint_line(services),
            _("Keep the key secret: anyone who has it can order with your balance."),
        ]
    )


def url_problem_text(problem: UrlProblem) -> str:
    texts = {
        UrlProblem.NOT_HTTPS: _("The callback address must start with https://."),
        UrlProblem.NOT_A_URL: _("That is not a web address. Send e.g. {usage}"),
        UrlProblem.TOO_LONG: _("That address is too long (at most 500 characters)."),
        UrlProblem.PRIVATE: _(
            "Callbacks go only to public addresses, not to a private or local network."
        ),
    }
    return "⚠️ " + texts[problem].format(usage=CALLBACK_USAGE)


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
        await message.answer(url_problem_text(error.problem))
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
            _("A new key stops the one you have at once. Your scripts need the new one.")
            if action == "regenerate"
            else _("Revoke your key? It stops at once; you can create a new one later.")
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
            await callback.message.answer(new_key_text(services, new))
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
