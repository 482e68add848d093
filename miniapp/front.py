"""The one place the Mini App calls the shop: the same services the chat calls (handlers/,
shop/services.py), so an order, a refill, a cancel or a top-up from here follows the chat's
rules to the letter. When the shop's services are renamed or split, this is the file that
follows."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal

from miniapp.auth import Visitor
from provider.errors import PanelError
from shop.cancels import CancelResult
from shop.catalog import BadQuery, Offer, Page
from shop.checkout import OutOfStock, PlaceResult, PriceChanged
from shop.crypto_topups import NotOpened, Opened
from shop.i18n import supported_language
from shop.manual_topups import ProofNotTaken, ProofTaken
from shop.order_requests import RefillResult
from shop.payments import TopUpOption
from shop.products import ProductDraft, ProductOffer, ProductQuote
from shop.resellers import Access, NewKey
from shop.service_drafts import OrderDraft, Quote
from shop.services import Services
from shop.topups import Limits
from storage.catalog import Category, ServiceRecord
from storage.ledger import LedgerEntry
from storage.orders import OrderRecord
from storage.payments import Method, Payment
from storage.products import ProductRecord
from storage.refills import RefillRecord
from storage.resellers import ResellerRecord
from storage.topups import TopUp
from storage.users import User

LAST_SEEN_REFRESH_SECONDS = 3600  # as the chat's PersonMiddleware

__all__ = ["BadQuery", "PanelError", "Storefront"]


@dataclass(frozen=True, slots=True)
class Storefront:
    services: Services

    # ---- the person ---------------------------------------------------------------------------

    async def person(self, visitor: Visitor) -> User:
        """The person as the chat knows them; one who never wrote to the bot is registered in
        the language Telegram gives (they choose another in the chat with /language)."""
        person = await self.services.people.person(visitor.user_id)
        if (
            person is not None
            and person.full_name == visitor.full_name
            and person.username == visitor.username
            and time.time() - person.last_seen_at < LAST_SEEN_REFRESH_SECONDS
        ):
            return person
        language = person.language if person else supported_language(visitor.language_code)
        return await self.services.people.register_person(
            visitor.user_id, visitor.full_name, visitor.username, language
        )

    async def balance(self, user_id: int) -> Decimal:
        return await self.services.people.balance(user_id)

    async def movements(self, user_id: int, limit: int) -> list[LedgerEntry]:
        return await self.services.people.history(user_id, limit)

    async def currency(self) -> str:
        return await self.services.catalog.currency()

    # ---- the catalog --------------------------------------------------------------------------

    async def categories(self, page: int, size: int) -> Page[Category]:
        return await self.services.catalog.categories(page, size)

    async def category(self, category_id: int) -> Category | None:
        return await self.services.catalog.category(category_id)

    async def services_in(self, category: Category, page: int, size: int) -> Page[ServiceRecord]:
        return await self.services.catalog.services(category, page, size)

    async def search(self, query: str, page: int, size: int) -> Page[ServiceRecord]:
        """Raises BadQuery."""
        return await self.services.catalog.search(query, page, size)

    async def offer(self, service_id: int) -> Offer | None:
        return await self.services.catalog.offer(service_id)

    async def offers(self, services: list[ServiceRecord]) -> dict[int, Offer]:
        """A list's offers in one read (those sold now)."""
        return await self.services.catalog.offers(services)

    async def quote(self, user_id: int, draft: OrderDraft) -> Quote | None:
        return await self.services.ordering.quote(user_id, draft)

    async def place(self, person: User, draft: OrderDraft) -> PlaceResult | PriceChanged:
        return await self.services.ordering.place(person, draft)

    # ---- products -----------------------------------------------------------------------------

    async def product_categories(self, page: int, size: int) -> Page[Category]:
        return await self.services.products.categories(page, size)

    async def product_category(self, category_id: int) -> Category | None:
        return await self.services.products.category(category_id)

    async def products_in(self, category: Category, page: int, size: int) -> Page[ProductRecord]:
        return await self.services.products.products(category, page, size)

    async def product_offer(self, product_id: int) -> ProductOffer | None:
        return await self.services.products.offer(product_id)

    async def product_quote(self, user_id: int, draft: ProductDraft) -> ProductQuote | None:
        return await self.services.products.quote(user_id, draft)

    async def place_product(
        self, person: User, draft: ProductDraft
    ) -> PlaceResult | OutOfStock | PriceChanged:
        return await self.services.products.place(person, draft)

    # ---- orders -------------------------------------------------------------------------------

    def draft_lock(self, draft_key: str) -> asyncio.Lock:
        return self.services.ordering.draft_lock(draft_key)

    async def placed_by_draft(self, draft_key: str) -> OrderRecord | None:
        return await self.services.ordering.placed_by_draft(draft_key)

    async def orders(self, user_id: int, page: int, size: int) -> Page[OrderRecord]:
        return await self.services.people.orders_page(user_id, page, size)

    async def own_order(self, user_id: int, order_id: int) -> OrderRecord | None:
        return await self.services.people.own_order(user_id, order_id)

    async def can_refill(self, order: OrderRecord) -> bool:
        return await self.services.order_requests.can_refill(order)

    def can_cancel(self, order: OrderRecord) -> bool:
        return self.services.order_requests.can_cancel(order)

    async def latest_refill(self, order_id: int) -> RefillRecord | None:
        return await self.services.order_requests.latest_refill(order_id)

    async def refresh(self, order: OrderRecord) -> OrderRecord:
        """The order as its panel says now. Raises PanelError."""
        return await self.services.tracker.refresh(order)

    async def request_refill(self, order: OrderRecord) -> RefillResult:
        return await self.services.order_requests.request_refill(order)

    async def request_cancel(self, order: OrderRecord) -> CancelResult:
        return await self.services.order_requests.request_cancel(order)

    # ---- the person's key for the API v2 (reseller_api/), as the chat's /api ---------------------

    async def key_account(self, person: User) -> tuple[Access, ResellerRecord | None]:
        """Whether the person may have a key now, and their account (key, callbacks...)."""
        account = await self.services.resellers.account(person.id)
        return self.services.resellers.access(person, account), account

    async def may_have_key(self, person: User) -> bool:
        return (await self.key_account(person))[0] is Access.ALLOWED

    def api_endpoint(self) -> str:
        return self.services.resellers.endpoint

    def support_contact(self) -> str:
        return self.services.support_contact

    async def create_key(self, person: User) -> NewKey | Access:
        """A new key and callback secret (the old key stops at once), or why not."""
        return await self.services.resellers.create_key(person)

    async def revoke_key(self, user_id: int) -> bool:
        return await self.services.resellers.revoke_key(user_id)

    async def set_notify(self, user_id: int, notify: bool) -> None:
        await self.services.resellers.set_notify(user_id, notify)

    async def set_callback_url(self, user_id: int, url: str | None) -> str | None:
        """Raises CallbackUrlError; None turns callbacks off."""
        return await self.services.resellers.set_callback_url(user_id, url)

    # ---- top-ups ------------------------------------------------------------------------------

    async def methods(self) -> list[Method]:
        """Beyond Stars, the methods the shop offers now, in the chat's order."""
        return await self.services.topups.offered()

    def limits(self, method: Method) -> Limits:
        return self.services.topups.limits(method)

    def crypto_assets(self) -> tuple[str, ...]:
        crypto = self.services.topups.crypto
        return () if crypto is None else tuple(crypto.assets)

    async def stars_options(self) -> list[TopUpOption]:
        return await self.services.payments.options()

    async def stars_per_unit(self) -> Decimal:
        return await self.services.payments.stars_per_unit()

    async def new_stars_topup(self, user_id: int, amount: Decimal) -> TopUp:
        return await self.services.payments.new_topup(user_id, amount)

    async def crypto_invoice(self, user_id: int, amount: Decimal) -> Opened | NotOpened | None:
        crypto = self.services.topups.crypto
        return None if crypto is None else await crypto.open_invoice(user_id, amount)

    async def bank_request(self, user_id: int, amount: Decimal) -> tuple[Payment, str] | None:
        """The request and what its QR code encodes, or None when bank transfers are off."""
        bank = self.services.topups.bank
        payment = None if bank is None else await bank.open_request(user_id, amount)
        if bank is None or payment is None:
            return None
        return payment, bank.qr_payload(payment)

    def bank_account(self) -> tuple[str, str, str] | None:
        """(bank BIN, account number, account name) of the shop's bank account."""
        bank = self.services.topups.bank
        if bank is None:
            return None
        return bank.account.bin, bank.account.number, bank.account.name

    async def manual_request(self, user_id: int, amount: Decimal) -> tuple[Payment, str] | None:
        """The request and the shop's instructions, or None when card transfers are off."""
        manual = self.services.topups.manual
        if manual is None:
            return None
        return await manual.open_request(user_id, amount), manual.instructions

    async def manual_proof(
        self, user_id: int, payment_id: int, text: str
    ) -> ProofTaken | ProofNotTaken | None:
        manual = self.services.topups.manual
        if manual is None:
            return None
        return await manual.submit_proof(user_id, payment_id, "text", text)
