"""What a search may ask: the words it looks for, or why it cannot be made."""

from __future__ import annotations

from enum import Enum

from storage.search import fold

MAX_QUERY_LENGTH = 100  # characters a search may have
MIN_QUERY_CHARACTERS = 2  # letters or digits a search needs, unless it is a number (an id)


class QueryProblem(Enum):
    TOO_SHORT = "too_short"  # fewer than 2 letters or digits, and not a number
    TOO_LONG = "too_long"  # more than 100 characters


class BadQuery(ValueError):
    """A search that cannot be made; `problem` says why."""

    def __init__(self, problem: QueryProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def search_terms(query: str) -> str:
    """The words a search looks for, as names are compared (storage/search.py): "🔥 YouTube
    Views!" -> "youtube views", "#1234" -> "1234". Searching them finds what the query finds.
    Raises BadQuery for a query over 100 characters, or with under 2 letters or digits that
    is not a number."""
    text = query.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise BadQuery(QueryProblem.TOO_LONG)
    terms = fold(text)
    if not terms.isdigit() and len(terms.replace(" ", "")) < MIN_QUERY_CHARACTERS:
        raise BadQuery(QueryProblem.TOO_SHORT)
    return terms
