"""Fuzzed messages and forged callbacks from several people, and junk admin commands.

`size` people and both admins (junk arguments to the admin commands) send, one update at a
time, their share of a corpus of known-nasty updates, then 2 x size + 4 random ones: text with
emoji, NUL/BEL and other control characters, huge and odd numbers, 4,096 characters, RTL and
zero-width marks, HTML; commands with junk arguments; callback data that is random (up to 64
bytes), a real prefix with junk fields, another person's order, an old draft's key, an admin
button. Held per update: it got an answer (a message, or the
button's query answered); at the end no money moved (the ledger as seeded, no new order or
refill) and nothing in the log.
"""

from __future__ import annotations

import asyncio
import random
import string
from decimal import Decimal

from chaos.core import Context, Shop, TrialError, TrialResult
from chaos.people import confirm_card, confirm_data, open_menu
from chaos.seed import paid_order, panel_orders
from tests.fake_telegram import MAX_TEXT_LENGTH, Person, utf16_length

ANSWER_SECONDS = 15.0
PREFIXES = ("m", "cs", "c", "s", "os", "d", "x", "ol", "o", "or", "rf", "pcs", "pc", "p", "op",
            "pd", "sr", "adm", "au", "tu", "lang")  # fmt: skip
USER_COMMANDS = ("start", "services", "products", "orders", "balance", "topup", "promo",
                 "referral", "help", "language", "cancel")  # fmt: skip
ADMIN_COMMANDS = ("credit", "debit", "markup", "health", "order", "unconfirmed", "resolve",
                  "stars_rate", "refund_stars", "admin", "user", "ban", "unban", "orders_of",
                  "refund", "hide", "show", "alerts", "export", "promo")  # fmt: skip
# Numbers that are never a real user, order or amount here (users are 9 digits, orders small).
JUNK_NUMBERS = ("9" * 19, "9" * 25, "-1", "-0", "0", "1e308", "1e999999", "NaN", "-inf",
                "Infinity", "0x1F", "١٢٣", "１２", "1_000", "3.", ".5", "12,5", "1/0", "−5",
                "99999999999999999999.99", "0.0000001", "18446744073709551616")  # fmt: skip
ODD_TEXT = ("\x00", "\x07\x07\x07", "a\x00b", "\x1b[31mred", "\u202eevil\u202c", "\u200b",
            "\u200f\u200e", "\ufeff", "🔥" * 50, "👨‍👩‍👧‍👦", "Z̷̢͉a̶l̴g̵o̸", "<b>bold", "</code>",
            "<script>alert(1)</script>", "&amp;&lt;", "%s %d {0} {}", "'; DROP TABLE users;--",
            "\n\n\n", "\t", "🏳️‍🌈" * 20, "ـ" * 100)  # fmt: skip


HUGE = "9" * 19  # past SQLite's 64-bit integers, yet 19 digits like a big Telegram id
# Known-nasty updates every run sends first (split among the people), then random ones.
INT_PREFIXES = ("cs", "c", "s", "os", "ol", "o", "or", "rf", "pcs", "pc", "p", "op", "sr")
CORPUS_CALLBACKS = (*(f"{prefix}:{HUGE}" for prefix in INT_PREFIXES), "d:confirm:", "tu:NaN",
                    "tu:-5", "lang:xx", "m:nowhere", "x:", "adm:backup")  # fmt: skip
CORPUS_MESSAGES = ("\x00", "\x07", "\u202e" + "9" * 30, "🔥" * 1000, f"/topup {HUGE}",
                   "/topup -5", "/topup NaN", "/promo " + "A" * 300, "/start " + "\x00" * 3,
                   "/language zz", f"/orders {HUGE}", "/start ref_" + HUGE)  # fmt: skip
CORPUS_ADMIN = (f"/order {HUGE}", f"/refund {HUGE}", f"/refund {HUGE} 1", f"/user {HUGE}",
                f"/credit {HUGE} 5", f"/debit {HUGE} 5", f"/orders_of {HUGE}",
                f"/resolve {HUGE} refund", f"/hide {HUGE}", f"/show {HUGE}", f"/ban {HUGE}",
                "/markup 1e999", "/markup -5", f"/markup service {HUGE} 10", "/stars_rate NaN",
                "/alerts balance -1", f"/refund_stars {HUGE}", "/export junk",
                "/promo create X NaN NaN")  # fmt: skip


class Fuzzer:
    """Random updates from one seeded generator: replaying a seed replays the run."""

    def __init__(self, rng: random.Random, victims: list[str], admin: bool) -> None:
        self.rng = rng
        self.victims = victims  # callback fields that name someone else's things
        self.admin = admin
        self.corpus: list[tuple[str, str]] = []  # ("message" | "callback", payload) to send first

    def message(self) -> str:
        kind = self.rng.choice(("odd", "number", "long", "command", "command", "mixed"))
        if kind == "odd":
            return self.rng.choice(ODD_TEXT)
        if kind == "number":
            return self.rng.choice(JUNK_NUMBERS)
        if kind == "long":
            return self.long_text()
        if kind == "command":
            return self.command()
        return " ".join(self.rng.choice((*ODD_TEXT, *JUNK_NUMBERS)) for _ in range(3))

    def long_text(self) -> str:
        alphabet = string.printable + "éß中文🙂\u202e\u0301"
        text = "".join(self.rng.choice(alphabet) for _ in range(MAX_TEXT_LENGTH))
        while utf16_length(text) > MAX_TEXT_LENGTH:  # Telegram's limit for what people send
            text = text[:-1]
        return text if text.strip() else "x" * MAX_TEXT_LENGTH

    def command(self) -> str:
        names = ADMIN_COMMANDS if self.admin and self.rng.random() < 0.7 else USER_COMMANDS
        args = [self.rng.choice((*JUNK_NUMBERS, *ODD_TEXT, "refund", "create", "all", "@nobody"))
                for _ in range(self.rng.randint(0, 3))]  # fmt: skip
        return " ".join([f"/{self.rng.choice(names)}", *args]).replace("\n", " ")

    def callback(self) -> str:
        kind = self.rng.choice(("random", "prefixed", "prefixed", "victim"))
        if kind == "random":
            size = self.rng.randint(1, 64)
            data = "".join(chr(self.rng.randint(1, 0x2FFF)) for _ in range(size))
        elif kind == "prefixed":
            fields = [self.rng.choice((*JUNK_NUMBERS, "", "confirm", "cancel", "home", "🙂"))
                      for _ in range(self.rng.randint(0, 4))]  # fmt: skip
            data = ":".join([self.rng.choice(PREFIXES), *fields])
        else:
            data = self.rng.choice(self.victims)
        return truncated_utf8(data, 64) or "x"


def share_corpus(fuzzers: list[Fuzzer]) -> None:
    customers = [fuzzer for fuzzer in fuzzers if not fuzzer.admin]
    items = [("callback", data) for data in CORPUS_CALLBACKS]
    items += [("message", text) for text in CORPUS_MESSAGES]
    for index, item in enumerate(items):
        customers[index % len(customers)].corpus.append(item)
    admins = [fuzzer for fuzzer in fuzzers if fuzzer.admin]
    for index, text in enumerate(CORPUS_ADMIN):
        admins[index % len(admins)].corpus.append(("message", text))


def truncated_utf8(text: str, limit: int) -> str:
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


async def trial(ctx: Context, size: int) -> TrialResult:
    result = TrialResult()
    shop = ctx.shop("fuzz")
    people = [ctx.person() for _ in range(size)]
    victim, stale = ctx.person(), ctx.person()
    victims = await seed(ctx, shop, [*people, victim, stale], victim)
    await shop.start()
    victims += await stale_draft(ctx, stale)
    baseline = await money_snapshot(shop)
    fuzzers = [(p, Fuzzer(random.Random(ctx.rng.random()), victims, False)) for p in people]
    fuzzers += [(a, Fuzzer(random.Random(ctx.rng.random()), victims, True)) for a in ctx.admins]
    share_corpus([fuzzer for _, fuzzer in fuzzers])
    steps = 2 * size + 4
    outcomes = await asyncio.gather(*(fuzz_person(p, fuzzer, steps) for p, fuzzer in fuzzers))
    for (person, _), problems in zip(fuzzers, outcomes, strict=True):
        who = f"{'admin' if person in ctx.admins else 'user'} {person.user_id}"
        for step, problem in enumerate(problems, 1):
            result.record(f"{who} update {step}", [problem] if problem else [])
    moved = await money_snapshot(shop)
    await shop.finish(result, [] if moved == baseline else [f"money moved: {baseline} -> {moved}"])
    return result


async def seed(ctx: Context, shop: Shop, people: list[Person], victim: Person) -> list[str]:
    """Everyone has 10.00; the victim has an order on the panel. -> their callback data"""
    await shop.seed_customers(people, Decimal(10))
    link = ctx.link()
    [panel_id] = await panel_orders(ctx.sim, [link])
    async with shop.seeding() as db:
        order_id = await paid_order(db, victim.user_id, link, panel_id=panel_id)
    return [f"{prefix}:{order_id}:0" for prefix in ("o", "or", "rf")] + [f"sr:{order_id}"]


async def stale_draft(ctx: Context, person: Person) -> list[str]:
    """A confirm card left behind by /cancel: its buttons name a draft that is gone."""
    card = await confirm_card(person, ctx.link())
    await person.send("/cancel")
    await person.wait_reply()
    data = confirm_data(card)
    return [data, data.replace("confirm", "cancel"), data.replace("d:", "pd:", 1)]


async def money_snapshot(shop: Shop) -> tuple[int, int, int, int]:
    db = await shop.observer()
    row = await db.fetchone(
        """SELECT (SELECT COUNT(*) FROM ledger), (SELECT COALESCE(SUM(amount), 0) FROM ledger),
                  (SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM refills)"""
    )
    assert row is not None
    return (row[0], row[1], row[2], row[3])


async def fuzz_person(person: Person, fuzzer: Fuzzer, steps: int) -> list[str | None]:
    """One update at a time, each waited for: -> per update, why it failed (None: answered)."""
    try:
        await open_menu(person)
    except TrialError as error:
        return [str(error)]
    problems: list[str | None] = [None]
    for kind, payload in fuzzer.corpus:
        if kind == "message":
            problems.append(await fuzz_message(person, payload))
        else:
            problems.append(await fuzz_callback(person, fuzzer, payload))
    for _ in range(steps):
        if fuzzer.rng.random() < 0.6:
            problems.append(await fuzz_message(person, fuzzer.message()))
        else:
            problems.append(await fuzz_callback(person, fuzzer, fuzzer.callback()))
    return problems


async def fuzz_message(person: Person, text: str) -> str | None:
    await person.send(text)
    try:
        await person.wait_reply(ANSWER_SECONDS)
    except AssertionError:
        return f"no reply to the message {text[:60]!r}"
    return None


async def fuzz_callback(person: Person, fuzzer: Fuzzer, data: str) -> str | None:
    on_message = None if fuzzer.rng.random() < 0.8 else 10**6  # an old, deleted message
    query = await person.click_data(data, on_message)
    try:
        await person.wait_answer(query, ANSWER_SECONDS)
    except AssertionError:
        return f"the button {data!r} was never answered"
    return None
