"""Self-test of the fake Bot API server: a tiny aiogram bot polls it and a person talks to it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    MenuButtonDefault,
    MenuButtonWebApp,
    Message,
    WebAppInfo,
)
from aiohttp import ClientSession, web

from tests.fake_telegram import SECRET_HEADER, TEST_TOKEN, FakeTelegram

Sleep = Callable[[float], Awaitable[None]]
POLLING_TIMEOUT = 10  # long on purpose: the tests prove pushes wake the poll at once


def menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="🛍 Catalog", callback_data="catalog"),
                InlineKeyboardButton(text="Balance", callback_data="balance"),
            ],
            [InlineKeyboardButton(text="Help", url="https://example.org/help")],
        ]
    )


def back() -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="« Back", callback_data="back")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def build_router() -> Router:
    router = Router(name="fake-telegram-self-test")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        name = message.from_user.first_name if message.from_user else "there"
        await message.answer(f"Welcome, <b>{html.quote(name)}</b>!", reply_markup=menu())

    @router.message(Command("report"))
    async def report(message: Message) -> None:
        document = BufferedInputFile(b"id,total\n1,2.50\n", filename="report.csv")
        await message.answer_document(document, caption="Your <b>report</b>")

    @router.message(F.photo)
    async def photo(message: Message) -> None:
        await message.answer("Nice photo")

    @router.message(F.text)
    async def echo(message: Message, retry_sleep: Sleep) -> None:
        text = html.quote(message.text or "")
        try:
            await message.answer(text)
        except TelegramRetryAfter as error:  # aiogram never retries by itself
            await retry_sleep(error.retry_after)
            await message.answer(text)

    @router.callback_query(F.data == "catalog")
    async def catalog(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("<b>Catalog</b>", reply_markup=back())
        await callback.answer("Opened")

    @router.callback_query()
    async def expired(callback: CallbackQuery) -> None:
        await callback.answer("This button has expired.", show_alert=True)

    return router


@dataclass
class Running:
    fake: FakeTelegram
    bot: Bot
    dispatcher: Dispatcher
    task: asyncio.Task[None]
    sleeps: list[float] = field(default_factory=list)

    async def stop(self) -> None:
        await self.dispatcher.stop_polling()
        await self.task  # start_polling closes the bot session on its way out


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def running(fake: FakeTelegram) -> AsyncIterator[Running]:
    bot = Bot(
        TEST_TOKEN,
        session=fake.session(),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    sleeps: list[float] = []

    async def retry_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    polling = dispatcher.start_polling(
        bot, handle_signals=False, polling_timeout=POLLING_TIMEOUT, retry_sleep=retry_sleep
    )
    app = Running(fake, bot, dispatcher, asyncio.create_task(polling), sleeps)
    await fake.wait_for(lambda: fake.pending_polls > 0, what="the bot to start polling")
    yield app
    if not app.task.done():
        await app.stop()


async def test_start_replies_with_menu(running: Running) -> None:
    ann = running.fake.person(user_id=111, first_name="Ann <3")

    await ann.send("/start")
    reply = await ann.wait_reply()

    assert reply.text == "Welcome, Ann <3!"
    assert reply.raw_text == "Welcome, <b>Ann &lt;3</b>!"
    assert reply.parse_mode == "HTML"
    assert reply.entities == ({"type": "bold", "offset": 9, "length": 6},)
    assert reply.buttons == [["🛍 Catalog", "Balance"], ["Help"]]
    assert not reply.is_edit
    assert ann.last_message.message_id == reply.message_id == 2  # /start itself was 1
    assert running.fake.calls_of("getMe")


async def test_click_by_label_edits_the_message_and_answers(running: Running) -> None:
    ann = running.fake.person()
    await ann.send("/start")
    menu_message = await ann.wait_reply()

    query_id = await ann.click("🛍 Catalog")
    edited = await ann.wait_reply()
    answer = await ann.wait_answer(query_id)

    assert edited.is_edit
    assert edited.message_id == menu_message.message_id
    assert edited.text == "Catalog"
    assert edited.buttons == [["« Back"]]
    assert answer["text"] == "Opened"
    assert [message.text for message in ann.messages] == ["Catalog"]  # no wall of menus


async def test_click_matching_and_missing_labels(running: Running) -> None:
    ann = running.fake.person()
    await ann.send("/start")
    await ann.wait_reply()

    with pytest.raises(AssertionError, match="no button 'Catalog'"):
        await ann.click("Catalog")
    with pytest.raises(AssertionError, match="has no callback_data"):
        await ann.click("Help")
    query_id = await ann.click("Catalog", match="contains")
    assert (await ann.wait_answer(query_id))["text"] == "Opened"


async def test_stale_callback_is_answered(running: Running) -> None:
    ann = running.fake.person()

    query_id = await ann.click_data("catalog:old", message_id=999)
    answer = await ann.wait_answer(query_id)

    assert answer == {
        "callback_query_id": query_id,
        "text": "This button has expired.",
        "show_alert": True,
    }


async def test_too_many_requests_surfaces_to_aiogram(running: Running) -> None:
    fake = running.fake
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    ann = fake.person()

    await ann.send("hello <world>")
    reply = await ann.wait_reply()

    assert reply.text == "hello <world>"
    assert [call.status for call in fake.calls_of("sendMessage")] == [429, 200]
    assert fake.calls_of("sendMessage")[0].response["parameters"] == {"retry_after": 1}
    assert fake.too_many_requests_sent == 1
    assert running.sleeps == [1]


async def test_identical_edit_is_not_modified(running: Running) -> None:
    ann = running.fake.person()
    await ann.send("/start")
    reply = await ann.wait_reply()

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await running.bot.edit_message_text(
            text="Welcome, <b>Ann</b>!",
            chat_id=ann.chat_id,
            message_id=reply.message_id,
            reply_markup=menu(),
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await running.bot.edit_message_text(text="x", chat_id=ann.chat_id, message_id=999)


async def test_long_poll_wakes_as_soon_as_an_update_is_pushed(running: Running) -> None:
    fake = running.fake
    ann = fake.person()
    await ann.send("/start")
    await ann.wait_reply()
    await fake.wait_for(lambda: fake.pending_polls > 0, what="a waiting long poll")

    started = time.monotonic()
    await ann.send("ping")
    reply = await ann.wait_reply()
    elapsed = time.monotonic() - started

    assert reply.text == "ping"
    assert elapsed < 0.5  # the poll asked to wait POLLING_TIMEOUT seconds
    assert fake.calls_of("getUpdates")[-1].params["timeout"] == POLLING_TIMEOUT


async def test_stop_polling_is_prompt(running: Running) -> None:
    started = time.monotonic()
    await running.stop()
    assert time.monotonic() - started < 1.5
    assert running.task.done()


async def test_photo_and_document(running: Running) -> None:
    ann = running.fake.person()

    await ann.send_photo()
    assert (await ann.wait_reply()).text == "Nice photo"

    await ann.send("/report")
    reply = await ann.wait_reply()
    assert reply.document is not None
    assert reply.document.filename == "report.csv"
    assert reply.document.content == b"id,total\n1,2.50\n"
    assert reply.caption == "Your report"


async def test_html_is_checked_like_telegram(running: Running) -> None:
    ann = running.fake.person()

    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "foo"'):
        await running.bot.send_message(ann.chat_id, "a <foo> b")
    with pytest.raises(TelegramBadRequest, match="Can't find end tag"):
        await running.bot.send_message(ann.chat_id, "<b>bold")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        button = InlineKeyboardButton(text="x", callback_data="x" * 65)
        markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
        await running.bot.send_message(ann.chat_id, "hi", reply_markup=markup)
    message = await running.bot.send_message(ann.chat_id, '<a href="https://x.org">x</a> &amp;')
    assert message.text == "x &"
    assert message.entities is not None
    assert message.entities[0].url == "https://x.org"


async def test_blocked_person_and_injected_errors(running: Running) -> None:
    fake, bot = running.fake, running.bot
    ann, bob = fake.person(111, "Ann"), fake.person(222, "Bob")

    ann.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ann.chat_id, "hi")
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(bob.chat_id, "hi")
    await bot.send_message(bob.chat_id, "hi again")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(333, "who?")


async def test_rate_limit_mode(running: Running) -> None:
    fake, bot = running.fake, running.bot
    ann = fake.person()
    fake.rate_limit_per_second = 3

    outcomes: list[int | str] = []
    for number in range(5):
        try:
            await bot.send_message(ann.chat_id, str(number))
            outcomes.append("sent")
        except TelegramRetryAfter as error:
            outcomes.append(error.retry_after)

    assert outcomes == ["sent", "sent", "sent", 1, 1]
    assert fake.too_many_requests_sent == 2


async def test_wait_reply_times_out_with_recent_calls(running: Running) -> None:
    ann = running.fake.person()
    await running.bot.set_my_commands([])  # something to show in the listing

    with pytest.raises(AssertionError, match=r"(?s)a reply in chat 111 not met.*setMyCommands"):
        await ann.wait_reply(timeout=0.05)


async def post(fake: FakeTelegram, method: str, **data: Any) -> tuple[int, dict[str, Any]]:
    url = f"{fake.base_url}/bot{TEST_TOKEN}/{method}"
    async with ClientSession() as session, session.post(url, data=data) as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_get_updates_semantics_and_unknown_method(fake: FakeTelegram) -> None:
    ann = fake.person()
    for text in ("one", "two", "three"):
        await ann.send(text)

    status, body = await post(fake, "getUpdates", limit="2", timeout="0")
    assert status == 200
    first, second = body["result"]
    assert [first["message"]["text"], second["message"]["text"]] == ["one", "two"]

    _, body = await post(fake, "getUpdates", offset=str(second["update_id"] + 1))
    assert [update["message"]["text"] for update in body["result"]] == ["three"]

    waiting = asyncio.create_task(post(fake, "getUpdates", offset="4", timeout="5"))
    await fake.wait_for(lambda: fake.pending_polls > 0)
    await ann.send("four")
    _, body = await asyncio.wait_for(waiting, 1)
    assert [update["message"]["text"] for update in body["result"]] == ["four"]

    status, body = await post(fake, "sendSticker", chat_id="111")
    assert (status, body) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )


async def test_webhook_posts_in_order_with_the_secret_and_retries(fake: FakeTelegram) -> None:
    """Like Telegram: once a webhook is set, getUpdates is refused and each update is posted,
    oldest first, until the bot answers 2xx; deleteWebhook brings getUpdates back."""
    received: list[tuple[int, str]] = []
    refusals = [503, 500]  # the bot's first two answers

    async def bot_endpoint(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update["update_id"], request.headers.get(SECRET_HEADER, "")))
        return web.Response(status=refusals.pop(0) if refusals else 200)

    app = web.Application()
    app.router.add_post("/hook", bot_endpoint)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    fake.webhook_retry_seconds = 0.01
    try:
        ann = fake.person()
        await ann.send("queued before the webhook")
        status, _ = await post(
            fake, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="abc_1"
        )
        assert status == 200
        await ann.send("second")
        await fake.wait_for(lambda: fake.webhook_idle or None)
        assert [update_id for update_id, _ in received] == [1, 1, 1, 2]  # retried, in order
        assert {secret for _, secret in received} == {"abc_1"}
        assert [status for _, status in fake.webhook_posts] == [503, 500, 200, 200]
        status, body = await post(fake, "getUpdates", timeout="0")
        assert status == 409 and "webhook is active" in body["description"]
        status, body = await post(fake, "getWebhookInfo")
        assert body["result"]["url"].endswith("/hook")
        assert (await post(fake, "setWebhook", url="ftp://x"))[0] == 400

        await post(fake, "deleteWebhook")
        await ann.send("third")
        status, body = await post(fake, "getUpdates", timeout="0")
        assert [update["message"]["text"] for update in body["result"]] == ["third"]
    finally:
        await runner.cleanup()


async def test_menu_button_invoice_links_and_web_app_buttons(running: Running) -> None:
    """What the Mini App needs of the Bot API: a menu button opening it (https only), an
    invoice link for Stars, inline web_app buttons (https only)."""
    bot, fake = running.bot, running.fake
    app = WebAppInfo(url="https://shop.example/app/")
    assert await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text="Shop", web_app=app))
    current = await bot.get_chat_menu_button()
    assert isinstance(current, MenuButtonWebApp) and current.web_app.url == app.url
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        insecure = WebAppInfo(url="http://shop.example/app/")
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text="Shop", web_app=insecure))
    assert await bot.set_chat_menu_button(menu_button=MenuButtonDefault())
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonDefault)
    link = await bot.create_invoice_link(
        title="Top-up", description="10 USD", payload="topup:7", currency="XTR",
        prices=[LabeledPrice(label="Top-up", amount=500)],
    )  # fmt: skip
    assert fake.invoice_links[link]["payload"] == "topup:7"
    assert fake.invoice_links[link]["total_amount"] == 500
    with pytest.raises(TelegramBadRequest, match="CURRENCY_TOTAL_AMOUNT_INVALID"):
        await bot.create_invoice_link(
            title="x", description="y", payload="z", currency="XTR",
            prices=[LabeledPrice(label="a", amount=1), LabeledPrice(label="b", amount=1)],
        )  # fmt: skip
    ann = fake.person(user_id=4242, first_name="Ann")
    button = InlineKeyboardButton(text="Open", web_app=WebAppInfo(url="http://x.example/"))
    with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
        await bot.send_message(
            ann.chat_id, "hi", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
        )
