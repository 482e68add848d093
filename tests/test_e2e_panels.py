"""A shop buying from several panels, over real HTTP to three simulators: adding a panel (its key
deleted and masked), importing and routing services, failing over on each clear refusal and never
on an unclear answer, cheapest routing across currencies, following orders on two panels."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from provider.models import Balance
from shop.checkout import Held, Placed, PlaceResult, PriceChanged, Refused
from shop.products import ProductDraft
from shop.service_drafts import OrderDraft
from simulators.panel import PANEL_PRESETS, make_panel
from storage.catalog import CatalogEntry
from storage.orders import OrderKind, OrderRecord, Stage
from tests.fake_telegram import Person
from tests.harness import ShopBot, World, running_bot, text_of
from tests.test_e2e_products import open_product

pytestmark = pytest.mark.asyncio(loop_scope="module")
BACKUP_KEY = PANEL_PRESETS["backup"].key  # "demo-backup": masked as "dem…kup"
VND_KEY = PANEL_PRESETS["vnd"].key


class Farm:
    """The two panels besides the main one, shared by the module's tests."""

    def __init__(self) -> None:
        self.backup = make_panel("backup", tick_seconds=None, fault_delay_seconds=1.0)
        self.vnd = make_panel("vnd", tick_seconds=None, fault_delay_seconds=1.0)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def farm() -> AsyncIterator[Farm]:
    panels = Farm()
    await panels.backup.start()
    await panels.vnd.start()
    try:
        yield panels
    finally:
        await panels.backup.stop()
        await panels.vnd.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def shop(shared_world: World, farm: Farm, tmp_path: Path) -> AsyncIterator[ShopBot]:
    for sim in (shared_world.sim, farm.backup, farm.vnd):
        sim.clear_faults()
    async with running_bot(shared_world, tmp_path) as bot:
        yield bot
    for sim, preset in ((shared_world.sim, "main"), (farm.backup, "backup"), (farm.vnd, "vnd")):
        sim.set_balance(PANEL_PRESETS[preset].balance)
    shared_world.sim.set_service_enabled(1, True)


async def with_backup(shop: ShopBot, farm: Farm, routes: str = "main:1 backup:101") -> None:
    """Panel backup added and service 1 (Youtube views) routed as `routes`."""
    await shop.app.catalog.add_panel("backup", farm.backup.url, BACKUP_KEY)
    reply = await shop.ask(shop.admin, f"/route 1 {routes}")
    assert reply.content.startswith("✅"), reply.content


async def place(
    shop: ShopBot, quantity: int = 1000, service_id: int = 1, balance: str = "10"
) -> tuple[Person, PlaceResult | PriceChanged]:
    person = await shop.customer(balance=balance)
    user = await shop.app.services.people.person(person.user_id)
    assert user is not None
    draft = OrderDraft(
        service_id=service_id, link=f"https://youtu.be/{person.user_id}", quantity=quantity
    )
    return person, await shop.app.services.ordering.place(user, draft)


# ---- adding panels --------------------------------------------------------------------------


async def test_adding_a_panel_checks_it_deletes_the_key_message_and_masks_the_key(
    shop: ShopBot, farm: Farm
) -> None:
    sent = await shop.admin.send(f"/panel add backup {farm.backup.url} {BACKUP_KEY}")
    reply = await shop.expect(shop.admin, "Panel backup added")
    assert "deleted your message" in reply.content
    assert "dem…kup" in reply.content and BACKUP_KEY not in reply.content
    assert "500.00 USD" in reply.content and "17 services" in reply.content
    assert "/import backup" in reply.content
    deletions = [c for c in shop.fake.calls if c.method.lower() == "deletemessage"]
    assert any(c.params.get("message_id") == sent for c in deletions)
    listing = await shop.ask(shop.admin, "/panels")
    assert "backup" in listing.content and "dem…kup" in listing.content
    assert BACKUP_KEY not in listing.content and "picked" in listing.content
    # Picked: nothing of it is sold until imported.
    found = await shop.app.catalog.search("Backup Server", 0)
    assert found.total == 0


async def test_a_panel_that_does_not_answer_as_a_panel_is_not_added(
    shop: ShopBot, farm: Farm
) -> None:
    await shop.admin.send(f"/panel add spare {farm.backup.url} wrong-key-123456")
    reply = await shop.expect(shop.admin, "❌")
    assert "Invalid API key" in reply.content and "wrong-key-123456" not in reply.content
    assert shop.app.catalog.panels.get("spare") is None
    for bad in ("/panel add", "/panel add x", "/panel frobnicate", "/panel rate backup"):
        answer = await shop.ask(shop.admin, bad)
        assert "/panel add NAME URL KEY" in answer.content


async def test_import_rename_describe_and_hiding_when_the_only_route_goes(
    shop: ShopBot, farm: Farm
) -> None:
    await shop.app.catalog.add_panel("backup", farm.backup.url, BACKUP_KEY)
    reply = await shop.ask(shop.admin, "/import backup 107,109-110 Backup deals")
    assert "Imported 3 services" in reply.content
    new_id = int(re.search(r"backup:107 → (\d+)", reply.content).group(1))  # type: ignore[union-attr]
    again = await shop.ask(shop.admin, "/import backup 107,999")
    assert f"backup:107 (service {new_id})" in again.content and "999" in again.content
    category = await shop.app.catalog.category_by_name("Backup deals")
    assert category is not None and category.service_count == 3

    await shop.ask(shop.admin, f"/rename {new_id} Insta Likes Express")
    await shop.ask(shop.admin, f"/describe {new_id} Fast likes, no password needed.")
    ann = await shop.customer(balance="5")
    found = await shop.ask(ann, "insta express")
    assert found.find_button("Insta Likes Express", "contains"), found.content
    query = await ann.click("Insta Likes Express", match="contains")
    card = await ann.wait_reply()
    await ann.wait_answer(query)
    assert "Fast likes, no password needed." in text_of(card)
    assert "0.325 USD per 1,000" in text_of(card)  # 0.25 + 30 %

    farm.backup.set_service_enabled(107, False)
    try:
        await shop.app.catalog.sync()
        service = await shop.app.catalog.service(new_id)
        assert service is not None and not service.active  # hidden, not deleted
        assert await shop.app.catalog.offer(new_id) is None
    finally:
        farm.backup.set_service_enabled(107, True)
    await shop.app.catalog.sync()
    assert await shop.app.catalog.offer(new_id) is not None


# ---- failing over -----------------------------------------------------------------------------


def placed_on(result: object, panel: str) -> OrderRecord:
    assert isinstance(result, Placed), result
    assert result.order.panel == panel and result.order.stage is Stage.PENDING
    return result.order


async def test_a_disabled_service_fails_over_within_the_same_confirm(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm)
    main_adds, backup_adds = len(shop.sim.added), len(farm.backup.added)
    shop.sim.set_service_enabled(1, False)
    person, result = await place(shop)
    order = placed_on(result, "backup")
    assert order.panel_service_id == 101 and order.price == Decimal("3.25")
    assert len(shop.sim.added) == main_adds and len(farm.backup.added) == backup_adds + 1
    assert farm.backup.added[-1]["service"] == "101"
    assert await shop.balance(person) == Decimal("6.75")  # charged once


async def test_a_panel_out_of_funds_fails_over(shop: ShopBot, farm: Farm) -> None:
    await with_backup(shop, farm)
    shop.sim.set_balance(0)
    _, result = await place(shop)
    placed_on(result, "backup")


async def test_a_quantity_the_panel_refuses_fails_over(shop: ShopBot, farm: Farm) -> None:
    await with_backup(shop, farm)
    # Our copy of main's list says 150 is allowed; the panel itself refuses under 200.
    stale = CatalogEntry(1, "Youtube views", "Default", "Youtube", Decimal("2.5"), 150, 10_000)
    await shop.app.catalog._repository.sync_panels(
        {"main": [stale]}, await shop.app.catalog.terms()
    )
    adds = len(farm.backup.added)
    _, result = await place(shop, quantity=150)
    placed_on(result, "backup")
    assert farm.backup.added[adds]["quantity"] == "150"


async def test_a_panel_switched_off_or_short_by_our_own_check_is_not_asked(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm)
    asked = shop.sim.request_counts["add"]
    await shop.app.catalog.panels.record_balance("main", Balance(balance=Decimal("0.5")))
    _, result = await place(shop)
    placed_on(result, "backup")
    reply = await shop.ask(shop.admin, "/panel off main")
    assert "main is off" in reply.content
    _, result = await place(shop)
    placed_on(result, "backup")
    assert shop.sim.request_counts["add"] == asked


@pytest.mark.parametrize("fault", ["http500", "html", "drop", "truncated"])
async def test_an_unclear_answer_is_never_sent_to_a_second_panel(
    shop: ShopBot, farm: Farm, fault: str
) -> None:
    await with_backup(shop, farm)
    backup_adds = len(farm.backup.added)
    shop.sim.inject_fault(fault)
    person, result = await place(shop)
    assert isinstance(result, Held)
    assert result.order.stage is Stage.UNCONFIRMED and result.order.panel == "main"
    assert len(farm.backup.added) == backup_adds
    assert await shop.balance(person) == Decimal("6.75")  # held, not refunded
    alert = await shop.expect(shop.admin, "unconfirmed")
    assert "on panel main" in alert.content


async def test_a_route_dearer_than_the_charge_is_skipped_and_admins_told(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm, routes="main:1 backup:103")  # 31.5 per 1000: above 3.25
    shop.sim.set_service_enabled(1, False)
    adds = len(farm.backup.added)
    person, result = await place(shop)
    assert isinstance(result, Refused) and result.service_unavailable
    assert len(farm.backup.added) == adds
    assert await shop.balance(person) == Decimal(10)  # refunded at once
    alert = await shop.expect(shop.admin, "No panel took order")
    assert "main:1 refused: Incorrect service ID" in alert.content
    assert "backup:103 skipped, costs 31.5" in alert.content


async def test_the_customer_sees_one_order_and_never_a_supplier(shop: ShopBot, farm: Farm) -> None:
    await with_backup(shop, farm)
    shop.sim.set_service_enabled(1, False)
    ann = await shop.customer(balance="10")
    await shop.open_service(ann, "Youtube (", "Youtube views")
    await shop.press(ann, "🛒 Order")
    await shop.ask(ann, "youtu.be/failover-demo")
    confirm = await shop.ask(ann, "1000")
    assert "3.25 USD" in text_of(confirm)
    await ann.click("✅ Confirm")
    result = await shop.fake.wait_for(
        lambda: ann.last_message if "#" in text_of(ann.last_message) else None, 10
    )
    assert "placed" in text_of(result)
    orders = await shop.ask(ann, "/orders")
    shown = text_of(orders) + " ".join(str(b) for b in orders.buttons)
    assert "backup" not in shown.lower() and "main" not in shown.lower()
    assert len(await shop.app.services.people.recent_orders(ann.user_id, 10)) == 1


# ---- routing across currencies ----------------------------------------------------------------


async def test_cheapest_routing_converts_rates_and_skips_what_is_off(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm)
    unknown = await shop.ask(shop.admin, "/route 1 main:1 vnd:1")
    assert "There is no panel 'vnd'" in unknown.content
    await shop.admin.send(f"/panel add vnd {farm.vnd.url} {VND_KEY}")
    added = await shop.expect(shop.admin, "Panel vnd added")
    assert "/panel rate vnd" in added.content  # VND in a USD shop: not sold without a rate
    routes = await shop.ask(shop.admin, "/route 1 main:1 backup:101 vnd:1")
    assert "no rate" in routes.content
    cheapest = await shop.ask(shop.admin, "/route 1 cheapest")
    assert "cheapest first" in cheapest.content
    offer = await shop.app.catalog.offer(1)
    assert offer is not None and offer.routes[0].panel == "backup"  # 1.05 < 2.5; vnd unpriced

    await shop.ask(shop.admin, "/panel rate vnd 0.00004")  # 25,000 VND = 1.00 USD per 1000
    offer = await shop.app.catalog.offer(1)
    assert offer is not None and [r.panel for r in offer.routes] == ["vnd", "backup", "main"]
    assert offer.unit_price == Decimal("1.3")
    _, result = await place(shop)
    order = placed_on(result, "vnd")
    assert order.price == Decimal("1.3") and farm.vnd.added[-1]["service"] == "1"

    await shop.ask(shop.admin, "/panel off vnd")
    offer = await shop.app.catalog.offer(1)
    assert offer is not None and offer.routes[0].panel == "backup"
    assert offer.unit_price == Decimal("1.365")


async def test_a_list_prices_each_service_as_its_card_does(shop: ShopBot, farm: Farm) -> None:
    """Catalog.offers (a page read at once, the Mini App's lists) equals Catalog.offer for each
    service, whatever its routes: several panels, cheapest first, a rate, a panel off."""
    catalog = shop.app.catalog
    await with_backup(shop, farm)
    await shop.admin.send(f"/panel add vnd {farm.vnd.url} {VND_KEY}")
    await shop.expect(shop.admin, "Panel vnd added")
    await shop.ask(shop.admin, "/route 1 main:1 backup:101 vnd:1")
    await shop.ask(shop.admin, "/route 1 cheapest")
    await shop.ask(shop.admin, "/route 4 backup:102 main:4")
    for step in ("/panel rate vnd 0.00004", "/panel off vnd", "/panel off backup"):
        await shop.ask(shop.admin, step)
        listed = []
        for page in range(await catalog.count_services() // 8 + 1):
            categories = await catalog.categories(page)
            for category in categories.items:
                listed += (await catalog.services(category, 0, 100)).items
        offers = await catalog.offers(listed)
        assert len(offers) > 30 and 1 in offers and 4 in offers
        for service in listed:
            assert offers.get(service.id) == await catalog.offer(service.id), (step, service.id)


# ---- following orders on two panels -------------------------------------------------------------


async def test_orders_on_two_panels_are_followed_and_refilled_where_they_are(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm)
    main_person, on_main = await place(shop)
    main_order = placed_on(on_main, "main")
    await shop.ask(shop.admin, "/route 1 backup:101")
    backup_person, on_backup = await place(shop)
    backup_order = placed_on(on_backup, "backup")
    assert main_order.panel_order_id is not None and backup_order.panel_order_id is not None

    shop.sim.set_order(main_order.panel_order_id, "Partial", remains=400)
    farm.backup.set_order(backup_order.panel_order_id, "Completed", remains=0)
    await shop.app.tracker.sync_once()
    main_now = await shop.app.services.people.order(main_order.id)
    backup_now = await shop.app.services.people.order(backup_order.id)
    assert main_now is not None and main_now.stage is Stage.PARTIAL
    assert main_now.refunded == Decimal("1.3")  # 400 of 1000 undelivered
    assert backup_now is not None and backup_now.stage is Stage.COMPLETED
    assert await shop.balance(main_person) == Decimal("8.05")

    refills = farm.backup.request_counts["refill"], shop.sim.request_counts["refill"]
    requested = await shop.app.services.order_requests.request_refill(backup_now)
    assert farm.backup.request_counts["refill"] == refills[0] + 1
    assert shop.sim.request_counts["refill"] == refills[1]
    farm.backup.set_refill(requested.panel_refill_id, "Completed")  # type: ignore[union-attr]
    assert await shop.app.tracker.sync_refills() == 1
    await shop.expect(backup_person, "refill")


async def test_a_panel_holding_open_orders_is_not_removed(shop: ShopBot, farm: Farm) -> None:
    await with_backup(shop, farm, routes="backup:101")
    _, result = await place(shop)
    placed_on(result, "backup")
    refused = await shop.ask(shop.admin, "/panel remove backup")
    assert "still holds 1 open orders" in refused.content
    assert shop.app.catalog.panels.get("backup") is not None
    main = await shop.ask(shop.admin, "/panel remove main")
    assert "PROVIDER_URL" in main.content


async def test_a_failing_panel_does_not_stop_the_others_sync(shop: ShopBot, farm: Farm) -> None:
    await with_backup(shop, farm)
    farm.backup.inject_fault("http500", count=3)
    await shop.admin.send("/sync")
    reply = await shop.fake.wait_for(
        lambda: (
            shop.admin.last_message if "Catalog synced" in shop.admin.last_message.content else None
        )
    )
    assert "Catalog synced (main)" in reply.content
    assert "Sync of panel backup failed" in reply.content


async def test_balance_alerts_per_panel(shop: ShopBot, farm: Farm) -> None:
    await shop.app.catalog.add_panel("backup", farm.backup.url, BACKUP_KEY)
    reply = await shop.ask(shop.admin, "/alerts balance backup 1000")
    assert "backup" in reply.content and "1,000.00 USD" in reply.content
    await shop.app.health.check()
    alert = await shop.expect(shop.admin, "Panel backup balance")
    assert "500.00 USD" in alert.content
    listing = await shop.ask(shop.admin, "/alerts")
    assert "backup: 1,000.00 USD" in listing.content and "main: off" in listing.content


# ---- the dashboard counts every panel's cost ------------------------------------------------------


async def test_a_removed_panels_past_charges_stay_on_the_dashboard(
    shop: ShopBot, farm: Farm
) -> None:
    await shop.admin.send(f"/panel add vnd {farm.vnd.url} {VND_KEY}")
    await shop.expect(shop.admin, "Panel vnd added")
    await shop.ask(shop.admin, "/panel rate vnd 0.00004")
    await shop.ask(shop.admin, "/route 1 vnd:1")
    _, result = await place(shop)  # 1,000 views: 1.30 USD, 25,000 VND = 1.00 USD charged
    order = placed_on(result, "vnd")
    farm.vnd.set_order(order.panel_order_id or 0, "Completed", remains=0)
    await shop.app.tracker.sync_once()
    before = (await shop.ask(shop.admin, "/admin")).content
    assert before.count("panel cost 1.00 USD · margin 0.30 USD") == 2  # today and 7 days

    removed = await shop.ask(shop.admin, "/panel remove vnd")
    assert "removed" in removed.content
    after = (await shop.ask(shop.admin, "/admin")).content
    assert after.count("panel cost 1.00 USD · margin 0.30 USD") == 2
    assert "not converted" not in after


async def test_a_panel_without_a_rate_is_counted_apart_in_its_own_currency(
    shop: ShopBot, farm: Farm
) -> None:
    await with_backup(shop, farm, routes="backup:101")
    _, result = await place(shop)  # 1,000 at 1.05 per 1000 on backup: 1.05 charged
    order = placed_on(result, "backup")
    farm.backup.set_order(order.panel_order_id or 0, "Completed", remains=0)
    await shop.app.tracker.sync_once()
    # The panel now keeps its books in euros (its balance answer says so), and has no rate.
    await shop.app.catalog.panels.record_balance(
        "backup", Balance(balance=Decimal("500"), currency="EUR")
    )
    board = (await shop.ask(shop.admin, "/admin")).content
    assert board.count("panel cost 0.00 USD") == 2
    assert board.count("Panel cost not converted (no rate): 1.05 EUR, panel backup") == 2


# ---- products from any panel ------------------------------------------------------------------


async def test_a_product_of_another_panel_is_imported_bought_and_followed_there(
    shop: ShopBot, farm: Farm
) -> None:
    await shop.admin.send(f"/panel add vnd {farm.vnd.url} {VND_KEY}")
    await shop.expect(shop.admin, "Panel vnd added")
    reply = await shop.ask(shop.admin, "/import product vnd 1 Streaming")
    assert "Imported 1 product: vnd:1 → 4" in reply.content  # the main panel's are 1-3
    assert "/panel rate vnd" in reply.content  # VND in a USD shop: not sold without a rate
    await shop.ask(shop.admin, "/panel rate vnd 0.00004")  # 65,000 VND = 2.60 USD
    routes = await shop.ask(shop.admin, "/route product 4")
    assert "1. vnd:1 — 65,000 VND = 2.60 USD each" in routes.content

    ann = await shop.customer(balance="20")
    card = await open_product(shop, ann, "Streaming (", "Netflix Premium 1 tháng")
    assert "3.38 USD each" in card.content  # 2.60 + 30 %
    await shop.press(ann, "🛒 Buy")
    await shop.ask(ann, "1")
    await shop.ask(ann, "ann@example.vn")
    await ann.click("✅ Confirm")
    await shop.expect(ann, "placed")
    [order] = await shop.app.books.orders.for_user(ann.user_id)
    assert (order.kind, order.panel, order.panel_service_id) == (OrderKind.PRODUCT, "vnd", 1)
    assert order.panel_order_id is not None
    assert farm.vnd.product_orders[order.panel_order_id].require == "ann@example.vn"
    assert await shop.balance(ann) == Decimal("16.62")

    asked_main = shop.sim.request_counts["product_order_status"]
    farm.vnd.set_product_order(order.panel_order_id, status="Completed", result="VN-KEY-1")
    report = await shop.app.tracker.sync_products_once()
    assert report.finished == 1
    delivered = await shop.expect(ann, "delivered")
    assert "VN-KEY-1" in delivered.content
    assert shop.sim.request_counts["product_order_status"] == asked_main  # asked of vnd only


async def test_a_product_routed_to_another_panel_first_falls_back_when_out_of_stock(
    shop: ShopBot, farm: Farm
) -> None:
    await shop.admin.send(f"/panel add vnd {farm.vnd.url} {VND_KEY}")
    await shop.expect(shop.admin, "Panel vnd added")
    await shop.ask(shop.admin, "/panel rate vnd 0.00004")
    routes = await shop.ask(shop.admin, "/route product 1 vnd:1 main:1")
    assert routes.content.startswith("✅") and "2. main:1 — 2.50 USD each" in routes.content
    unknown = await shop.ask(shop.admin, "/route product 1 vnd:99")
    assert "Not in the panels' product lists" in unknown.content
    person = await shop.customer(balance="20")
    user = await shop.app.services.people.person(person.user_id)
    assert user is not None

    draft = ProductDraft(product_id=1, quantity=1, require="bo@example.vn")
    placed = await shop.app.products.place(user, draft)
    assert isinstance(placed, Placed) and placed.order.panel == "vnd"
    assert placed.order.price == Decimal("3.38")  # the route's price, not main's 3.25

    farm.vnd.set_product_stock(1, 0)  # sold out on vnd: main still has stock
    try:
        await shop.app.products.sync()
        draft = ProductDraft(product_id=1, quantity=1, require="bo2@example.vn")
        placed = await shop.app.products.place(user, draft)
    finally:
        farm.vnd.set_product_stock(1, 12)
    assert isinstance(placed, Placed) and placed.order.panel == "main"
    assert placed.order.price == Decimal("3.25")
