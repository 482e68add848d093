"""What a person reads about their key for the API v2, in the chat (/api, handlers/customer/api.py)
and in the Mini App's settings (miniapp/keys.py): the same words, written as the chat's HTML
(values escaped); the Mini App takes the tags out. The key itself is in one text only, the one
that shows it once (`new_key_text`); everywhere else it is its hint."""

from __future__ import annotations

import datetime as dt

from shop.formatting import quote
from shop.i18n import _
from shop.resellers import Access, NewKey, UrlProblem
from storage.resellers import ResellerRecord

CALLBACK_EXAMPLE = "https://example.com/hook"


def when(moment: int | None) -> str:
    if moment is None:
        return _("never")
    return dt.datetime.fromtimestamp(moment, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def title() -> str:
    return _("🔌 <b>API for resellers</b>")


def intro() -> str:
    return _(
        "Buy from this shop with your own scripts or your own shop bot, as from an SMM "
        "panel (API v2: the same actions, answers and errors)."
    )


def endpoint_line(endpoint: str) -> str:
    if not endpoint:
        return _("Endpoint: ask the shop for its address (it has not set a public one).")
    return _("Endpoint: <code>{url}</code>").format(url=quote(endpoint))


def key_line(account: ResellerRecord | None) -> str:
    if account is None or not account.has_key:
        return _("Key: none yet.")
    return _("Key: <code>{hint}</code> (created {created}, last used {used})").format(
        hint=quote(account.key_hint or ""),
        created=when(account.key_created_at),
        used=when(account.last_used_at),
    )


def callbacks_line(account: ResellerRecord, usage: str) -> str:
    """Where status callbacks go; `usage` is how to set them from where the person reads."""
    if account.callback_url:
        return _("Status callbacks: {url}").format(url=quote(account.callback_url))
    return _("Status callbacks: off (set them with {usage})").format(usage=f"<code>{usage}</code>")


def notify_line(account: ResellerRecord) -> str:
    if account.notify:
        return _("API orders are also told in this chat.")
    return _("API orders are not told in this chat.")


def closed_text(access: Access, user_id: int, contact: str) -> str:
    """Why this person has no key to manage: the API is off, not granted to them, or banned."""
    if access is Access.OFF:
        return _("🔌 This shop does not sell through an API.")
    if access is Access.NOT_GRANTED:
        text = _(
            "🔌 <b>API for resellers</b>\n\nThis shop gives API keys to resellers it approves. "
            "Ask the shop to approve you, giving your id: <code>{id}</code>."
        ).format(id=user_id)
        if contact:
            text += "\n" + _("Contact: {contact}").format(contact=quote(contact))
        return text
    return _("⛔ Your account is blocked.")


def replace_question() -> str:
    return _("A new key stops the one you have at once. Your scripts need the new one.")


def revoke_question() -> str:
    return _("Revoke your key? It stops at once; you can create a new one later.")


def new_key_title() -> str:
    return _("🔑 <b>Your API key</b> (shown only this once: copy it now)")


def secret_label() -> str:
    return _("Callback signing secret (HMAC-SHA256 of each callback's body):")


def keep_it_secret() -> str:
    return _("Keep the key secret: anyone who has it can order with your balance.")


def new_key_text(endpoint: str, new: NewKey) -> str:
    """The only message that ever shows the key."""
    return "\n".join(
        [
            new_key_title(),
            f"<code>{quote(new.key)}</code>",
            "",
            secret_label(),
            f"<code>{quote(new.callback_secret)}</code>",
            "",
            endpoint_line(endpoint),
            keep_it_secret(),
        ]
    )


def url_problem_text(problem: UrlProblem, usage: str) -> str:
    """Why a callback address was refused (the chat puts "⚠️ " in front); `usage` is an
    example of one that is taken."""
    texts = {
        UrlProblem.NOT_HTTPS: _("The callback address must start with https://."),
        UrlProblem.NOT_A_URL: _("That is not a web address. Send e.g. {usage}"),
        UrlProblem.TOO_LONG: _("That address is too long (at most 500 characters)."),
        UrlProblem.PRIVATE: _(
            "Callbacks go only to public addresses, not to a private or local network."
        ),
    }
    return texts[problem].format(usage=usage)
