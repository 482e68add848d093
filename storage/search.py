"""Finding services by name: the form of a name that search compares, and the SQL that matches it.

Names and queries are folded the same way in Python (lower case, accents and marks dropped,
only letters and digits kept), so search ignores case and accents whatever SQLite was built
with: "lượt xem" finds "Lượt Xem", "VIEWS!" finds "🔥 YouTube Views [Non Drop]". Every word
of a query must be in the name. The folded names are indexed by an FTS5 trigram table when
this SQLite has the trigram tokenizer (migration 0007); without it the same conditions scan
`services.search_name`, which gives the same answers more slowly.

The catalog sync writes search_name with the name, and the index in the same transaction
(storage/catalog_writer.py). It folds a name again only when the name changes: a change to fold()
needs a migration that empties search_name, so that the next sync folds every name anew.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Transaction

# Letters NFKD leaves whole, written as people type them without accents (Vietnamese đ).
PLAIN_LETTERS = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "ħ": "h", "ı": "i"})
SHORT_I_SPLIT = unicodedata.normalize("NFKD", "й")  # Russian й is и with a breve to NFKD
TRIGRAM = 3  # the index knows runs of three characters: see needle() for shorter words
MAX_ID_DIGITS = 18  # a longer number is no service id (SQLite integers are 64-bit)
# The index, when migration 0007 could create it (it needs FTS5's trigram tokenizer).
INDEX_TABLE = "service_search"
# What browsing lists (storage/catalog.py VISIBLE), without a join: a name that matches is not
# also looked up in categories, only checked against the few hidden ones.
LISTED = (
    "s.active = 1 AND s.hidden = 0"
    " AND s.category_id NOT IN (SELECT id FROM categories WHERE hidden = 1)"
)
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# bytes.translate: ASCII letters and digits kept, anything else a space (the common case, fast).
ASCII_WORDS = bytes(c if chr(c).isalnum() else 0x20 for c in range(128)) + b" " * 128


def fold(text: str) -> str:
    """What search compares: "🔥 YouTube Views [Non Drop] & Fast <HQ> " -> "youtube views non
    drop fast hq"; "Lượt xem" -> "luot xem". Idempotent: fold(fold(x)) == fold(x)."""
    if text.isascii() or all(is_symbol(ch) for ch in NON_ASCII.findall(text)):
        # Most names: ASCII words and emoji. Every non-ASCII character becomes "?", a space.
        ascii_text = text.lower().encode("ascii", "replace")
        return " ".join(ascii_text.translate(ASCII_WORDS).decode().split())
    # Decomposed before lower case: "™" is "TM". Accents are then marks of their own.
    decomposed = unicodedata.normalize("NFKD", text).casefold().translate(PLAIN_LETTERS)
    decomposed = decomposed.replace(SHORT_I_SPLIT, "й")  # a letter of its own, not an accent
    kept = (ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    # NFC puts back what NFKD split that is not an accent (Hangul syllables).
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


@functools.cache
def is_symbol(character: str) -> bool:
    """Nothing search compares (an emoji, a sign), even decomposed: "🔥" yes, "½" or "é" no."""
    return not any(ch.isalnum() for ch in unicodedata.normalize("NFKD", character))


async def write_index(
    tx: Transaction, rows: Sequence[tuple[int, str]], replaced: list[int]
) -> None:
    """Index these (service id, search_name) rows, in the sync's transaction; `replaced`: the
    ids indexed before, whose old rows go first. Written here rather than by triggers: FTS5
    flushes at each trigger's statement, and 30,000 new services would take a second more.
    Names are indexed between spaces, so that the start of a word is a run of three too."""
    await tx.executemany(f"DELETE FROM {INDEX_TABLE} WHERE rowid = ?", [(i,) for i in replaced])
    await tx.executemany(
        f"INSERT INTO {INDEX_TABLE} (rowid, search_name) VALUES (?, ?)",
        [(service_id, f" {name} ") for service_id, name in rows],
    )


def needle(word: str) -> str:
    """What a word must meet in " " + search_name + " ". Three characters or more: anywhere
    ("tube" finds YouTube). Two: the start of a word ("ig" finds "IG Likes", not "High"). One:
    a whole word ("x" finds "Twitter / X", not every x). Shorter pieces inside words would
    match nearly every name; and so each needle is at least three characters, a trigram."""
    if len(word) >= TRIGRAM:
        return word
    return f" {word}" if len(word) == 2 else f" {word} "


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A query's words as SQL: the condition a service's name must meet, and the order of what
    it finds. Every word must be in the name (see needle). A query that is a number also finds
    the service with that id, first."""

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
        """The condition on `s` (services), and its parameters: through the trigram index when
        the database has it, else by reading each name (the same answers, slower)."""
        needles = [needle(word) for word in self.words]
        if indexed:
            # Each needle a quoted phrase (only letters, digits and spaces: nothing to escape).
            params: dict[str, Any] = {"match": " ".join(f'"{n}"' for n in needles)}
            condition = (
                f"s.id IN (SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH :match)"
            )
        else:
            params = {f"w{number}": n for number, n in enumerate(needles)}
            condition = " AND ".join(
                f"instr(' ' || s.search_name || ' ', :w{number}) > 0"
                if " " in n
                else f"instr(s.search_name, :w{number}) > 0"
                for number, n in enumerate(needles)
            )
        if self.service_id is not None:
            params["id"] = self.service_id
            condition = f"({condition} OR s.id = :id)"
        return condition, params

    def order_by(self, table: str) -> tuple[str, dict[str, Any]]:
        """The service with the id typed first; then names starting with the first word, then
        names with the words together as typed, then shorter names (closer to the query).
        `table`: the alias of a table with `id` and `search_name`."""
        params: dict[str, Any] = {"first": self.words[0], "phrase": " ".join(self.words)}
        keys = [
            f"instr({table}.search_name, :first) = 1 DESC",
            f"instr({table}.search_name, :phrase) > 0 DESC",
            f"length({table}.search_name)",
            f"{table}.id",
        ]
        if self.service_id is not None:
            keys.insert(0, f"{table}.id = :id DESC")
            params["id"] = self.service_id
        return ", ".join(keys), params

    def sql(self, indexed: bool, columns: str) -> tuple[str, dict[str, Any]]:
        """One statement for a page of what the query finds (`columns` of services s and
        categories c, best first, :limit from :offset) and, on each row, `total`: how many it
        finds on every page. The names are matched once, for both."""
        where, params = self.where(indexed)
        order, order_params = self.order_by("f")
        final_order, _ = self.order_by("s")
        statement = f"""
            WITH found AS (SELECT s.id, s.search_name FROM services s WHERE {LISTED} AND {where}),
            page AS (SELECT f.id FROM found f ORDER BY {order} LIMIT :limit OFFSET :offset)
            SELECT (SELECT COUNT(*) FROM found) AS total, {columns}
            FROM page JOIN services s ON s.id = page.id JOIN categories c ON c.id = s.category_id
            ORDER BY {final_order}"""
        return statement, params | order_params

    def count_sql(self, indexed: bool) -> tuple[str, dict[str, Any]]:
        """How many services the query finds (for a page past the end, where sql() has no row)."""
        where, params = self.where(indexed)
        return f"SELECT COUNT(*) FROM services s WHERE {LISTED} AND {where}", params
