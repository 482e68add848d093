"""The person's key for the shop's API v2 (reseller_api/), as the chat's /api manages it
(handlers/customer/api.py), with the same service (shop/resellers.py) and the same words
(shop/reseller_texts.py): the endpoint, the key (in the one answer that creates it, its hint
afterwards), a new key in its place (the old stops at once) or none, whether API orders are
told in the chat, and where status callbacks go.

The key and its callback secret are in no log line and no later answer: only the answer that
creates them carries them, and no answer is ever cached (miniapp/answers.py)."""

from __future__ import annotations

from aiohttp import web

from miniapp import views
from miniapp.answers import ApiError, Json
from miniapp.front import Storefront
from miniapp.gate import Route
from miniapp.inputs import body_of, flag_field, text_field
from shop import reseller_texts
from shop.i18n import _
from shop.resellers import Access, CallbackUrlError, NewKey
from storage.resellers import ResellerRecord
from storage.users import User


def unadorned(text: str) -> str:
    """A title without the icon the chat puts in front of it."""
    return text.lstrip("🔌🔑 ")


def shown_once(new: NewKey) -> Json:
    return {
        "title": unadorned(views.plain(reseller_texts.new_key_title())),
        "key": new.key,
        "secret_label": views.plain(reseller_texts.secret_label()).removesuffix(":"),
        "secret": new.callback_secret,
        "warning": views.plain(reseller_texts.keep_it_secret()),
    }


class Keys:
    def __init__(self, front: Storefront) -> None:
        self.front = front

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/keys", self.screen),
            Route("POST", "/keys", self.create, action=True),
            Route("POST", "/keys/revoke", self.revoke, action=True),
            Route("POST", "/keys/notify", self.notify, action=True),
            Route("POST", "/keys/callback", self.callback, action=True),
        ]

    def _closed(self, access: Access, person: User) -> str:
        contact = self.front.support_contact()
        return views.plain(reseller_texts.closed_text(access, person.id, contact))

    async def screen(self, request: web.Request, person: User) -> Json:
        access, account = await self.front.key_account(person)
        if access is not Access.ALLOWED:
            return {"access": access.value, "closed": self._closed(access, person)}
        lines = [
            reseller_texts.endpoint_line(self.front.api_endpoint()),
            reseller_texts.key_line(account),
        ]
        keyed = account if account is not None and account.has_key else None
        return {
            "access": access.value,
            "title": unadorned(views.plain(reseller_texts.title())),
            "intro": views.plain(reseller_texts.intro()),
            "endpoint": self.front.api_endpoint(),
            "rows": views.rows("\n".join(lines)),
            "has_key": keyed is not None,
            "notify": bool(keyed and keyed.notify),
            "notify_text": views.plain(reseller_texts.notify_line(keyed)) if keyed else "",
            "callback_url": (keyed.callback_url or "") if keyed else "",
            "replace_question": views.plain(reseller_texts.replace_question()),
            "revoke_question": views.plain(reseller_texts.revoke_question()),
        }

    async def _account(self, person: User) -> ResellerRecord | None:
        """The person's account, when they may have a key now; else a 409 saying why not."""
        access, account = await self.front.key_account(person)
        if access is not Access.ALLOWED:
            raise ApiError(409, "closed", self._closed(access, person))
        return account

    async def _keyed_account(self, person: User) -> ResellerRecord:
        account = await self._account(person)
        if account is None or not account.has_key:
            raise ApiError(409, "no_key", _("Create a key first."))
        return account

    async def create(self, request: web.Request, person: User) -> Json:
        """A key; a new one in place of the old only when the page says so (after its confirm),
        so a create sent from an old screen never replaces a key by surprise."""
        replace = flag_field(await body_of(request), "replace")
        account = await self._account(person)
        if account is not None and account.has_key and not replace:
            raise ApiError(409, "has_key", _("You have a key already."))
        new = await self.front.create_key(person)
        if isinstance(new, Access):
            raise ApiError(409, "closed", self._closed(new, person))
        return {**await self.screen(request, person), "new": shown_once(new)}

    async def revoke(self, request: web.Request, person: User) -> Json:
        await self.front.revoke_key(person.id)
        return {**await self.screen(request, person), "message": _("The key is revoked.")}

    async def notify(self, request: web.Request, person: User) -> Json:
        on = flag_field(await body_of(request), "on")
        await self._keyed_account(person)
        await self.front.set_notify(person.id, on)
        return await self.screen(request, person)

    async def callback(self, request: web.Request, person: User) -> Json:
        """Where status callbacks go; an empty address turns them off."""
        url = text_field(await body_of(request), "url").strip()
        await self._keyed_account(person)
        try:
            saved = await self.front.set_callback_url(person.id, url or None)
        except CallbackUrlError as error:
            example = reseller_texts.CALLBACK_EXAMPLE
            words = reseller_texts.url_problem_text(error.problem, example)
            raise ApiError(422, "invalid", words, errors={"url": words}) from None
        if saved is None:
            message = _("✅ Status callbacks are off.")
        else:
            message = _("✅ Status callbacks go to {url}.").format(url=saved)
        return {**await self.screen(request, person), "message": message}
