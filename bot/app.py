"""The one place that knows every part: builds storage, the panel client, the shop's services,
the Bot and Dispatcher; starts and stops the background tasks; runs long polling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot import texts
from bot.alerts import Alerts
from bot.broadcaster import BroadcastFollower
from bot.catalog import Catalog
from bot.config import Settings
from bot.console import Console
from bot.health import HealthMonitor
from bot.i18n import N_, make_i18n
from bot.logging_setup import setup_logging
from bot.notifier import Notifier
from bot.payments import Payments
from bot.products import Products
from bot.promos import Promos
from bot.referrals import Referrals
from bot.shop import Shop
from bot.telegram_retry import RetryAfterMiddleware
from bot.telegram_session import TelegramSession
from bot.tracker import Tracker
from handlers import (
    admin,
    balance,
    catalog,
    console,
    errors,
    language,
    ordering,
    orders,
    payments,
    payments_admin,
    products,
    start,
)
from handlers.inline_filters import run_sync_filters_inline
from handlers.middlewares import PersonMiddleware
from handlers.throttling import ThrottleMiddleware
from provider.client import PanelClient
from provider.errors import PanelError
from provider.simulator import PanelSimulator
from storage.catalog import CatalogRepository, SyncResult
from storage.conversations import SqliteStorage
from storage.db import Database
from storage.markup import MarkupRepository
from storage.notifications import NotificationRepository
from storage.products import ProductRepository
from storage.settings import SettingsRepository
from storage.users import UserRepository

logger = logging.getLogger(__name__)

SIMULATOR_KEY = "demo"
TELEGRAM_RETRY_MAX_SECONDS = 60.0
SHUTDOWN_GRACE_SECONDS = 15.0

# Descriptions are translated per language in set_commands (N_ only marks them for the catalogs).
USER_COMMANDS = [
    ("start", N_("Main menu")),
    ("services", N_("Browse and order services")),
    ("products", N_("Digital products")),
    ("orders", N_("My orders")),
    ("balance", N_("My balance")),
    ("topup", N_("Top up with Telegram Stars")),
    ("promo", N_("Redeem a promo code")),
    ("referral", N_("Invite friends, earn a share")),
    ("help", N_("How it works")),
    ("language", N_("Choose your language")),
    ("cancel", N_("Cancel the current step")),
]
# Order matters: the fallback sees only what every other router left.
ROUTERS = (
    errors.router,
    start.router,
    admin.router,
    console.router,
    payments_admin.router,  # /promo create|list|off before the user's /promo CODE
    payments.router,  # before every flow's steps: a successful payment must reach it
    catalog.router,
    products.router,
    orders.router,
    balance.router,
    language.router,
    ordering.router,
    start.fallback_router,
)

ADMIN_COMMANDS = [
    ("credit", "Credit a user's balance"),
    ("debit", "Debit a user's balance"),
    ("markup", "Show or set the markup"),
    ("provider", "Panel balance and health"),
    ("sync", "Refresh the catalog now"),
    ("order", "Full details of an order"),
    ("unconfirmed", "Orders waiting for a check"),
    ("resolve", "Settle an unconfirmed order"),
    ("stars_rate", "Show or set the Stars rate"),
    ("refund_stars", "Refund a Stars payment"),
    ("promo", "Promo codes: create, list, off"),
    ("admin", "Dashboard"),
    ("user", "A user's profile"),
    ("ban", "Ban a user"),
    ("unban", "Unban a user"),
    ("orders_of", "A user's orders"),
    ("refund", "Refund an order by hand"),
    ("hide", "Hide a service or category"),
    ("show", "Show a hidden service or category"),
    ("broadcast", "Message everyone"),
    ("alerts", "Panel balance alert level"),
    ("export", "CSV of orders, users or ledger"),
    ("backup", "A copy of the database"),
]


class Application:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_path)
        self.i18n = make_i18n()
        self.simulator: PanelSimulator | None = None
        self.bot = Bot(
            token=settings.bot_token.get_secret_value(),
            session=TelegramSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
        self.bot.session.middleware(RetryAfterMiddleware())
        self.conversations = SqliteStorage(self.db)
        self.dispatcher = Dispatcher(storage=self.conversations)
        self._tasks: list[asyncio.Task[None]] = []
        # Built in start(), once the database and the panel are reachable.
        self.panel: PanelClient
        self.catalog: Catalog
        self.shop: Shop
        self.tracker: Tracker
        self.notifier: Notifier
        self.products: Products
        self.payments: Payments
        self.promos: Promos
        self.referrals: Referrals
        self.alerts: Alerts
        self.console: Console
        self.health: HealthMonitor

    async def start(self) -> None:
        """Open storage and the panel, build the services and the dispatcher."""
        self.i18n.set_current(self.i18n)  # texts made outside an update need it too
        await self.db.connect()
        self.panel = await self._connect_panel()
        settings = self.settings
        outbox = NotificationRepository(self.db)
        users = UserRepository(self.db)
        self.catalog = Catalog(
            CatalogRepository(self.db),
            SettingsRepository(self.db),
            self.panel,
            settings.markup_percent,
            MarkupRepository(self.db),
        )
        self.alerts = Alerts(self.db, outbox, settings.admin_ids)
        self.shop = Shop(self.db, self.catalog, self.panel, outbox, self.alerts)
        self.tracker = Tracker(
            self.db,
            self.panel,
            self.shop,
            self.catalog,
            settings.status_poll_seconds,
            settings.stuck_order_hours,
        )
        self.products = Products(ProductRepository(self.db), self.catalog, self.panel, self.shop)
        self.notifier = Notifier(self.bot, outbox, users)
        self.console = Console(
            self.db, self.shop, self.catalog, self.panel, settings.stuck_order_hours
        )
        self.health = HealthMonitor(self.panel, self.alerts, SettingsRepository(self.db))
        self.payments = Payments(
            self.db,
            self.shop,
            self.catalog,
            SettingsRepository(self.db),
            self.bot,
            default_stars_per_unit=settings.stars_per_unit,
            referral_percent=settings.referral_percent,
        )
        self.promos = Promos(self.db, self.shop)
        self.referrals = Referrals(self.db, self.shop, settings.referral_percent)
        self._build_dispatcher(users)
        held = await self.shop.recover_interrupted()
        if held:
            logger.warning("%d orders were interrupted while being placed: held for admins", held)

    def _build_dispatcher(self, users: UserRepository) -> None:
        dp = self.dispatcher
        person = PersonMiddleware(users, self.i18n)
        throttle = ThrottleMiddleware()
        for observer in (dp.message, dp.callback_query):
            observer.outer_middleware(person)
            observer.middleware(throttle)  # after person: answers in the person's language
        dp.pre_checkout_query.outer_middleware(person)  # the person's language
        dp.include_routers(*ROUTERS)
        run_sync_filters_inline(dp)
        dp["app"] = self
        dp["shop"] = self.shop
        dp["catalog"] = self.catalog
        dp["products"] = self.products
        dp["console"] = self.console
        dp["health"] = self.health
        dp["tracker"] = self.tracker
        dp["panel"] = self.panel
        dp["support_contact"] = self.settings.support_contact.strip()
        dp["payments"] = self.payments
        dp["promos"] = self.promos
        dp["referrals"] = self.referrals

    async def _connect_panel(self) -> PanelClient:
        settings = self.settings
        if not settings.uses_simulator:
            return PanelClient(settings.provider_url, settings.provider_key)
        self.simulator = PanelSimulator(key=SIMULATOR_KEY)
        url = await self.simulator.start()
        logger.warning(
            "PROVIDER_URL is empty: using the built-in SIMULATED panel at %s. "
            "Orders are NOT real. Set PROVIDER_URL and PROVIDER_KEY to sell for real.",
            url,
        )
        return PanelClient(url, SIMULATOR_KEY)

    def spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        """Start a background task kept by reference, cancelled and awaited on stop."""
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    def start_background(self, *, catalog_sync: bool = True, tracker: bool = True) -> None:
        if catalog_sync:
            self.spawn(self._sync_catalog_forever(), "catalog-sync")
        if tracker:
            self.spawn(self.tracker.run(), "tracker")
            self.spawn(self.health.run(), "health")
        self.spawn(self.notifier.run(), "notifier")
        self.spawn(BroadcastFollower(self.bot, self.console).run(), "broadcast-progress")

    async def _sync_catalog_forever(self) -> None:
        while True:
            try:
                result = await self.catalog.sync()
                await self.products.sync()
                await self.report_catalog_changes(result)
            except PanelError as error:
                logger.warning("Catalog sync failed: %s", error)
            except Exception:
                logger.exception("Catalog sync crashed")
            await asyncio.sleep(self.settings.catalog_sync_minutes * 60)

    async def report_catalog_changes(self, result: SyncResult) -> None:
        """Admins hear when services disappear or rates rise (prices follow the new rates)."""
        text = texts.admin_catalog_changes(result)
        if text:
            async with self.db.transaction() as tx:
                await self.alerts.always(tx, text)

    async def set_commands(self) -> None:
        """The command menu for everyone, and for each admin their commands too."""
        everyone = [BotCommand(command=c, description=d) for c, d in USER_COMMANDS]
        with contextlib.suppress(TelegramAPIError):
            await self.bot.set_my_commands(everyone, scope=BotCommandScopeDefault())
        for code in self.i18n.available_locales:  # Telegram shows the app language's list
            if code != self.i18n.default_locale:
                translated = [
                    BotCommand(command=c, description=self.i18n.gettext(d, locale=code))
                    for c, d in USER_COMMANDS
                ]
                with contextlib.suppress(TelegramAPIError):
                    await self.bot.set_my_commands(
                        translated, scope=BotCommandScopeDefault(), language_code=code
                    )
        admins = everyone + [BotCommand(command=c, description=d) for c, d in ADMIN_COMMANDS]
        for admin_id in self.settings.admin_ids:
            try:
                await self.bot.set_my_commands(admins, scope=BotCommandScopeChat(chat_id=admin_id))
            except TelegramAPIError as error:  # e.g. the admin has not opened the bot yet
                logger.warning("Cannot set admin commands for %s: %s", admin_id, error.message)

    async def stop(self) -> None:
        # Let updates being handled finish (an order half-placed must reach the database);
        # aiogram keeps them in a private set and does not wait for them itself.
        in_flight = set(getattr(self.dispatcher, "_handle_update_tasks", ()))
        if in_flight:
            await asyncio.wait(in_flight, timeout=SHUTDOWN_GRACE_SECONDS)
        if self.db.connected:
            await self.conversations.close()  # the last second of typing, written
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if hasattr(self, "panel"):
            await self.panel.close()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.bot.session.close()
        await self.db.close()
        release_routers()

    async def wait_for_telegram(self) -> None:
        """Retry getMe until Telegram answers; a rejected token ends the program clearly."""
        delay = 1.0
        while True:
            try:
                me = await self.bot.get_me()
            except TelegramUnauthorizedError:
                raise SystemExit("Telegram rejected BOT_TOKEN: check it with @BotFather.") from None
            except (TelegramNetworkError, TelegramServerError) as error:
                logger.warning("Telegram is unreachable (%s); retrying in %.0fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, TELEGRAM_RETRY_MAX_SECONDS)
            else:
                logger.info("Connected to Telegram as @%s", me.username)
                return

    async def run_polling(self, *, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        if handle_signals:
            # Until polling installs its own graceful handlers, a stop signal cancels start-up.
            loop, current = asyncio.get_running_loop(), asyncio.current_task()
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                if current is not None:
                    loop.add_signal_handler(stop_signal, current.cancel)
        await self.start()
        try:
            await self.wait_for_telegram()
            await self.set_commands()
            settle_memory()
            self.start_background()
            await self.dispatcher.start_polling(
                self.bot,
                handle_signals=handle_signals,
                polling_timeout=polling_timeout,
                close_bot_session=False,
            )
        finally:
            await self.stop()


def settle_memory() -> None:
    """What start-up built lives as long as the bot: keep it out of every later garbage
    collection, whose full passes otherwise paused the bot for 100-300 ms."""
    gc.collect()
    gc.freeze()


def main(settings: Settings) -> None:
    secrets = [settings.bot_token.get_secret_value(), settings.provider_key.get_secret_value()]
    setup_logging(secrets)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(Application(settings).run_polling())
    logger.info("Stopped")


def release_routers() -> None:
    """Detach the module-level routers from this dispatcher so that another Application in the
    same process (the tests start one per test) can include them. aiogram has no public detach."""
    for router in ROUTERS:
        router._parent_router = None
