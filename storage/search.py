"""Finding services by name: the form of a name that search compares, and the SQL that matches it.

Names and queries are folded the same way in Python (lower case, accents and marks dropped,
only letters and digits kept), so search ignores case and accents whatever SQLite was built
with: "lượt xem" finds "Lượt Xem", "VIEWS!" finds "🔥 YouTube Views [Non Drop]". Every word
of a query must be in the name. The folded names are indexed by an FTS5 trigram table when
this SQLite has the trigram tokenizer (migration 0007); without it the same conditions scan
`services.search_name`, which gives the same answers more slowly.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

# Letters NFKD leaves whole, written as people type them without accents (Vietnamese đ).
PLAIN_LETTERS = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "ħ": "h", "ı": "i"})
SHORT_I_SPLIT = unicodedata.normalize("NFKD", "й")  # Russian й is и with a breve to NFKD
TRIGRAM = 3  # the index knows runs of three characters: a shorter word cannot use it
MAX_ID_DIGITS = 18  # a longer number is no service id (SQLite integers are 64-bit)
# The index, when migration 0007 could create it (it needs FTS5's trigram tokenizer).
INDEX_TABLE = "service_search"


def fold(text: str) -> str:
    """What search compares: "🔥 YouTube Views [Non Drop] & Fast <HQ> " -> "youtube views non
    drop fast hq"; "Lượt xem" -> "luot xem". Idempotent: fold(fold(x)) == fold(x)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(PLAIN_LETTERS))
    decomposed = decomposed.replace(SHORT_I_SPLIT, "й")  # a letter of its own, not an accent
    kept = (ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    # NFC puts back what NFKD split that is not an accent (Hangul syllables).
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A query's words as SQL: the condition a visible service must meet, and the order.

    A word of three characters or more matches anywhere in the name ("tube" finds YouTube); a
    shorter one only the start of a word ("ig" finds "IG Likes", not "High"), since two letters
    inside words would match nearly everything. A query that is a number also finds the
    service with that id, first."""

    words: tuple[str, ...]
    service_id: int | None

    @classmethod
    def parse(cls, query: str) -> NameQuery:
        folded = fold(query)
        words = tuple(dict.fromkeys(folded.split()))  # a repeated word adds nothing
        is_id = folded.isdigit() and len(folded) <= MAX_ID_DIGITS
        return cls(words, int(folded) if is_id else None)

    @property
    def empty(self) -> bool:
        """Only punctuation or emoji: nothing to look for."""
        return not self.words

    def where(self, indexed: bool) -> tuple[str, dict[str, Any]]:
        """The condition on `s` (services), and its parameters. With `indexed`, the words the
        trigram index can take are looked up there; the others are checked on each row."""
        conditions: list[str] = []
        params: dict[str, Any] = {}
        rest = list(self.words)
        long_words = [word for word in self.words if len(word) >= TRIGRAM]
        if indexed and long_words:
            # Each word a quoted phrase (words are only letters and digits: no quote to escape).
            params["match"] = " ".join(f'"{word}"' for word in long_words)
            conditions.append(
                f"s.id IN (SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH :match)"
            )
            rest = [word for word in self.words if len(word) < TRIGRAM]
        for number, word in enumerate(rest):
            name = f"w{number}"
            if len(word) >= TRIGRAM:
                params[name] = word
                conditions.append(f"instr(s.search_name, :{name}) > 0")
            else:
                params[name] = " " + word  # the start of a word
                conditions.append(f"instr(' ' || s.search_name, :{name}) > 0")
        condition = " AND ".join(conditions)
        if self.service_id is not None:
            params["id"] = self.service_id
            condition = f"(({condition}) OR s.id = :id)"
        return condition, params

    def order_by(self) -> tuple[str, dict[str, Any]]:
        """The service with the id typed first; then names starting with the first word, then
        names with the words together as typed, then shorter names (closer to the query)."""
        params: dict[str, Any] = {"first": self.words[0], "phrase": " ".join(self.words)}
        keys = [
            "instr(s.search_name, :first) = 1 DESC",
            "instr(s.search_name, :phrase) > 0 DESC",
            "length(s.search_name)",
            "s.id",
        ]
        if self.service_id is not None:
            keys.insert(0, "s.id = :id DESC")
            params["id"] = self.service_id
        return ", ".join(keys), params
