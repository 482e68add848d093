"""A fake Telegram Bot API server and a "person" driver for end-to-end tests.

The server speaks enough of the Bot API for an aiogram bot to poll it (or to take its updates
by webhook, as Telegram posts them) and talk to people:

    async with FakeTelegram() as fake:
        bot = Bot(TEST_TOKEN, session=fake.session())
        ann = fake.person(user_id=111, first_name="Ann")
        await ann.send("/start")
        reply = await ann.wait_reply()
        await ann.click("Catalog")

Everything stays on 127.0.0.1. Nothing here sleeps for a fixed time: waiting is done on a
change signal the server raises whenever it records a call or queues an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import TracebackType
from typing import Any, ClassVar, Literal, Self, TypeVar

import aiohttp
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.web_request import FileField

T = TypeVar("T")
Params = dict[str, Any]
MatchMode = Literal["exact", "contains"]

TEST_TOKEN = "123456789:AAFakeTokenForTestsOnly-not-a-secret0"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
"""A token aiogram accepts; the fake accepts any token and takes the bot id from it."""

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

# How form fields are decoded: Telegram decodes by parameter type, so do we.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "prices",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
        "suggested_tip_amounts",
        "menu_button",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
        "max_tip_amount",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "ok",
        "drop_pending_updates",
        "max_connections",
        "disable_notification",
        "protect_content",
        "allow_paid_broadcast",
        "disable_content_type_detection",
        "is_flexible",
    }
)
# Methods that put a message in a chat: they count towards rate_limit_per_second.
_SENDING_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto", "sendinvoice"})
# Update types Telegram leaves out when allowed_updates is not given.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    """An error answer of the Bot API; raised by method handlers."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded (or referenced by file_id / URL, then `content` is empty)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    file_id: str = ""

    def as_document(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": f"u{self.file_id}",
            "file_name": self.filename,
            "mime_type": self.content_type,
            "file_size": len(self.content),
        }


@dataclass(frozen=True)
class Formatted:
    """Text as the person sees it (markup parsed away) plus its entities."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass
class BotMessage:
    """A message the bot sent, in its current (or snapshotted) state."""

    chat: dict[str, Any]
    message_id: int
    date: int
    text: str | None = None
    """What the person sees: HTML/entities already applied, tags gone."""
    raw_text: str | None = None
    """The text exactly as the bot sent it (with HTML tags, if any)."""
    parse_mode: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    caption: str | None = None
    caption_entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    invoice: dict[str, Any] | None = None
    edit_date: int | None = None

    @property
    def content(self) -> str:
        """The text or caption as the person sees it ("" for neither), for assertions."""
        return self.text or self.caption or ""

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_edit(self) -> bool:
        return self.edit_date is not None

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def buttons(self) -> list[list[str]]:
        """Labels of the inline keyboard, row by row."""
        return [[button["text"] for button in row] for row in self.inline_keyboard]

    def find_button(self, label: str, match: MatchMode = "exact") -> dict[str, Any] | None:
        for row in self.inline_keyboard:
            for button in row:
                text = button["text"]
                if text == label or (match == "contains" and label in text):
                    return button
        return None

    def to_telegram(self, sender: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat,
            "from": sender,
        }
        optional: dict[str, Any] = {
            "text": self.text,
            "entities": list(self.entities),
            "caption": self.caption,
            "caption_entities": list(self.caption_entities),
            "reply_markup": self.reply_markup,
            "document": self.document.as_document() if self.document else None,
            "photo": [_photo_size(0, 800) | {"file_id": self.photo.file_id}]
            if self.photo
            else None,
            "invoice": self.invoice,
            "edit_date": self.edit_date,
        }
        message.update({key: value for key, value in optional.items() if value})
        return message


@dataclass
class ApiCall:
    """One request the bot made, with the answer it got."""

    method: str
    params: Params
    time: float
    """time.monotonic() when the request arrived."""
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    message: BotMessage | None = None
    """Snapshot of the message this call created or edited, if it did."""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        description: str | None = self.response.get("description")
        return description

    def summary(self) -> str:
        shown = {
            key: value
            for key, value in self.params.items()
            if key in {"chat_id", "message_id", "text", "callback_query_id", "offset", "timeout"}
        }
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        return f"{self.method}({shown}) -> {outcome}"[:200]


@dataclass
class Fault:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class ChatState:
    chat: dict[str, Any]
    user: dict[str, Any] | None = None
    messages: dict[int, BotMessage] = field(default_factory=dict)
    user_message_ids: set[int] = field(default_factory=set)
    last_message_id: int = 0
    blocked: bool = False

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id


class Changes:
    """A broadcast "something changed" signal: wake every waiter, re-check, wait again."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float) -> T:  # noqa: ASYNC109
        """The first truthy value of predicate(); TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                event = self._event
                if value := predicate():
                    return value
                await event.wait()


class LocalAiohttpSession(AiohttpSession):
    """AiohttpSession without the 250 ms pause on close meant for TLS connections."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class _TelegramHtml(HTMLParser):
    """Parses Telegram's HTML subset into plain text + entities, like the Bot API does."""

    _KINDS: ClassVar[dict[str, str]] = {
        "b": "bold",
        "strong": "bold",
        "i": "italic",
        "em": "italic",
        "u": "underline",
        "ins": "underline",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
        "a": "text_link",
        "code": "code",
        "pre": "pre",
        "blockquote": "blockquote",
        "tg-emoji": "custom_emoji",
    }

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._parts: list[str] = []
        self._length = 0  # in UTF-16 code units, as Telegram counts offsets
        self._open: list[tuple[str, int, dict[str, Any] | None]] = []
        self.entities: list[dict[str, Any]] = []
        self.error: str | None = None

    @classmethod
    def parse(cls, source: str) -> Formatted:
        parser = cls(source)
        parser.feed(source)
        parser.close()
        if parser.error is None and parser._open:
            parser.error = f'Can\'t find end tag corresponding to start tag "{parser._open[-1][0]}"'
        if parser.error is not None:
            raise bad_request(f"can't parse entities: {parser.error}")
        entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
        return Formatted("".join(parser._parts), tuple(entities))

    def _byte_offset(self) -> int:
        line, column = self.getpos()
        lines = self._source.split("\n")
        index = sum(len(text) + 1 for text in lines[: line - 1]) + column
        return len(self._source[:index].encode())

    def _fail(self, error: str) -> None:
        if self.error is None:
            self.error = error

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity = self._entity_for(tag, attributes)
        if entity is None and tag != "code":  # <code> inside <pre> is no entity of its own
            self._fail(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        self._open.append((tag, self._length, entity))

    def _entity_for(self, tag: str, attributes: dict[str, str | None]) -> dict[str, Any] | None:
        kind = self._KINDS.get(tag)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            return None
        entity: dict[str, Any] = {"type": kind}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "code" and self._open and self._open[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            pre = self._open[-1][2]
            if language and pre is not None:
                pre["language"] = language
            return None  # <pre><code class="language-x"> is one pre entity
        return entity

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            expected = f'"</{self._open[-1][0]}>"' if self._open else "nothing"
            self._fail(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected {expected}, found "</{tag}>"'
            )
            return
        _, start, entity = self._open.pop()
        if entity is not None and self._length > start:
            self.entities.append({**entity, "offset": start, "length": self._length - start})

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        self._length += utf16_length(data)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> Formatted:
    """What Telegram would show for `text` sent with this parse mode."""
    if parse_mode and parse_mode.lower() == "html":
        return _TelegramHtml.parse(text)
    # MarkdownV2/Markdown are not parsed: the text is kept as sent.
    return Formatted(text, tuple(entities or ()))


def validate_reply_markup(markup: Any) -> None:
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
            if len(button) < 2:  # text alone is not an inline button
                raise bad_request("text buttons are unallowed in the inline keyboard")
            web_app = button.get("web_app")
            if web_app is not None and not https_url(web_app.get("url")):
                raise bad_request(
                    f"inline keyboard button Web App URL {web_app.get('url')!r} is invalid: "
                    "Only HTTPS links are allowed"
                )


def https_url(url: object) -> bool:
    """What Telegram takes as a Mini App's address: https only."""
    return isinstance(url, str) and url.startswith("https://") and len(url) > len("https://")


def decode_field(name: str, value: str) -> Any:
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if name in _BOOL_FIELDS and value in {"true", "false"}:
        return value == "true"
    return value


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def update_chat(update: dict[str, Any]) -> int | None:
    """Whose update it is (the chat, or the sender): a webhook keeps each one's in order."""
    event = update.get(update_type(update))
    if not isinstance(event, dict):
        return None
    chat = event.get("chat") or event.get("from") or {}
    chat_id = chat.get("id")
    return chat_id if isinstance(chat_id, int) else None


class FakeTelegram:
    """A local Bot API server. Use as `async with FakeTelegram() as fake:`."""

    def __init__(
        self,
        *,
        bot_username: str = "shop_test_bot",
        bot_first_name: str = "Shop Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = 0
        self.calls: list[ApiCall] = []
        self.chats: dict[int, ChatState] = {}
        self.my_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.rate_limit_per_second: int | None = None
        self.too_many_requests_sent = 0
        self.pending_polls = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._faults: dict[str, deque[Fault]] = {}
        self._recent_sends: deque[float] = deque()
        self._open_callbacks: set[str] = set()
        self._open_pre_checkouts: set[str] = set()
        self._charges: dict[str, bool] = {}  # telegram_payment_charge_id -> refunded
        # The bot's default menu button (setChatMenuButton without chat_id), and the invoice
        # links createInvoiceLink made: link -> the invoice it opens (payload, currency, total).
        self.menu_button: dict[str, Any] = {"type": "default"}
        self.invoice_links: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)
        self._persons: dict[int, Person] = {}
        self._changes = Changes()
        self._closing = False
        self._runner: web.AppRunner | None = None
        # Webhook mode (setWebhook): updates are posted to webhook_url, up to max_connections
        # at once (Telegram's default 40), each chat's one at a time and in order; an answer
        # other than 2xx (or none) is posted again after webhook_retry_seconds.
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_connections = 40
        self.webhook_retry_seconds = 0.05
        self.webhook_posts: list[tuple[int, int]] = []  # (update_id, HTTP status; 0: no answer)
        self._posting: set[int] = set()  # update ids being posted
        self._retry_at: dict[int, float] = {}  # update id -> not before (time.monotonic())
        self._webhook_task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendinvoice": self._send_invoice,
            "answerprecheckoutquery": self._answer_pre_checkout_query,
            "refundstarpayment": self._refund_star_payment,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "createinvoicelink": self._create_invoice_link,
            "close": self._true,
            "logout": self._true,
        }

    # ---- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Answer pending long polls (empty) and shut the server down."""
        self._closing = True
        self._changes.notify()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_server(self) -> TelegramAPIServer:
        return TelegramAPIServer.from_base(self.base_url)

    def session(self, **kwargs: Any) -> AiohttpSession:
        """An aiogram session that talks to this server: Bot(token, session=fake.session())."""
        return LocalAiohttpSession(api=self.api_server, **kwargs)

    # ---- what tests use --------------------------------------------------------------------

    def person(
        self,
        user_id: int = 111,
        first_name: str = "Ann",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> Person:
        """A person with a private chat with the bot (chat id == user id)."""
        if user_id not in self._persons:
            person = Person(self, user_id, first_name, language_code, username)
            self._persons[user_id] = person
            self.chats[user_id] = ChatState(chat=person.chat, user=person.user)
        return self._persons[user_id]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update (any type, e.g. {"pre_checkout_query": {...}}); returns update_id."""
        update_id = next(self._update_ids)
        self._updates.append({**update, "update_id": update_id})
        self._remember_payment_ids(update)
        self._changes.notify()
        return update_id

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls of `method` get this error instead of their result."""
        fault = Fault(error_code, description, retry_after, count)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def clear_faults(self) -> None:
        """Forget every fault queued by fail_next."""
        self._faults.clear()

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 15.0,  # noqa: ASYNC109 - a per-wait deadline is the point here
        what: str = "condition",
    ) -> T:
        """Wait until predicate() is truthy (re-checked on every call/update); return it."""
        try:
            return await self._changes.wait_until(predicate, timeout)
        except TimeoutError:
            raise AssertionError(
                f"{what} not met within {timeout}s; recent calls:\n{self.recent_calls()}"
            ) from None

    async def wait_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] = lambda call: True,
        timeout: float = 15.0,  # noqa: ASYNC109
        since: int = 0,
    ) -> ApiCall:
        """The first call of `method` (at index >= since in .calls) matching predicate."""
        scan = _Scanner(self.calls, since)

        def found() -> ApiCall | None:
            return scan.next(lambda c: c.method.lower() == method.lower() and predicate(c))

        return await self.wait_for(found, timeout, what=f"a {method} call")

    def recent_calls(self, count: int = 15) -> str:
        lines = [f"  {call.summary()}" for call in self.calls[-count:]]
        return "\n".join(lines) or "  (no calls)"

    def get_chat(self, chat_id: int) -> ChatState:
        return self.chats[chat_id]

    def next_file_id(self) -> int:
        return next(self._file_ids)

    def open_callback_query(self, query_id: str) -> None:
        """Make `query_id` answerable (Person.click does this for its queries)."""
        self._open_callbacks.add(query_id)

    # ---- HTTP plumbing ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        self._learn_bot_id(request.match_info["token"])
        method = request.match_info["method"]
        params = await self._read_params(request)
        call = ApiCall(method=method, params=params, time=started)
        try:
            call.response = {"ok": True, "result": await self._answer(method, params, call)}
        except ApiError as error:
            call.status, call.response = error.error_code, error.body()
            if error.error_code == 429:
                self.too_many_requests_sent += 1
        self.calls.append(call)
        self._changes.notify()
        return web.json_response(call.response, status=call.status)

    async def _answer(self, method: str, params: Params, call: ApiCall) -> Any:
        key = method.lower()
        handler = self._handlers.get(key)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        self._raise_injected_fault(key)
        self._check_rate_limit(key)
        result = await handler(params)
        if isinstance(result, BotMessage):
            call.message = dataclasses.replace(result)
            return result.to_telegram(self.bot_user)
        return result

    async def _read_params(self, request: web.Request) -> Params:
        params: Params = {key: decode_field(key, value) for key, value in request.query.items()}
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        form = await request.post()
        files = {key: value for key, value in form.items() if isinstance(value, FileField)}
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = decode_field(key, value)
        for key, value in list(params.items()):  # "document": "attach://<file field>"
            if isinstance(value, str) and value.removeprefix("attach://") in files:
                params[key] = self._stored_file(files.pop(value.removeprefix("attach://")))
        params.update({key: self._stored_file(value) for key, value in files.items()})
        return params

    def _stored_file(self, upload: FileField) -> SentFile:
        return SentFile(
            filename=upload.filename,
            content=upload.file.read(),
            content_type=upload.content_type,
            file_id=f"BQAC-fake-{self.next_file_id()}",
        )

    def _learn_bot_id(self, token: str) -> None:
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1

    def _raise_injected_fault(self, method: str) -> None:
        queue = self._faults.get(method)
        if not queue:
            return
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        raise ApiError(fault.error_code, fault.description, fault.retry_after)

    def _check_rate_limit(self, method: str) -> None:
        if self.rate_limit_per_second is None or method not in _SENDING_METHODS:
            return
        now = time.monotonic()
        while self._recent_sends and now - self._recent_sends[0] >= 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self.rate_limit_per_second:
            retry_after = max(1, math.ceil(self._recent_sends[0] + 1.0 - now))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        self._recent_sends.append(now)

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a Telegram User object (sender of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _remember_payment_ids(self, update: dict[str, Any]) -> None:
        if query := update.get("pre_checkout_query"):
            self._open_pre_checkouts.add(str(query["id"]))
        payment = (update.get("message") or {}).get("successful_payment")
        if payment:
            self._charges.setdefault(payment["telegram_payment_charge_id"], False)

    # ---- chats and messages ----------------------------------------------------------------

    def _writable_chat(self, params: Params) -> ChatState:
        chat = self.chats.get(_required(params, "chat_id"))
        if chat is None:
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _existing_message(self, params: Params, action: str) -> BotMessage:
        chat = self._writable_chat(params)
        message = chat.messages.get(_required(params, "message_id"))
        if message is None:
            raise bad_request(f"message to {action} not found")
        return message

    def _new_message(self, chat: ChatState, **content: Any) -> BotMessage:
        markup = content.get("reply_markup")
        validate_reply_markup(markup)
        message = BotMessage(
            chat=chat.chat, message_id=chat.next_message_id(), date=int(time.time()), **content
        )
        chat.messages[message.message_id] = message
        return message

    # ---- method handlers (one per Bot API method, see self._handlers) ----------------------

    async def _true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or ()) or None
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.pending_polls += 1
        self._changes.notify()
        try:
            await self._changes.wait_until(
                lambda: (
                    self._deliverable(offset)
                    or self._closing
                    or self.webhook_url
                    or generation != self._poll_generation
                ),
                timeout,
            )
        except TimeoutError:
            pass
        finally:
            self.pending_polls -= 1
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return self._deliverable(offset)[:limit]

    def _confirm_updates(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _deliverable(self, offset: int) -> list[dict[str, Any]]:
        return [
            update
            for update in self._updates
            if update["update_id"] >= offset and self._is_allowed(update_type(update))
        ]

    def _is_allowed(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    async def _set_webhook(self, params: Params) -> bool:
        url = str(_required(params, "url"))
        if not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._allowed_updates = frozenset(params["allowed_updates"] or ()) or None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url, self.webhook_secret = url, secret
        self.webhook_connections = int(params.get("max_connections") or 40)
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._post_updates(), name="fake-webhook")
        self._changes.notify()  # a waiting getUpdates ends with 409
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        self.webhook_url, self.webhook_secret = "", None
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable(0)),
            "max_connections": self.webhook_connections,
        }

    @property
    def webhook_idle(self) -> bool:
        """Every update pushed so far was posted to the webhook and answered 2xx."""
        return not self._posting and not self._deliverable(0)

    async def _stop_webhook(self) -> None:
        """Stop posting; posts under way end first (each update is either taken or kept)."""
        task, self._webhook_task = self._webhook_task, None
        if task is None:
            return
        self._changes.notify()
        await task

    def _next_to_post(self) -> list[dict[str, Any]]:
        """The updates to post now: each chat's oldest, unless it is being posted or waits to
        be posted again; within the free connections."""
        free = self.webhook_connections - len(self._posting)
        now = time.monotonic()
        busy: set[int | None] = set()
        chosen: list[dict[str, Any]] = []
        for update in self._deliverable(0):
            if len(chosen) >= free:
                break
            chat = update_chat(update)
            waiting = update["update_id"] in self._posting or (
                self._retry_at.get(update["update_id"], 0.0) > now
            )
            if chat not in busy and not waiting:
                chosen.append(update)
            if chat is not None:
                busy.add(chat)
        return chosen

    async def _post_updates(self) -> None:
        """Telegram's side of a webhook: every update posted until the bot takes it (2xx)."""
        timeout = aiohttp.ClientTimeout(total=10)
        posts: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
                    await self._changes.wait_until(
                        lambda: self._closing or not self.webhook_url or self._next_to_post(),
                        3600.0,
                    )
                    if self._closing or not self.webhook_url:
                        return
                    for update in self._next_to_post():
                        self._posting.add(update["update_id"])
                        post = asyncio.create_task(self._post_update(session, update))
                        posts.add(post)
                        post.add_done_callback(posts.discard)
            finally:
                if posts:
                    await asyncio.wait(posts)

    async def _post_update(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        status = 0
        try:
            async with session.post(self.webhook_url, json=update, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            pass
        finally:
            self._posting.discard(update_id)
        self.webhook_posts.append((update_id, status))
        if 200 <= status < 300:
            self._retry_at.pop(update_id, None)
            with contextlib.suppress(ValueError):
                self._updates.remove(update)
        else:
            self._retry_at[update_id] = time.monotonic() + self.webhook_retry_seconds
            # Look again once it is due (nothing else may happen meanwhile).
            asyncio.get_running_loop().call_later(self.webhook_retry_seconds, self._changes.notify)
        self._changes.notify()

    async def _send_message(self, params: Params) -> BotMessage:
        chat = self._writable_chat(params)
        raw = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        formatted = _checked_text(raw, parse_mode, params.get("entities"))
        return self._new_message(
            chat,
            text=formatted.text,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=formatted.entities,
            reply_markup=params.get("reply_markup"),
        )

    async def _edit_message_text(self, params: Params) -> BotMessage | bool:
        if "inline_message_id" in params:
            return True
        message = self._existing_message(params, "edit")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        raw = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        formatted = _checked_text(raw, parse_mode, params.get("entities"))
        markup = params.get("reply_markup")
        content = (formatted.text, formatted.entities, markup)
        if content == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        validate_reply_markup(markup)
        message.text, message.entities, message.reply_markup = content
        message.raw_text, message.parse_mode = raw, parse_mode
        message.edit_date = int(time.time())
        return message

    async def _edit_message_reply_markup(self, params: Params) -> BotMessage | bool:
        if "inline_message_id" in params:
            return True
        message = self._existing_message(params, "edit")
        markup = params.get("reply_markup")
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        validate_reply_markup(markup)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return message

    async def _delete_message(self, params: Params) -> bool:
        chat = self._writable_chat(params)
        message_id = _required(params, "message_id")
        if chat.messages.pop(message_id, None) is None:
            if message_id not in chat.user_message_ids:
                raise bad_request("message to delete not found")
            chat.user_message_ids.discard(message_id)
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = str(_required(params, "callback_query_id"))
        if query_id not in self._open_callbacks:
            raise bad_request(QUERY_TOO_OLD)
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        return True

    async def _set_my_commands(self, params: Params) -> bool:
        self.my_commands[_commands_key(params)] = list(params.get("commands") or [])
        return True

    async def _delete_my_commands(self, params: Params) -> bool:
        self.my_commands.pop(_commands_key(params), None)
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        self._writable_chat(params)
        return True

    async def _send_document(self, params: Params) -> BotMessage:
        return self._send_file(params, "document")

    async def _send_photo(self, params: Params) -> BotMessage:
        return self._send_file(params, "photo")

    def _send_file(self, params: Params, kind: Literal["document", "photo"]) -> BotMessage:
        chat = self._writable_chat(params)
        sent = _required(params, kind)
        if isinstance(sent, str):  # a file_id or URL of an existing file
            name = sent.rsplit("/", 1)[-1]
            sent = SentFile(filename=name, content=b"", file_id=sent)
        raw_caption = params.get("caption")
        caption = None
        if raw_caption:
            caption = format_text(raw_caption, params.get("parse_mode"))
            if utf16_length(caption.text) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        return self._new_message(
            chat,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else (),
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
            **{kind: sent},
        )

    async def _send_invoice(self, params: Params) -> BotMessage:
        chat = self._writable_chat(params)
        prices = params.get("prices") or []
        currency = _required(params, "currency")
        if not prices or (currency == "XTR" and len(prices) != 1):
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        invoice = {
            "title": _required(params, "title"),
            "description": _required(params, "description"),
            "start_parameter": params.get("start_parameter", ""),
            "currency": currency,
            "total_amount": sum(int(price["amount"]) for price in prices),
        }
        return self._new_message(chat, invoice=invoice, reply_markup=params.get("reply_markup"))

    async def _set_chat_menu_button(self, params: Params) -> bool:
        """Only the default button (no chat_id) is kept: the shop sets no per-chat one."""
        button = params.get("menu_button") or {"type": "default"}
        kind = button.get("type") if isinstance(button, dict) else None
        if kind not in {"default", "commands", "web_app"}:
            raise bad_request("BUTTON_TYPE_INVALID")
        if kind == "web_app":
            web_app = button.get("web_app") or {}
            if not button.get("text"):
                raise bad_request("BUTTON_TEXT_INVALID")
            if not https_url(web_app.get("url")):
                raise bad_request("BUTTON_URL_INVALID")
        if params.get("chat_id") is None:
            self.menu_button = button
        return True

    async def _get_chat_menu_button(self, params: Params) -> dict[str, Any]:
        return self.menu_button

    async def _create_invoice_link(self, params: Params) -> str:
        """As sendInvoice checks it (Stars: one price, currency XTR); the link opens it."""
        prices = params.get("prices") or []
        currency = _required(params, "currency")
        if not prices or (currency == "XTR" and len(prices) != 1):
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
        title, description = _required(params, "title"), _required(params, "description")
        payload = str(_required(params, "payload"))
        if len(title) > 32 or len(description) > 255 or len(payload.encode()) > 128:
            raise bad_request("INVOICE_FIELD_INVALID")
        link = f"https://t.me/$invoice{len(self.invoice_links) + 1}"
        self.invoice_links[link] = {
            "title": title,
            "description": description,
            "payload": payload,
            "currency": currency,
            "total_amount": sum(int(price["amount"]) for price in prices),
        }
        return link

    async def _answer_pre_checkout_query(self, params: Params) -> bool:
        query_id = str(_required(params, "pre_checkout_query_id"))
        if query_id not in self._open_pre_checkouts:
            raise bad_request("QUERY_ID_INVALID")
        if params.get("ok") is False and not params.get("error_message"):
            raise bad_request("ERROR_MESSAGE_EMPTY")
        self._open_pre_checkouts.discard(query_id)
        return True

    async def _refund_star_payment(self, params: Params) -> bool:
        charge_id = str(_required(params, "telegram_payment_charge_id"))
        if charge_id not in self._charges:
            raise bad_request("CHARGE_ID_INVALID")
        if self._charges[charge_id]:
            raise bad_request("CHARGE_ALREADY_REFUNDED")
        self._charges[charge_id] = True
        return True


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise bad_request(f"{name} is empty")
    return value


def _checked_text(raw: str, parse_mode: str | None, entities: Any) -> Formatted:
    if not raw.strip():
        raise bad_request("message text is empty")
    formatted = format_text(raw, parse_mode, entities)
    if not formatted.text.strip():
        raise bad_request("message text is empty")
    if utf16_length(formatted.text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return formatted


def _commands_key(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    scope_name = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
    return scope_name, params.get("language_code") or ""


class _Scanner:
    """Finds calls one after another without rescanning what was already looked at."""

    def __init__(self, calls: list[ApiCall], start: int) -> None:
        self._calls = calls
        self.position = start

    def next(self, accept: Callable[[ApiCall], bool]) -> ApiCall | None:
        while self.position < len(self._calls):
            call = self._calls[self.position]
            self.position += 1
            if accept(call):
                return call
        return None


class Person:
    """Someone chatting with the bot in a private chat; modeled on aiogram-dialog's client."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
    ) -> None:
        self.fake = fake
        self.user_id = user_id
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        self.chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            self.user["username"] = self.chat["username"] = username
        if language_code:
            self.user["language_code"] = language_code
        self._replies = _Scanner(fake.calls, 0)
        self._callback_ids = itertools.count(1)

    @property
    def chat_id(self) -> int:
        return self.user_id

    @property
    def _state(self) -> ChatState:
        return self.fake.get_chat(self.user_id)

    # ---- acting ------------------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send a text message; a leading /command gets its bot_command entity. -> message_id"""
        message = self._message(text=text)
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if command:
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
            ]
        self.push("message", message)
        return int(message["message_id"])

    async def send_photo(self, caption: str | None = None) -> int:
        file_id = self.fake.next_file_id()
        message = self._message(photo=[_photo_size(file_id, 90), _photo_size(file_id, 800)])
        if caption:
            message["caption"] = caption
        self.push("message", message)
        return int(message["message_id"])

    async def click(self, label: str, *, match: MatchMode = "exact") -> str:
        """Press the inline button `label` on the newest bot message that has it. -> query id"""
        for message in reversed(self.messages):
            button = message.find_button(label, match)
            if button is None:
                continue
            if "callback_data" not in button:
                raise AssertionError(f"button {label!r} has no callback_data: {button}")
            return await self.click_data(button["callback_data"], message.message_id)
        shown = [message.buttons for message in self.messages if message.buttons]
        raise AssertionError(f"no button {label!r} ({match}) in chat {self.chat_id}: {shown}")

    async def click_data(self, callback_data: str, message_id: int | None = None) -> str:
        """Send a callback query with any data, e.g. forged or for a deleted message."""
        if message_id is None:
            message_id = self.last_message.message_id
        query_id = f"{self.user_id}{next(self._callback_ids):06d}"
        self.fake.open_callback_query(query_id)
        query = {
            "id": query_id,
            "from": self.user,
            "message": self._callback_message(message_id),
            "chat_instance": f"-{self.user_id}",
            "data": callback_data,
        }
        self.push("callback_query", query)
        return query_id

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Push any update as this person's action, e.g. push("pre_checkout_query", {...})."""
        self._replies.position = len(self.fake.calls)
        return self.fake.push_update({kind: payload})

    def block(self) -> None:
        """From now on the bot gets 403 "bot was blocked by the user" for this chat."""
        self._state.blocked = True

    def unblock(self) -> None:
        self._state.blocked = False

    # ---- observing ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat as they are now (deleted ones are gone)."""
        state = self._state
        return [dataclasses.replace(state.messages[key]) for key in sorted(state.messages)]

    @property
    def last_message(self) -> BotMessage:
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has no messages in chat {self.chat_id}")
        return messages[-1]

    async def wait_reply(self, timeout: float = 15.0) -> BotMessage:  # noqa: ASYNC109
        """The next message the bot sends or edits here since this person last acted."""

        def is_reply(call: ApiCall) -> bool:
            return call.ok and call.message is not None and call.message.chat_id == self.chat_id

        def reply() -> BotMessage | None:
            call = self._replies.next(is_reply)
            return call.message if call else None

        return await self.fake.wait_for(reply, timeout, what=f"a reply in chat {self.chat_id}")

    async def wait_answer(self, callback_id: str, timeout: float = 15.0) -> Params:  # noqa: ASYNC109
        """The params (text, show_alert, ...) of the answerCallbackQuery for this query."""
        call = await self.fake.wait_call(
            "answerCallbackQuery",
            lambda c: str(c.params.get("callback_query_id")) == callback_id,
            timeout,
        )
        return call.params

    # ---- building updates --------------------------------------------------------------------

    def _message(self, **content: Any) -> dict[str, Any]:
        state = self._state
        message_id = state.next_message_id()
        state.user_message_ids.add(message_id)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }

    def _callback_message(self, message_id: int) -> dict[str, Any]:
        message = self._state.messages.get(message_id)
        if message is None:  # Telegram sends an InaccessibleMessage (date 0)
            return {"chat": self.chat, "message_id": message_id, "date": 0}
        return message.to_telegram(self.fake.bot_user)


def _photo_size(number: int, side: int) -> dict[str, Any]:
    return {
        "file_id": f"AgAC-photo-{number}-{side}",
        "file_unique_id": f"photo{number}x{side}",
        "width": side,
        "height": side,
        "file_size": side * 100,
    }
