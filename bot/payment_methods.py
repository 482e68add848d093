"""Wiring of the top-up methods beyond Stars (issue 17): each is built when its settings are
set, on the same books and referral shares as everything else."""

from __future__ import annotations

from bot.config import Settings
from shop.bank_topups import BankAccount, BankTopUps
from shop.books import Books
from shop.catalog import Catalog
from shop.crypto_topups import CryptoTopUps
from shop.manual_topups import ManualTopUps
from shop.method_health import MethodHealth, WatchedCryptoPay
from shop.referrals import ReferralShares
from shop.topup_methods import TopUpMethods
from shop.topups import Crediting, Limits, PayRates, Reviews
from storage.payments import PaymentRepository
from storage.settings import SettingsRepository

# With a public URL, webhooks tell of payments: polling is then only a safety net.
WEBHOOK_SAFETY_POLL_SECONDS = 300.0


def create_topups(
    settings: Settings,
    books: Books,
    catalog: Catalog,
    stored_settings: SettingsRepository,
) -> TopUpMethods:
    repo = PaymentRepository(books.db)
    rates = PayRates(stored_settings)
    reviews = Reviews(repo)
    crediting = Crediting(books, ReferralShares(books, settings.referral_percent), repo)
    presets = settings.topup_presets
    crypto = bank = manual = None
    health = MethodHealth()  # how the calls of the methods that call out went (/healthz)
    if settings.crypto_pay_on:
        poll = settings.crypto_pay_poll_seconds
        if settings.payments_url:
            poll = max(poll, WEBHOOK_SAFETY_POLL_SECONDS)
        crypto = CryptoTopUps(
            books,
            catalog,
            WatchedCryptoPay(
                settings.crypto_pay_url,
                settings.crypto_pay_token.get_secret_value(),
                calls=health.record("crypto"),
            ),
            rates,
            crediting,
            repo,
            assets=settings.crypto_pay_assets,
            limits=Limits(settings.crypto_pay_min, settings.crypto_pay_max, presets),
            expires_minutes=settings.crypto_pay_expires_minutes,
            poll_seconds=poll,
        )
    if settings.bank_on:
        bank = BankTopUps(
            books,
            catalog,
            rates,
            crediting,
            reviews,
            repo,
            account=BankAccount(
                settings.bank_bin, settings.bank_account, settings.bank_account_name.strip()
            ),
            api_key=settings.sepay_api_key.get_secret_value().strip(),
            limits=Limits(settings.bank_min, settings.bank_max, presets),
            overpay_review_multiple=settings.bank_overpay_review_multiple,
        )
    if settings.manual_payment_on:
        manual = ManualTopUps(
            books,
            catalog,
            crediting,
            reviews,
            repo,
            instructions=settings.manual_payment_text.strip(),
            limits=Limits(settings.manual_payment_min, settings.manual_payment_max, presets),
        )
    return TopUpMethods(
        crypto=crypto,
        bank=bank,
        manual=manual,
        rates=rates,
        reviews=reviews,
        repo=repo,
        catalog=catalog,
        alerts=books.alerts,
        health=health,
    )
