"""Driving a person through the bot's screens over the fake Telegram, as a customer would."""

from __future__ import annotations

from chaos.core import TrialError, order_number, reply_matching
from handlers.callbacks import OrderServiceCb
from tests.fake_telegram import BotMessage, Person

YOUTUBE_VIEWS = 1  # the simulator's service 1: 2.50 per 1,000, 3.25 with the 30 % markup
PRICE_OF_1000 = "3.25"
CONFIRM = "Confirm"


async def open_menu(person: Person) -> BotMessage:
    await person.send("/start")
    return await reply_matching(
        person, lambda m: m.find_button("Services", "contains") is not None, "the menu"
    )


async def begin_order(person: Person, service_id: int = YOUTUBE_VIEWS) -> BotMessage:
    """/start, then the Order button of a service (pressed on the menu, as a deep link would)."""
    menu = await open_menu(person)
    await person.click_data(OrderServiceCb(id=service_id).pack(), menu.message_id)
    return await reply_matching(person, lambda m: "link" in m.content.lower(), "the link prompt")


async def give_link(person: Person, link: str) -> BotMessage:
    await person.send(link)
    return await reply_matching(person, lambda m: "How many?" in m.content, "the quantity prompt")


async def give_quantity(person: Person, quantity: int) -> BotMessage:
    await person.send(str(quantity))
    return await reply_matching(
        person, lambda m: m.find_button(CONFIRM, "contains") is not None, "the confirm card"
    )


async def confirm_card(
    person: Person, link: str, quantity: int = 1000, service_id: int = YOUTUBE_VIEWS
) -> BotMessage:
    """From /start to the confirm card of an order."""
    await begin_order(person, service_id)
    await give_link(person, link)
    return await give_quantity(person, quantity)


def confirm_data(card: BotMessage) -> str:
    button = card.find_button(CONFIRM, "contains")
    if button is None:
        raise TrialError(f"no Confirm button on {card.content[:80]!r}")
    return str(button["callback_data"])


async def press_confirm(person: Person, card: BotMessage) -> str:
    """Press Confirm on a card; -> the callback query id."""
    return await person.click_data(confirm_data(card), card.message_id)


async def order_result(person: Person, timeout: float = 15.0) -> BotMessage:  # noqa: ASYNC109
    """The confirm card edited into the order's result (placed, refused or being checked)."""
    return await reply_matching(
        person, lambda m: order_number(m) is not None, "the order result", timeout
    )
