"""The composition root: the one place that knows every part.

`create_app(settings)` builds storage, the panel client, the shop's services, the Bot and a
Dispatcher with a fresh tree of routers, as an `async with` that always releases what it
acquired (also when building fails halfway). Production (bot/runner.py), the tests and the
benches all build the bot this way. Nothing below this package imports it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage

from bot.aiogram_patches import KeepResponseModels, TelegramSession, run_sync_filters_inline
from bot.broadcaster import BroadcastFollower
from bot.callback_sender import CallbackSender
from bot.commands import set_commands
from bot.config import Settings
from bot.demo import PaymentsDemo, demo_panels
from bot.healthz import HealthCheck, PanelView
from bot.in_flight import UpdatesInFlight
from bot.logging_setup import redact_too
from bot.menu_button import set_menu_button
from bot.metrics import Metrics, MetricsEndpoint, UpdateTimer
from bot.notifier import Notifier
from bot.payment_methods import create_topups
from bot.payment_screens import TelegramOfferScreens
from bot.payment_webhooks import add_payment_webhooks, log_webhook_paths
from bot.review_desk import ReviewDesk
from bot.telegram_retry import RetryAfterMiddleware
from bot.telegram_stars import TelegramStars
from bot.web import RouteRegistrar, WebServer, build_web_app
from bot.webhook import TelegramWebhook, delete_webhook, set_webhook, webhook_secret
from handlers import create_root_router
from handlers.middlewares import AnswerEveryButton, PersonMiddleware
from handlers.throttling import ThrottleMiddleware
from miniapp.front import Storefront
from miniapp.web import MiniApp
from provider.client import PanelClient
from reseller_api.server import ResellerApi
from shop.books import Books
from shop.catalog import Catalog
from shop.catalog_sync import CatalogSync
from shop.console import Console
from shop.credits import Credits
from shop.discounts import Discounts
from shop.health import HealthMonitor
from shop.order_requests import OrderRequests
from shop.ordering import Ordering
from shop.panels import Panels
from shop.payments import Payments
from shop.people import People
from shop.products import Products
from shop.promos import Promos
from shop.referrals import Referrals
from shop.resellers import AccessMode, Resellers
from shop.resolving import Resolutions
from shop.reversals import Reversals
from shop.services import Services
from shop.settlement import Settler
from shop.tracker import Tracker
from storage.catalog import CatalogRepository
from storage.conversations import SqliteStorage
from storage.db import Database
from storage.figures import FiguresReader
from storage.markup import MarkupRepository
from storage.panels import PanelRepository
from storage.products import ProductRepository
from storage.resellers import ResellerRepository
from storage.resolve_batches import ResolveBatchRepository
from storage.settings import SettingsRepository

logger = logging.getLogger(__name__)

TELEGRAM_RETRY_MAX_SECONDS = 60.0
# How long a stop lets the updates in hand finish; a stop as a whole stays under 5 s.
UPDATES_GRACE_SECONDS = 3.0
# In webhook mode Telegram counts an update delivered at our 200: it is ours to finish.
WEBHOOK_GRACE_SECONDS = 10.0


@dataclass
class App:
    """Everything one running bot holds. Built by `create_app`, released when it ends."""

    settings: Settings
    db: Database
    bot: Bot
    dispatcher: Dispatcher
    panel: PanelClient
    books: Books  # for the tests and benches that look inside; front doors get `services`
    services: Services
    notifier: Notifier
    in_flight: UpdatesInFlight
    metrics: Metrics
    webhook: TelegramWebhook | None = None  # in webhook mode
    web: WebServer | None = None  # in webhook mode, or when WEB_PORT is set
    callbacks: CallbackSender | None = None  # resellers' status callbacks (RESELLER_API on)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _tracker_started_at: float | None = None

    # The services by name, for the tests and benches that look inside.
    @property
    def catalog(self) -> Catalog:
        return self.services.catalog

    @property
    def products(self) -> Products:
        return self.services.products

    @property
    def tracker(self) -> Tracker:
        return self.services.tracker

    @property
    def console(self) -> Console:
        return self.services.console

    @property
    def health(self) -> HealthMonitor:
        return self.services.health

    @property
    def payments(self) -> Payments:
        return self.services.payments

    @property
    def promos(self) -> Promos:
        return self.services.promos

    # ---- background work ----------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Start a background task kept by reference, cancelled and awaited on stop."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    def start_background(self, *, catalog_sync: bool = True, tracker: bool = True) -> None:
        if catalog_sync:
            self.spawn(self.services.catalog_sync.run(), "catalog-sync")
        if tracker:
            self.start_tracker()
        self.spawn(self.notifier.run(), "notifier")
        self.spawn(BroadcastFollower(self.bot, self.console).run(), "broadcast-progress")
        desk = ReviewDesk(self.bot, self.services, self.settings.admin_ids)
        self.spawn(desk.run(), "payment-reviews")
        topups = self.services.topups
        if topups.crypto is not None:
            self.spawn(topups.crypto.run(), "crypto-pay-polling")
        if topups.expiry is not None and (topups.bank or topups.manual):
            self.spawn(topups.expiry.run(), "topup-request-expiry")
        if topups.reconciler is not None:
            self.spawn(topups.reconciler.run(), "sepay-reconciliation")
        if self.callbacks is not None:
            self.spawn(self.callbacks.run(), "reseller-callbacks")

    def start_tracker(self) -> None:
        """Order statuses and the panel's health, followed from now on."""
        self._tracker_started_at = time.time()
        self.spawn(self.tracker.run(), "tracker")
        self.spawn(self.health.run(), "health")

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # ---- what the health check reads ---------------------------------------------------------

    def panel_views(self) -> list[PanelView]:
        """Every panel that is on: a panel switched off is not expected to answer."""
        return [
            PanelView(p.name, p.client.record.last_answer_at, p.client.record.last_error)
            for p in self.catalog.panels.all()
            if p.record.enabled
        ]

    def tracker_age(self) -> float | None:
        if self._tracker_started_at is None:
            return None
        return time.time() - (self.tracker.last_cycle_at or self._tracker_started_at)

    # ---- Telegram -----------------------------------------------------------------------------

    async def set_commands(self) -> None:
        await set_commands(
            self.bot, self.settings.admin_ids, reseller_api=self.services.resellers.on
        )
        await set_menu_button(self.bot, self.settings.miniapp_url)

    async def serve(self) -> None:
        """Start the web server, if there is one (WEBHOOK_URL or WEB_PORT set)."""
        if self.web is not None:
            await self.web.start()

    async def receive_by_webhook(self, base_url: str | None = None) -> None:
        """Webhook mode: Telegram posts updates to the web server (started by `serve`), at
        WEBHOOK_URL or `base_url` (the tests': the port the system chose for WEB_PORT=0)."""
        assert self.webhook is not None
        url = base_url or self.settings.webhook_url
        await set_webhook(self.bot, self.dispatcher, url, self.webhook.secret)

    async def poll(self, *, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        """Long polling until stopped (a signal, or `dispatcher.stop_polling()`). A webhook
        left from webhook mode is deleted first: Telegram refuses getUpdates while one is set."""
        await delete_webhook(self.bot)
        await self.dispatcher.start_polling(
            self.bot,
            handle_signals=handle_signals,
            polling_timeout=polling_timeout,
            close_bot_session=False,
        )


# ---- building ------------------------------------------------------------------------------


@asynccontextmanager
async def create_app(settings: Settings) -> AsyncIterator[App]:
    """Build the bot. On the way out (in this order): the web server stops listening, the
    updates in hand finish (bounded), background tasks stop, conversations are written, the
    panel, Telegram session and database close. Whatever was acquired is released even when
    building fails."""
    async with AsyncExitStack() as stack:
        db = Database(settings.database_path)
        stack.push_async_callback(db.close)
        await db.connect()
        metrics = Metrics()
        bot = create_bot(settings, metrics)
        stack.push_async_callback(bot.session.close)
        panel = await connect_panel(settings, stack)
        # Every panel's calls are counted (metrics) and watched (/panels, /healthz).
        panels = Panels(PanelRepository(db), panel, on_client=metrics.watch_panel)
        stack.push_async_callback(panels.close)
        await panels.load()
        demo = PaymentsDemo() if settings.payments_demo else None
        if demo is not None:
            settings = await demo.settings(settings, stack)
        books = Books.open(db, settings.admin_ids)
        services = create_services(settings, books, panels, bot)
        stack.push_async_callback(services.topups.close)
        if demo is not None:
            await demo.serve(services, stack)
        log_webhook_paths(services, settings.payments_url)
        services.tracker.on_cycle = metrics.tracker_cycle
        conversations = SqliteStorage(db)
        stack.push_async_callback(conversations.close)  # the last second of typing, written
        in_flight = UpdatesInFlight()
        throttle = ThrottleMiddleware(settings.flood_burst, settings.flood_per_second)
        dispatcher = create_dispatcher(services, conversations, in_flight, throttle)
        dispatcher.update.outer_middleware(UpdateTimer(metrics.update_seconds))
        dispatcher["miniapp_url"] = settings.miniapp_url  # the /start menu's "Open shop"
        log_miniapp(settings)
        app = App(
            settings=settings,
            db=db,
            bot=bot,
            dispatcher=dispatcher,
            panel=panel,
            books=books,
            services=services,
            # The shop's own outbox: its `added` event is what wakes the notifier.
            notifier=Notifier(bot, books.outbox, books.users, on_outcome=metrics.notification),
            in_flight=in_flight,
            metrics=metrics,
        )
        if services.resellers.on:  # the same outbox carries resellers' callbacks
            app.callbacks = CallbackSender(
                books.outbox,
                services.resellers,
                allow_loopback=settings.reseller_callbacks_allow_loopback,
                on_outcome=metrics.callback,
            )
        stack.push_async_callback(app.stop_background)
        grace = WEBHOOK_GRACE_SECONDS if settings.uses_webhook else UPDATES_GRACE_SECONDS
        stack.push_async_callback(in_flight.finish, grace)
        if settings.uses_webhook:
            secret = await webhook_secret(settings, SettingsRepository(db))
            redact_too(secret)
            app.webhook = TelegramWebhook(dispatcher, bot, secret, in_flight)
        if settings.serves_web:
            app.web = create_web_server(app)
            stack.push_async_callback(app.web.stop)  # first of all: nothing new comes in
        held = await services.ordering.recover_interrupted()
        if held:
            logger.warning("%d orders were interrupted while being placed: held for admins", held)
        yield app


def create_web_server(app: App) -> WebServer:
    """/healthz, /metrics and, in webhook mode, the update path."""
    settings, outbox = app.settings, app.books.outbox
    health = HealthCheck(
        settings=SettingsRepository(app.db),
        outbox=outbox,
        panels=app.panel_views,
        routed_panels=app.catalog.routed_panels,
        payments=app.services.topups.health.views,
        tracker_age=app.tracker_age,
        tracker_late_seconds=max(3 * settings.status_poll_seconds, 300.0),
        mode="webhook" if settings.uses_webhook else "polling",
    )
    metrics = MetricsEndpoint(
        app.metrics,
        FiguresReader(settings.database_path),
        outbox,
        settings.metrics_token.get_secret_value(),
    )
    routes: list[RouteRegistrar] = [health.register, metrics.register]
    if app.webhook is not None:
        routes.append(app.webhook.mount)
    routes.append(partial(add_payment_webhooks, services=app.services))  # Crypto Pay, SePay
    if settings.miniapp_url:
        routes.append(create_miniapp(app).register)
    if app.services.resellers.on:  # the API v2 for resellers (RESELLER_API)
        api = ResellerApi(app.services, settings.reseller_api_rate, settings.reseller_api_burst)
        routes.append(api.register)
    return WebServer(build_web_app(routes), settings.web_host, settings.listen_port)


def create_miniapp(app: App) -> MiniApp:
    """The Mini App's page and API (miniapp/), on the shop's services."""
    front = Storefront(app.services)
    token = app.settings.bot_token.get_secret_value()
    return MiniApp(front, app.bot, token, app.settings.webapp_auth_max_age)


def log_miniapp(settings: Settings) -> None:
    reason = settings.miniapp_off_because
    if reason is None:
        logger.info("Mini App on at %s", settings.miniapp_url)
    else:
        logger.info("Mini App off: %s", reason)


def create_bot(settings: Settings, metrics: Metrics) -> Bot:
    bot = Bot(
        token=settings.bot_token.get_secret_value(),
        session=TelegramSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    bot.session.middleware(KeepResponseModels())
    bot.session.middleware(RetryAfterMiddleware(on_retry_after=metrics.too_many_requests))
    return bot


async def connect_panel(settings: Settings, stack: AsyncExitStack) -> PanelClient:
    """The main panel: the one in PROVIDER_URL, or the built-in simulator when it is empty. The
    simulator serves two more demo panels that admins can add with /panel add."""
    if not settings.uses_simulator:
        panel = PanelClient(settings.provider_url, settings.provider_key)
    else:
        panel = PanelClient(*await demo_panels(stack))
    stack.push_async_callback(panel.close)
    return panel


def create_services(settings: Settings, books: Books, panels: Panels, bot: Bot) -> Services:
    """The shop's services, wired to one set of books and the panels."""
    db = books.db
    stored_settings = SettingsRepository(db)
    catalog = Catalog(
        CatalogRepository(db),
        stored_settings,
        panels,
        settings.markup_percent,
        MarkupRepository(db),
    )
    people = People(books, settings.admin_ids)
    resellers = ResellerRepository(db)
    discounts = Discounts(resellers)
    ordering = Ordering(books, catalog, panels, discounts)
    panel = panels.main.client
    products = Products(ProductRepository(db), catalog, ordering, books)
    return Services(
        people=people,
        ordering=ordering,
        order_requests=OrderRequests(books, panels),
        catalog=catalog,
        catalog_sync=CatalogSync(catalog, products, books.alerts, settings.catalog_sync_minutes),
        products=products,
        tracker=Tracker(
            books, panels, catalog, settings.status_poll_seconds, settings.stuck_order_hours
        ),
        console=Console(books, people, catalog, panel, settings.stuck_order_hours),
        credits=Credits(books, catalog),
        health=HealthMonitor(panels, books.alerts, stored_settings),
        payments=Payments(
            books,
            catalog,
            stored_settings,
            TelegramStars(bot),
            default_stars_per_unit=settings.stars_per_unit,
            referral_percent=settings.referral_percent,
        ),
        promos=Promos(books),
        referrals=Referrals(books, settings.referral_percent),
        resolutions=Resolutions(Settler(books), people, catalog, ResolveBatchRepository(db)),
        resellers=Resellers(
            resellers,
            books,
            discounts,
            AccessMode(settings.reseller_api),
            settings.public_url or settings.webhook_url,
            allow_loopback=settings.reseller_callbacks_allow_loopback,
            one_order_per_link=settings.reseller_one_order_per_link,
        ),
        support_contact=settings.support_contact.strip(),
        topups=create_topups(settings, books, catalog, stored_settings, TelegramOfferScreens(bot)),
        reversals=Reversals(books, catalog),
    )


def create_dispatcher(
    services: Services,
    storage: BaseStorage,
    in_flight: UpdatesInFlight,
    throttle: ThrottleMiddleware,
) -> Dispatcher:
    """A Dispatcher with a fresh tree of routers (handlers/__init__.py): two in one process
    never share one."""
    dispatcher = Dispatcher(storage=storage)
    dispatcher.update.outer_middleware(in_flight)
    person = PersonMiddleware(services.people, services.referrals)
    for observer in (dispatcher.message, dispatcher.callback_query):
        observer.outer_middleware(person)
        observer.middleware(throttle)  # after person: answers in the person's language
    dispatcher.callback_query.middleware(AnswerEveryButton())  # inside throttle: one answer
    dispatcher.pre_checkout_query.outer_middleware(person)  # the person's language
    dispatcher.include_router(create_root_router())
    run_sync_filters_inline(dispatcher)
    dispatcher["services"] = services
    return dispatcher
