"""The bot's Bot API session: one JSON body per call, multipart only for uploads."""

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.aiogram_patches import TelegramSession, _is_plain_local
from tests.fake_telegram import TEST_TOKEN


def session() -> TelegramSession:
    return TelegramSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))


def test_a_call_becomes_one_json_object_with_the_bots_defaults() -> None:
    bot = Bot(TEST_TOKEN, session=session(), default=DefaultBotProperties(parse_mode="HTML"))
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="🛒 Order", callback_data="o:1")]]
    )
    method = SendMessage(chat_id=42, text="<b>Hi</b>", reply_markup=keyboard)

    payload = session().json_payload(bot, method)

    assert payload == {
        "chat_id": 42,
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "🛒 Order", "callback_data": "o:1"}]]},
    }


def test_an_upload_is_left_to_multipart() -> None:
    bot = Bot(TEST_TOKEN, session=session())
    method = SendDocument(chat_id=42, document=BufferedInputFile(b"a,b\n", filename="x.csv"))

    assert session().json_payload(bot, method) is None


def test_only_plain_http_on_this_machine_skips_the_tls_pause() -> None:
    assert _is_plain_local("http://127.0.0.1:8081/bot{token}/{method}")
    assert _is_plain_local("http://localhost:8081/bot{token}/{method}")
    assert _is_plain_local("http://[::1]:8081/bot{token}/{method}")
    assert not _is_plain_local("https://127.0.0.1/bot{token}/{method}")
    assert not _is_plain_local("https://api.telegram.org/bot{token}/{method}")
    assert not _is_plain_local("http://10.0.0.5:8081/bot{token}/{method}")
