"""People are spoken to in their language: Telegram's on first contact, or the one they choose
with /language; screens, numbers, money and later notifications all follow it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.callbacks import LanguageCb
from shop.formatting import NARROW_NBSP
from tests.fake_telegram import Person
from tests.harness import ShopBot, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

# What the ordering conversation looks like in each language: the buttons to press and a
# fragment of each screen.
WORDS = {
    "ru": {
        "hello": "Здравствуйте",
        "services": "🛒 Услуги",
        "categories": "Выберите категорию",
        "order": "🛒 Заказать",
        "link": "Отправьте ссылку",
        "how_many": f"от 200 до 10{NARROW_NBSP}000",
        "check": "Проверьте заказ",
        "confirm": "✅ Подтвердить",
        "placed": "оформлен",
        "completed": "выполнен",
        "quantity": f"Количество: 1{NARROW_NBSP}000",
        "one_order": "1 заказ.",
        "balance": "Ваш баланс",
    },
    "vi": {
        "hello": "Xin chào",
        "services": "🛒 Dịch vụ",
        "categories": "Chọn danh mục",
        "order": "🛒 Đặt hàng",
        "link": "Gửi liên kết",
        "how_many": "từ 200 đến 10.000",
        "check": "Kiểm tra đơn hàng",
        "confirm": "✅ Xác nhận",
        "placed": "Đã đặt đơn",
        "completed": "đã hoàn thành",
        "quantity": "Số lượng: 1.000",
        "one_order": "Đơn hàng của tôi (1)",
        "balance": "Số dư của bạn",
    },
}
# 1,234.50 USD on the balance, 3.25 USD for 1,000 views: what the confirm card shows.
MONEY = {
    "ru": (f"1{NARROW_NBSP}234,50 USD", "3,25 USD", f"1{NARROW_NBSP}231,25 USD"),
    "vi": ("1.234,50 USD", "3,25 USD", "1.231,25 USD"),
    "en": ("1,234.50 USD", "3.25 USD", "1,231.25 USD"),
}


async def language_of(shop: ShopBot, person: Person) -> str:
    user = await shop.app.books.users.get(person.user_id)
    assert user is not None
    return user.language


async def order_views(shop: ShopBot, person: Person, language: str) -> int:
    """Menu -> Services -> Youtube views -> link -> 1,000 -> confirm; returns the panel id."""
    words = WORDS[language]
    categories = await shop.press(person, words["services"])
    assert words["categories"] in text_of(categories)
    await person.click("Youtube (", match="contains")
    await person.wait_reply()
    card = await shop.press(person, "Youtube views")
    assert MONEY[language][1] in text_of(card)
    prompt = await shop.press(person, words["order"])
    assert words["link"] in text_of(prompt)
    how_many = await shop.ask(person, "https://youtu.be/lang")
    assert words["how_many"] in text_of(how_many)
    check = await shop.ask(person, "1000")
    text = text_of(check)
    assert words["check"] in text
    balance, price, after = MONEY[language]
    assert balance in text and price in text and after in text
    await person.click(words["confirm"])
    await shop.expect(person, words["placed"])
    orders = await shop.app.books.orders.for_user(person.user_id)
    panel_id = orders[0].panel_order_id
    assert panel_id is not None
    return panel_id


@pytest.mark.parametrize("language", ["ru", "vi"])
async def test_a_person_is_served_in_telegrams_language(shop: ShopBot, language: str) -> None:
    person = shop.person(language_code=language)
    greeting = await shop.ask(person, "/start")
    words = WORDS[language]
    assert words["hello"] in text_of(greeting)
    assert greeting.find_button(words["services"]) is not None
    assert await language_of(shop, person) == language
    await shop.app.books.ledger.change(
        person.user_id, Decimal("1234.5"), "credit", f"test-{person.user_id}"
    )
    panel_id = await order_views(shop, person, language)
    # The notification is written later by the tracker, a background task: still their language.
    shop.sim.set_order(panel_id, status="Completed", remains=0)
    await shop.app.tracker.sync_once()
    done = await shop.expect(person, words["completed"])
    assert words["quantity"] in text_of(done)
    listing = await shop.ask(person, "/orders")
    assert words["one_order"] in text_of(listing)


async def test_an_unsupported_telegram_language_gets_english(shop: ShopBot) -> None:
    person = shop.person(language_code="de")
    greeting = await shop.ask(person, "/start")
    assert "Hello" in text_of(greeting)
    assert await language_of(shop, person) == "en"


async def test_language_command_switches_and_the_next_screens_follow(shop: ShopBot) -> None:
    ann = await shop.customer(balance="1234.5", language_code="en")
    choice = await shop.ask(ann, "/language")
    labels = [button["text"] for row in choice.inline_keyboard for button in row]
    assert labels == ["✓ English", "Русский", "Tiếng Việt", "🏠 Menu"]
    switched = await shop.press(ann, "Русский")
    assert switched.message_id == choice.message_id  # the screen was edited in place
    assert "по-русски" in text_of(switched)  # the answer is already in the new language
    assert switched.find_button("🛒 Услуги") is not None
    assert await language_of(shop, ann) == "ru"
    balance = await shop.ask(ann, "/balance")
    assert f"Ваш баланс: 1{NARROW_NBSP}234,50 USD" in text_of(balance)
    # A notification written outside the conversation follows the new language too.
    await shop.app.services.credits.adjust_balance(
        ann.user_id, Decimal(1000), "lang-test", "", "USD"
    )
    credited = await shop.expect(ann, "зачислено")
    assert f"1{NARROW_NBSP}000,00 USD" in text_of(credited)
    assert f"2{NARROW_NBSP}234,50 USD" in text_of(credited)


async def test_language_button_in_help_and_back_to_english(shop: ShopBot) -> None:
    bob = await shop.customer(language_code="vi")
    help_screen = await shop.ask(bob, "/help")
    assert "Cách đặt hàng" in text_of(help_screen)
    choice = await shop.press(bob, "🌐 Ngôn ngữ")
    assert choice.find_button("✓ Tiếng Việt") is not None
    back = await shop.press(bob, "English")
    assert "From now on I speak English" in text_of(back)
    assert back.find_button("🛒 Services") is not None
    assert await language_of(shop, bob) == "en"
    help_again = await shop.ask(bob, "/help")
    assert "How ordering works" in text_of(help_again)
    assert help_again.find_button("🌐 Language") is not None


async def test_language_command_with_a_code_switches_at_once(shop: ShopBot) -> None:
    cid = await shop.customer(language_code="en")
    reply = await shop.ask(cid, "/language vi")
    assert "tiếng Việt" in text_of(reply)
    assert await language_of(shop, cid) == "vi"
    unknown = await shop.ask(cid, "/language xx")  # not a language we have: the choice
    assert unknown.find_button("✓ Tiếng Việt") is not None
    assert await language_of(shop, cid) == "vi"


async def test_a_button_for_a_language_we_no_longer_have_says_it_expired(shop: ShopBot) -> None:
    dan = await shop.customer(language_code="ru")
    await shop.ask(dan, "/language")
    query = await dan.click_data(LanguageCb(code="xx").pack())
    answer = await dan.wait_answer(query)
    assert "устарела" in answer["text"]
    assert await language_of(shop, dan) == "ru"


async def test_the_command_menu_is_translated_for_each_app_language(shop: ShopBot) -> None:
    await shop.app.set_commands()
    menus = {
        language: {item["command"]: item["description"] for item in items}
        for (scope, language), items in shop.fake.my_commands.items()
        if scope == "default"
    }
    assert menus[""]["language"] == "Choose your language"
    assert menus["ru"]["language"] == "Выбрать язык"
    assert menus["vi"]["orders"] == "Đơn hàng của tôi"
    assert menus["ru"].keys() == menus[""].keys()


async def test_an_unexpected_error_is_apologised_for_in_the_persons_language(
    shop: ShopBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    eve = await shop.customer(language_code="vi")

    async def broken(page: int) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(shop.app.catalog, "categories", broken)
    reply = await shop.ask(eve, "/services")
    assert "Xin lỗi" in text_of(reply)
