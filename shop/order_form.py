"""What an order needs, field by field, and the words a bad input gets.

The chat asks for the fields one step at a time (handlers/customer/ordering.py, dripfeed.py,
products.py); the Mini App takes them in one form (miniapp/). Both call these checks, so a bad
input reads the same on either side. Each check returns the clean value or raises BadInput,
whose text says what is wrong and what is allowed (the chat puts "⚠️ " before it). The rules
themselves are shop/order_input.py's, shop/dripfeed.py's and shop/products.py's, which the
reseller API (reseller_api/) answers in the panel family's words instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from provider.models import ServiceType
from shop.dripfeed import (
    MAX_INTERVAL,
    MIN_INTERVAL,
    MIN_RUNS,
    max_runs,
    offers_dripfeed,
    parse_interval,
    parse_runs,
)
from shop.formatting import format_number
from shop.i18n import _, ngettext
from shop.offers import Offer
from shop.order_input import (
    MAX_LIST_LINES,
    InputError,
    Problem,
    parse_lines,
    parse_link,
    parse_quantity,
)
from shop.products import MAX_REQUIRE_LENGTH, ProductDraft, require_allowed
from shop.search_query import MAX_QUERY_LENGTH, QueryProblem
from shop.service_drafts import OrderDraft, lines_bounds
from storage.products import ProductRecord

T = TypeVar("T")


class BadInput(ValueError):
    """An input that cannot be taken; `text` says why, in the person's language."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# ---- the words ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RangeTexts:
    """What a bad whole number within a range gets, in the person's language."""

    not_whole: str
    too_small: str  # 0 or less too
    too_large: str
    otherwise: str  # not a number at all


def problem_text(error: InputError) -> str:
    low, high = format_number(error.minimum), format_number(error.maximum)
    lines_sent = ngettext(
        "You sent {count} line; send from {min} to {max}, one per line.",
        "You sent {count} lines; send from {min} to {max}, one per line.",
        int(error.details.get("count", "0")),
    )
    texts = {
        Problem.NOT_TEXT: _("Please send text."),
        Problem.NOT_A_LINK: _(
            "That is not a link. Send a full link starting with https://, "
            "e.g. https://www.youtube.com/watch?v=..."
        ),
        Problem.LINK_TOO_LONG: _("That link is too long (at most {max} characters)."),
        Problem.NOT_A_NUMBER: _("Send the quantity as a whole number from {min} to {max}."),
        Problem.NOT_WHOLE: _("The quantity must be a whole number from {min} to {max}."),
        Problem.NOT_POSITIVE: _("The quantity must be positive: from {min} to {max}."),
        Problem.TOO_SMALL: _("That is below the minimum. Send a number from {min} to {max}."),
        Problem.TOO_LARGE: _("That is above the maximum. Send a number from {min} to {max}."),
        Problem.TOO_FEW_LINES: lines_sent,
        Problem.TOO_MANY_LINES: lines_sent,
        Problem.LINE_TOO_LONG: _("One of the lines is too long (at most {limit} characters)."),
        Problem.CONTROL_CHARACTER: _(
            "One of the lines has invisible control characters. Please type it again."
        ),
    }
    # Counts and limits read like every other number: 1,501 lines.
    details = {k: format_number(int(v)) if v.isdigit() else v for k, v in error.details.items()}
    return texts[error.problem].format(min=low, max=high, **details)


def _count_problem(error: InputError, low: int, high: int, texts: RangeTexts) -> str:
    """A whole number from `low` to `high` that is not: 0 or less reads as too small."""
    text = {
        Problem.NOT_WHOLE: texts.not_whole,
        Problem.NOT_POSITIVE: texts.too_small,
        Problem.TOO_SMALL: texts.too_small,
        Problem.TOO_LARGE: texts.too_large,
    }.get(error.problem, texts.otherwise)
    return text.format(min=format_number(low), max=format_number(high))


def runs_problem(error: InputError, limit: int) -> str:
    return _count_problem(
        error,
        MIN_RUNS,
        limit,
        RangeTexts(
            not_whole=_("The number of runs must be a whole number from {min} to {max}."),
            too_small=_("Drip-feed needs at least {min} runs: send from {min} to {max}."),
            too_large=_("That is too many runs: send a number from {min} to {max}."),
            otherwise=_("Send the number of runs as a whole number from {min} to {max}."),
        ),
    )


def _over_maximum(text: str, runs: int, quantity: int, maximum: int, **more: int) -> str:
    """`text` about runs × quantity = total over the service's maximum, every number as the
    person's language writes it."""
    numbers = {"runs": runs, "quantity": quantity, "total": runs * quantity, "max": maximum}
    numbers.update(more)
    return text.format(**{name: format_number(value) for name, value in numbers.items()})


def total_too_large(quantity: int, runs: int, maximum: int, limit: int) -> str:
    text = _(
        "{runs} runs × {quantity} = {total}: more than this service's maximum of {max} in all. "
        "Send at most {limit} runs."
    )
    return _over_maximum(text, runs, quantity, maximum, limit=limit)


def interval_problem(error: InputError) -> str:
    texts = RangeTexts(
        not_whole=_("The interval must be whole minutes, from {min} to {max}."),
        too_small=_("The interval must be at least {min} minute: send {min} to {max}."),
        too_large=_("The interval can be at most {max} minutes (24 hours)."),
        otherwise=_("Send the interval in minutes, a whole number from {min} to {max}."),
    )
    return _count_problem(error, MIN_INTERVAL, MAX_INTERVAL, texts)


def cannot_split(quantity: int, maximum: int) -> str:
    text = _(
        "Drip-feed needs at least {runs} runs, and {runs} × {quantity} = {total} is more than "
        "this service's maximum of {max}. Send a smaller quantity per run (at most {most}), "
        "or choose ⚡ All at once."
    )
    return _over_maximum(text, MIN_RUNS, quantity, maximum, most=maximum // MIN_RUNS)


def require_problem() -> str:
    return _("Please send the requested information as text (1 to {max} characters).").format(
        max=format_number(MAX_REQUIRE_LENGTH)
    )


def search_problem(problem: QueryProblem) -> str:
    if problem is QueryProblem.TOO_LONG:
        text = _("🔎 That is too long to search: send at most {max} characters.")
        return text.format(max=MAX_QUERY_LENGTH)
    return _(
        "🔎 To find a service, send at least two letters or digits of its name, or its number."
    )


# ---- the checks, one field each ----------------------------------------------------------------


def check_link(text: str | None) -> str:
    try:
        return parse_link(text)
    except InputError as error:
        raise BadInput(problem_text(error)) from None


def check_quantity(text: str | None, minimum: int, maximum: int) -> int:
    try:
        return parse_quantity(text, minimum, maximum)
    except InputError as error:
        raise BadInput(problem_text(error)) from None


def check_lines(text: str | None, minimum: int, maximum: int) -> list[str]:
    try:
        return parse_lines(text, minimum, maximum)
    except InputError as error:
        raise BadInput(problem_text(error)) from None


def check_comments(offer: Offer, text: str | None) -> list[str]:
    """One comment per line; their count is the quantity, within the service's range."""
    return check_lines(text, *lines_bounds(offer, comments=True))


def check_list(text: str | None) -> list[str]:
    """A list of suggested videos or search keywords, one per line."""
    return check_lines(text, 1, MAX_LIST_LINES)


def runs_limit(offer: Offer, quantity: int) -> int:
    """The most runs of `quantity` a drip-feed order may have (never below the minimum, so the
    words about runs stay sensible when the quantity cannot be split at all)."""
    return max(max_runs(offer, quantity), MIN_RUNS)


def dripfeed_refusal(offer: Offer, quantity: int) -> str | None:
    """Why `quantity` cannot be drip-fed (at least two runs would pass the service's max)."""
    if max_runs(offer, quantity) < MIN_RUNS:
        return cannot_split(quantity, offer.service.max_quantity)
    return None


def check_runs(offer: Offer, quantity: int, text: str | None) -> int:
    try:
        return parse_runs(text, offer, quantity)
    except InputError as error:
        limit = runs_limit(offer, quantity)
        if error.problem is Problem.TOTAL_TOO_LARGE:
            asked = int(error.details["runs"])
            raise BadInput(
                total_too_large(quantity, asked, offer.service.max_quantity, limit)
            ) from None
        raise BadInput(runs_problem(error, limit)) from None


def check_interval(text: str | None) -> int:
    try:
        return parse_interval(text)
    except InputError as error:
        raise BadInput(interval_problem(error)) from None


def check_require(text: str | None) -> str:
    """What a product asks for, kept exactly as typed (it may be a password or a code)."""
    text = text or ""
    if not require_allowed(text):
        raise BadInput(require_problem())
    return text


# ---- a whole form (the Mini App) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceForm:
    """What a person typed into a service's order form; empty where nothing was typed."""

    link: str = ""
    quantity: str = ""
    comments: str = ""
    list: str = ""
    suggest: str = ""
    search: str = ""
    dripfeed: bool = False
    runs: str = ""
    interval: str = ""


D = TypeVar("D", OrderDraft, ProductDraft)


@dataclass(frozen=True, slots=True)
class Checked(Generic[D]):
    """A form checked: the draft with every right field filled in, and each wrong field's words.
    `quantity` is what would be paid for as soon as the fields that set it are right (the live
    price can be shown then), whatever the other fields say."""

    draft: D
    errors: dict[str, str]
    quantity: int | None

    @property
    def complete(self) -> D | None:
        """The draft to quote and place, when no field is wrong."""
        return None if self.errors else self.draft


def service_fields(offer: Offer) -> list[str]:
    """The fields a service's form has, in the order the chat asks them."""
    match offer.kind:
        case ServiceType.PACKAGE:
            return ["link"]
        case ServiceType.CUSTOM_COMMENTS:
            return ["link", "comments"]
        case ServiceType.SPECIAL:
            return ["link", "quantity", "list"]
        case ServiceType.SPECIAL_1:
            return ["link", "quantity", "suggest", "search"]
        case _:
            fields = ["link", "quantity"]
            return [*fields, "runs", "interval"] if offers_dripfeed(offer) else fields


def attempt(errors: dict[str, str], field: str, check: Callable[[], T]) -> T | None:
    """The field's clean value, or None with its words in `errors`."""
    try:
        return check()
    except BadInput as bad:
        errors[field] = bad.text
        return None


def check_service_form(offer: Offer, form: ServiceForm) -> Checked[OrderDraft]:
    """Every field the service needs, checked as the chat checks its step."""
    errors: dict[str, str] = {}
    draft = OrderDraft(service_id=offer.service.id)
    draft.link = attempt(errors, "link", lambda: check_link(form.link)) or ""
    service = offer.service
    paid_for: int | None = None
    if offer.kind is ServiceType.PACKAGE:
        paid_for = 1
    elif offer.kind is ServiceType.CUSTOM_COMMENTS:
        comments = attempt(errors, "comments", lambda: check_comments(offer, form.comments))
        if comments is not None:
            draft.lines, paid_for = comments, len(comments)
    else:
        quantity = attempt(
            errors,
            "quantity",
            lambda: check_quantity(form.quantity, service.min_quantity, service.max_quantity),
        )
        draft.quantity, paid_for = quantity or 0, quantity
        if offer.kind is ServiceType.SPECIAL:
            draft.lines = attempt(errors, "list", lambda: check_list(form.list)) or []
        elif offer.kind is ServiceType.SPECIAL_1:
            draft.suggest = attempt(errors, "suggest", lambda: check_list(form.suggest)) or []
            draft.search = attempt(errors, "search", lambda: check_list(form.search)) or []
        elif form.dripfeed and quantity is not None and "runs" in service_fields(offer):
            paid_for = check_dripfeed(offer, form, draft, quantity, errors)
    return Checked(draft, errors, paid_for)


def check_dripfeed(
    offer: Offer, form: ServiceForm, draft: OrderDraft, quantity: int, errors: dict[str, str]
) -> int | None:
    """Runs and interval of a drip-fed order; what it would pay for in all, when known."""
    refusal = dripfeed_refusal(offer, quantity)
    if refusal is not None:
        errors["quantity"] = refusal
        return None
    draft.runs = attempt(errors, "runs", lambda: check_runs(offer, quantity, form.runs))
    draft.interval = attempt(errors, "interval", lambda: check_interval(form.interval))
    return None if draft.runs is None else quantity * draft.runs


def check_product_form(
    product: ProductRecord, quantity: str, require: str
) -> Checked[ProductDraft]:
    errors: dict[str, str] = {}
    draft = ProductDraft(product_id=product.id)
    paid_for = attempt(
        errors,
        "quantity",
        lambda: check_quantity(quantity, product.min_quantity, product.max_quantity),
    )
    draft.quantity = paid_for or 0
    if product.require:
        draft.require = attempt(errors, "require", lambda: check_require(require)) or ""
    return Checked(draft, errors, paid_for)
