"""The shop as a panel, end to end over real HTTP: a second bot process (`python -m bot`, "the
child shop") sells with PROVIDER_URL = this shop's /api/v2 and PROVIDER_KEY = a key a person
created with /api here, on top of the panel simulator. A customer of the child orders (Default,
Custom Comments, drip-feed); each order flows child -> this shop -> simulator, completes or
ends Partial and is refunded in both shops, a refill and a cancel pass through, and both
ledgers balance. `/panel add` with this shop as the panel works too."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from chaos.core import ReadOnlyDatabase
from chaos.process import BotProcess, Endpoints, log_problems
from shop.resellers import NewKey
from storage.db import Database
from storage.order_repository import OrderRepository
from storage.orders import OrderRecord, Stage
from tests.fake_telegram import BotMessage, FakeTelegram, Person
from tests.harness import ShopBot, eventually
from tests.reseller_kit import api_url, api_world, create_key, selling_shop

CHILD_ADMIN = 900_000_077
CUSTOMER = 700_900_001
START_SECONDS = 60.0
COMMENTS = "\n".join(f"comment {n}" for n in range(1, 11))


# ---- talking to the child shop, as its customer does -------------------------------------------


async def ask(person: Person, text: str) -> BotMessage:
    await person.send(text)
    return await person.wait_reply(30)


async def press(person: Person, label: str, match: str = "exact") -> BotMessage:
    query = await person.click(label, match="contains" if match == "contains" else "exact")
    reply = await person.wait_reply(30)
    await person.wait_answer(query, 30)
    return reply


async def expect(person: Person, fragment: str) -> BotMessage:
    """The child's messages to this person, skipped until one says `fragment`."""
    while True:
        reply = await person.wait_reply(45)
        if fragment in reply.content:
            return reply


async def open_service(person: Person, category: str, service: str) -> None:
    await ask(person, "/services")
    for fragment in (category, service):
        while person.last_message.find_button(fragment, "contains") is None:
            assert person.last_message.find_button("Next ▶️"), f"no {fragment!r} on any page"
            await press(person, "Next ▶️")
        await press(person, fragment, "contains")
    await press(person, "🛒 Order")


async def confirmed(person: Person) -> int:
    """Confirm the card on screen; -> the child's order number."""
    placed = await press(person, "✅ Confirm")
    if "placed" not in placed.content:
        placed = await expect(person, "placed")
    number = placed.content.split("#", 1)[1].split()[0].rstrip(".")
    return int(number)


async def open_order(person: Person, order_id: int) -> BotMessage:
    await ask(person, "/orders")
    return await press(person, f"#{order_id} ·", "contains")


# ---- the child process ---------------------------------------------------------------------------


class Child:
    def __init__(self, fake: FakeTelegram, parent: ShopBot, key: str, folder: Path) -> None:
        self.fake = fake
        self.database = folder / "child.sqlite3"
        endpoints = Endpoints(fake.base_url, api_url(parent), (CHILD_ADMIN,))
        self.process = BotProcess(
            endpoints, self.database, folder / "child.log", poll_seconds=0.5,
            settings={"PROVIDER_KEY": key, "CATALOG_SYNC_MINUTES": "60"},
        )  # fmt: skip
        self.db: ReadOnlyDatabase | None = None

    async def start(self) -> None:
        await self.process.start()

        def polling() -> bool | None:
            if not self.process.running:
                raise AssertionError(f"the child exited: {self.process.log_text()[-800:]}")
            return self.fake.pending_polls > 0 or None

        await self.fake.wait_for(polling, START_SECONDS, what="the child polling")
        self.db = ReadOnlyDatabase(self.database)
        await self.db.connect()

        async def catalog_ready() -> bool:
            return bool(await self.reader().fetchval("SELECT COUNT(*) FROM services"))

        await eventually(catalog_ready, START_SECONDS)

    def reader(self) -> Database:
        assert self.db is not None
        return self.db

    async def order(self, order_id: int) -> OrderRecord:
        order = await OrderRepository(self.reader()).get(order_id)
        assert order is not None
        return order

    async def stop(self) -> list[str]:
        if self.db is not None:
            await self.db.close()
        report = await self.process.stop()
        return report.problems + log_problems(self.process.log_text())


async def ledgers_balance(db: Database) -> None:
    mismatched = await db.fetchall(
        """SELECT u.id FROM users u WHERE u.balance <>
           (SELECT COALESCE(SUM(amount), 0) FROM ledger l WHERE l.user_id = u.id)"""
    )
    assert not mismatched, [tuple(row) for row in mismatched]


async def parent_order(parent: ShopBot, child_order: OrderRecord) -> OrderRecord:
    """The order the child placed here for its own (the child's panel order id is ours)."""
    assert child_order.panel_order_id is not None
    order = await parent.app.services.people.order(child_order.panel_order_id)
    assert order is not None and order.via_api
    return order


async def sim_says(parent: ShopBot, order: OrderRecord, status: str, remains: int = 0) -> None:
    """The simulator ends the order so; this shop's tracker learns it (the child's polls us)."""
    assert order.panel_order_id is not None
    parent.sim.set_order(order.panel_order_id, status=status, remains=remains)
    await parent.app.tracker.sync_once()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


async def test_a_child_shop_buys_through_the_api(folder: Path) -> None:
    async with (
        api_world() as world,
        selling_shop(world, folder / "parent") as parent,
        FakeTelegram() as child_fake,
    ):
        reseller = await parent.customer(balance="100")
        key, _ = await create_key(parent, reseller)
        child = Child(child_fake, parent, key, folder)
        problems: list[str] = []
        try:
            await child.start()
            await run_the_shop(parent, child, reseller)
        finally:
            problems = await child.stop()
        assert not problems, problems
        await ledgers_balance(parent.app.db)
        child_db = ReadOnlyDatabase(child.database)
        await child_db.connect()
        try:
            await ledgers_balance(child_db)
            await money_matches(child_db, parent, reseller)
        finally:
            await child_db.close()


async def money_matches(child_db: Database, parent: ShopBot, reseller: Person) -> None:
    """What the child paid this shop for each order is what this shop charged for it."""
    spent = Decimal(0)
    for order in await OrderRepository(child_db).for_user(CUSTOMER, 0, 50):
        ours = await parent_order(parent, order)
        assert order.charge == ours.price - ours.refunded, (order, ours)
        spent += ours.price - ours.refunded
    assert await parent.balance(reseller) == Decimal(100) - spent


async def run_the_shop(parent: ShopBot, child: Child, reseller: Person) -> None:
    fake = child.fake
    admin = fake.person(user_id=CHILD_ADMIN, first_name="ChildOwner")
    cat = fake.person(user_id=CUSTOMER, first_name="Cat")
    await ask(cat, "/start")
    assert "✅" in (await ask(admin, f"/credit {CUSTOMER} 50")).content
    await expect(cat, "💰")  # told of the credit

    # Default: 1,000 views. This shop sells them to the reseller at 3.25; the child adds 30%.
    await open_service(cat, "Youtube", "Youtube views")
    await ask(cat, "https://youtu.be/child-default")
    card = await ask(cat, "1000")
    assert "4.225" in card.content
    default = await child.order(await confirmed(cat))
    ours_default = await parent_order(parent, default)
    assert ours_default.price == Decimal("3.25") and ours_default.user_id == reseller.user_id

    # Custom Comments: ten of them.
    await open_service(cat, "Facebook", "Facebook comments")
    await ask(cat, "https://facebook.com/child-post")
    await ask(cat, COMMENTS)
    comments = await child.order(await confirmed(cat))
    ours_comments = await parent_order(parent, comments)
    assert ours_comments.comments == COMMENTS

    # Drip-feed: 100 a run, 3 runs, every 30 minutes (a service that takes cancels too).
    await open_service(cat, "YouTube", "Backup Server")
    await ask(cat, "https://youtu.be/child-drip")
    await ask(cat, "100")
    await press(cat, "💧 Drip-feed")
    await ask(cat, "3")
    await ask(cat, "30")
    drip = await child.order(await confirmed(cat))
    ours_drip = await parent_order(parent, drip)
    assert (ours_drip.runs, ours_drip.interval, ours_drip.quantity) == (3, 30, 100)
    sent = parent.sim.added[-1]
    assert (sent["runs"], sent["interval"], sent["quantity"]) == ("3", "30", "100")

    # Completed in the simulator -> here -> the child tells its customer.
    await sim_says(parent, ours_default, "Completed")
    await expect(cat, f"Order #{default.id} is completed")

    # Partial: 4 of 10 comments undelivered; both shops refund their buyer 40%.
    await sim_says(parent, ours_comments, "Partial", remains=4)
    partial = await expect(cat, f"Order #{comments.id} was partially completed")
    child_comments = await child.order(comments.id)
    assert child_comments.refunded == child_comments.price * Decimal("0.4")
    assert "Refunded" in partial.content
    ours_now = await parent.app.services.people.order(ours_comments.id)
    assert ours_now is not None and ours_now.refunded == ours_comments.price * Decimal("0.4")

    # A refill of the completed order: asked in the child, through here, to the simulator.
    refills = parent.sim.request_counts["refill"]
    await open_order(cat, default.id)
    await press(cat, "♻️ Refill")
    assert parent.sim.request_counts["refill"] == refills + 1
    parent.sim.set_refill(max(parent.sim.refills), "Completed")
    await parent.app.tracker.sync_refills()
    await expect(cat, f"The refill of order #{default.id} is completed")

    # A cancel of the drip-feed: through here to the simulator, refunded in both shops.
    await open_order(cat, drip.id)
    await press(cat, "✖️ Cancel order")
    await press(cat, "✅ Yes, cancel it")
    assert parent.sim.request_counts["cancel"] >= 1
    parent.sim.advance()  # the simulator acts on the request
    await parent.app.tracker.sync_once()
    await expect(cat, f"Order #{drip.id} was canceled as you asked")
    ours_drip_now = await parent.app.services.people.order(ours_drip.id)
    assert ours_drip_now is not None and ours_drip_now.stage is Stage.CANCELED
    assert ours_drip_now.refunded == ours_drip_now.price

    # Everything the child's customer was refunded came back to the child's balance too.
    async def settled() -> bool:
        orders = [await child.order(o.id) for o in (default, comments, drip)]
        return all(order.stage.is_final for order in orders)

    await eventually(settled, 30)

    # /panel add with this shop as a second panel (another reseller's key).
    other = await parent.customer(balance="5")
    user = await parent.app.services.people.person(other.user_id)
    assert user is not None
    second = await parent.app.services.resellers.create_key(user)
    assert isinstance(second, NewKey)
    await admin.send(f"/panel add upstream {api_url(parent)} {second.key}")
    added = await expect(admin, "added")
    assert "Panel upstream added" in added.content and "USD" in added.content
    listing = await ask(admin, "/panels")
    assert "upstream" in listing.content
