"""FSM states of the ordering conversation."""

from aiogram.fsm.state import State, StatesGroup


class Ordering(StatesGroup):
    link = State()
    quantity = State()
    comments = State()  # Custom Comments: one per line
    list = State()  # Special (1DG): suggested videos or keywords
    suggest = State()  # Special 1 (1DG): suggested videos
    search = State()  # Special 1 (1DG): search keywords
    mode = State()  # drip-feed services: all at once, or drip-feed (a button pair)
    runs = State()  # drip-feed: how many runs
    interval = State()  # drip-feed: minutes between runs
    confirm = State()


class ProductOrdering(StatesGroup):
    quantity = State()
    require = State()  # the information the product needs, e.g. the buyer's account
    confirm = State()


class AdminInput(StatesGroup):
    amount = State()  # the amount to credit or debit from a user card


class TopUpInput(StatesGroup):
    amount = State()  # "other amount": the person types how much to top up


class SearchInput(StatesGroup):
    query = State()  # /search without words: the next text is what to look for


class PromoInput(StatesGroup):
    code = State()  # the promo code asked for by the balance screen's button


class PayInput(StatesGroup):
    amount = State()  # "other amount" of a crypto, bank or manual top-up (method in the data)
    proof = State()  # a manual top-up's proof: a photo, a file or a text (request in the data)


class ReviewInput(StatesGroup):
    reason = State()  # an admin rejecting a request types why (request in the data)
    person = State()  # an admin crediting a transfer with no code types whom (transfer in data)
