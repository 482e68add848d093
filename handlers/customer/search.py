"""Finding a service: `/search QUERY`, `/search` then the words, or text typed outside any step.

Results page at 8, best first (shop/catalog.py `Catalog.search`); each opens the service card.
The pager's buttons carry the words searched (SearchCb), not a reference to a conversation, so
they keep working after the menu was opened or the bot restarted. Telegram allows 64 bytes of
callback data: a query longer than that is searched for its first words only, and it says so.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from handlers import keyboards
from handlers.callbacks import SearchCb, ServiceCb
from handlers.common import NOT_A_COMMAND, cancel_markup, show
from handlers.customer.checkout import not_text
from handlers.states import SearchInput
from shop.formatting import format_number, quote
from shop.i18n import _
from shop.order_form import search_problem
from shop.paging import Page
from shop.search_query import BadQuery, search_terms
from shop.services import Services
from storage.catalog import ServiceRecord

# "q:<page>:<words>" in at most 64 bytes, leaving room for a page number of five digits.
WORDS_BYTES = 64 - len(SearchCb(page=99_999, words="").pack())


def fit(terms: str) -> str:
    """The words that fit in a pager button: whole words from the first. A first word too long
    on its own is cut: its start still finds every name the whole word finds."""
    kept = ""
    for word in terms.split():
        longer = f"{kept} {word}".lstrip()
        if len(longer.encode()) > WORDS_BYTES:
            break
        kept = longer
    return kept or terms.encode()[:WORDS_BYTES].decode(errors="ignore")


def prompt_text() -> str:
    return _(
        "🔎 What are you looking for? Send a few words of the service's name "
        "(e.g. <i>youtube views</i>) or its number."
    )


def results_text(terms: str, found: Page[ServiceRecord]) -> str:
    if not found.total:
        text = _("🔎 Nothing found for «{query}». Try other words, or browse the catalog:")
        return text.format(query=quote(terms))
    return _("🔎 Results for «{query}» ({count})").format(
        query=quote(terms), count=format_number(found.total)
    )


def results_keyboard(terms: str, found: Page[ServiceRecord]) -> InlineKeyboardMarkup:
    items = [
        keyboards.button(keyboards.label(service.name), ServiceCb(id=service.id))
        for service in found.items
    ]
    return keyboards.rows_with_pager(
        items, found, lambda page: SearchCb(page=page, words=terms), keyboards.home_button()
    )


async def show_results(
    target: Message | CallbackQuery, services: Services, terms: str, page: int, cut: bool = False
) -> None:
    """A page of what `terms` finds; nothing found says so and offers the catalog. Raises
    BadQuery for terms no search of ours makes (a forged button)."""
    found = await services.catalog.search(terms, page)
    text = results_text(terms, found)
    if cut:  # above, so that "browse the catalog:" stays next to its buttons
        text = _("Only the first words were searched: the query is too long.") + "\n" + text
    markup = results_keyboard(terms, found) if found.total else keyboards.to_catalog()
    await show(target, text, markup)


async def checked(message: Message, query: str, refused: InlineKeyboardMarkup) -> str | None:
    """The words to search for, or None once the person was told what a search needs."""
    try:
        return search_terms(query)
    except BadQuery as error:
        await message.answer(search_problem(error.problem), reply_markup=refused)
        return None


async def search_now(message: Message, services: Services, terms: str) -> None:
    words = fit(terms)
    await show_results(message, services, words, 0, cut=words != terms)


async def search_command(
    message: Message, command: CommandObject, state: FSMContext, services: Services
) -> None:
    await state.clear()
    if not command.args:  # the next text is the query
        await state.set_state(SearchInput.query)
        await message.answer(prompt_text(), reply_markup=await cancel_markup(state))
        return
    terms = await checked(message, command.args, keyboards.main_menu())
    if terms is not None:
        await search_now(message, services, terms)


async def query_input(message: Message, state: FSMContext, services: Services) -> None:
    # A query that cannot be searched keeps the person at the step, with its Cancel.
    terms = await checked(message, message.text or "", await cancel_markup(state))
    if terms is not None:
        await state.clear()
        await search_now(message, services, terms)


async def typed_outside_a_step(message: Message, services: Services) -> None:
    terms = await checked(message, message.text or "", keyboards.main_menu())
    if terms is not None:
        await search_now(message, services, terms)


async def results_page(
    callback: CallbackQuery,
    callback_data: SearchCb,
    services: Services,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        await show_results(callback, services, callback_data.words, callback_data.page)
    except BadQuery:
        callback_answer.text = _("This button has expired. Please open the menu again.")


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(search_command, Command("search"))
    router.message.register(query_input, SearchInput.query, F.text, NOT_A_COMMAND)
    router.message.register(not_text, SearchInput.query, ~F.text)
    router.callback_query.register(results_page, SearchCb.filter())
    # Text typed in no flow at all is what the person looks for. Steps that take text need a
    # state, so they always see their text first, wherever their router stands.
    router.message.register(typed_outside_a_step, StateFilter(None), F.text, NOT_A_COMMAND)
    return router
