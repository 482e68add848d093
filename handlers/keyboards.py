"""Inline keyboards. Every screen has a way back; lists page at 8 items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import (
    CancelFlowCb,
    CancelOrderCb,
    CategoryCb,
    DraftCb,
    DripModeCb,
    LanguageCb,
    ManualProofCb,
    MenuCb,
    OrderCb,
    OrderProductCb,
    OrdersCb,
    OrderServiceCb,
    PayAmountCb,
    PayMethodCb,
    ProductCategoryCb,
    ProductDraftCb,
    RefillOrderCb,
    RefreshOrderCb,
    ShowResultCb,
    TopUpCb,
)
from shop.i18n import _
from shop.paging import Page
from storage.catalog import ServiceRecord
from storage.orders import OrderRecord
from storage.payments import Method
from storage.products import ProductRecord

MAX_LABEL = 60


def label(text: str) -> str:
    """Button labels are plain text (no HTML) and kept short."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def home_button() -> InlineKeyboardButton:
    return button(_("🏠 Menu"), MenuCb(to="home"))


def main_menu(miniapp_url: str = "") -> InlineKeyboardMarkup:
    """The main menu; with the Mini App on, its "Open shop" button first."""
    shop = [InlineKeyboardButton(text=_("🛍 Open shop"), web_app=WebAppInfo(url=miniapp_url))]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *([shop] if miniapp_url else []),
            [
                button(_("🛒 Services"), MenuCb(to="services")),
                button(_("🎁 Products"), MenuCb(to="products")),
            ],
            [
                button(_("📦 My orders"), MenuCb(to="orders")),
                button(_("💰 Balance"), MenuCb(to="balance")),
            ],
            [button(_("❓ Help"), MenuCb(to="help"))],
        ]
    )


def back_home() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


def to_catalog() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("🛒 Services"), MenuCb(to="services")), home_button()]]
    )


def pager_row(page: Page[Any], make: Callable[[int], CallbackData]) -> list[InlineKeyboardButton]:
    row = []
    if page.has_previous:
        row.append(button(_("◀️ Previous"), make(page.page - 1)))
    if page.pages > 1:
        row.append(button(f"{page.page + 1}/{page.pages}", make(page.page)))
    if page.has_next:
        row.append(button(_("Next ▶️"), make(page.page + 1)))
    return row


def rows_with_pager(
    items: Sequence[InlineKeyboardButton],
    page: Page[Any],
    make: Callable[[int], CallbackData],
    back: InlineKeyboardButton,
) -> InlineKeyboardMarkup:
    rows = [[item] for item in items]
    pager = pager_row(page, make)
    if pager:
        rows.append(pager)
    rows.append([back])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def service_card(service: ServiceRecord, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("🛒 Order"), OrderServiceCb(id=service.id))],
            [button(_("⬅️ Back"), CategoryCb(id=service.category_id, page=page)), home_button()],
        ]
    )


def cancel_flow(draft_key: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("✖️ Cancel"), CancelFlowCb(key=draft_key))]]
    )


def dripfeed_choice(draft_key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("⚡ All at once"), DripModeCb(drip=False, key=draft_key)),
                button(_("💧 Drip-feed"), DripModeCb(drip=True, key=draft_key)),
            ],
            [button(_("✖️ Cancel"), CancelFlowCb(key=draft_key))],
        ]
    )


def confirm(draft_key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Confirm"), DraftCb(action="confirm", key=draft_key)),
                button(_("✖️ Cancel"), DraftCb(action="cancel", key=draft_key)),
            ]
        ]
    )


def top_up() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("💰 Balance"), MenuCb(to="balance")), home_button()]]
    )


def orders(page: Page[OrderRecord], titles: Sequence[str]) -> InlineKeyboardMarkup:
    items = [
        button(label(title), OrderCb(id=order.id, page=page.page))
        for order, title in zip(page.items, titles, strict=True)
    ]
    return rows_with_pager(items, page, lambda p: OrdersCb(page=p), home_button())


def order_card(
    order: OrderRecord, page: int, *, can_refill: bool = False, can_cancel: bool = False
) -> InlineKeyboardMarkup:
    rows = []
    if order.result:
        rows.append([button(_("🎁 Show the result"), ShowResultCb(id=order.id))])
    if order.panel_order_id is not None and not order.stage.is_final:
        rows.append([button(_("🔄 Refresh"), RefreshOrderCb(id=order.id, page=page))])
    if can_refill:
        rows.append([button(_("♻️ Refill"), RefillOrderCb(id=order.id, page=page))])
    if can_cancel:
        rows.append([button(_("✖️ Cancel order"), CancelOrderCb(id=order.id, page=page))])
    rows.append([button(_("⬅️ My orders"), OrdersCb(page=page)), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_cancel(order: OrderRecord, page: int) -> InlineKeyboardMarkup:
    """Yes sends the cancel request; No goes back to the card."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Yes, cancel it"), CancelOrderCb(id=order.id, page=page, sure=True)),
                button(_("↩️ No, keep it"), OrderCb(id=order.id, page=page)),
            ]
        ]
    )


def product_card(product: ProductRecord, page: int) -> InlineKeyboardMarkup:
    rows = []
    if product.in_stock:
        rows.append([button(_("🛒 Buy"), OrderProductCb(id=product.id))])
    back = button(_("⬅️ Back"), ProductCategoryCb(id=product.category_id, page=page))
    rows.append([back, home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_product(draft_key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Confirm"), ProductDraftCb(action="confirm", key=draft_key)),
                button(_("✖️ Cancel"), ProductDraftCb(action="cancel", key=draft_key)),
            ]
        ]
    )


# ---- balance: top-ups, promo codes, referrals ----------------------------------------------------


def method_label(method: Method) -> str:
    labels = {
        Method.CRYPTO: _("💎 Crypto"),
        Method.BANK: _("🏦 Bank transfer"),
        Method.MANUAL: _("💳 Card transfer"),
    }
    return labels[method]


def method_buttons(methods: Sequence[Method]) -> list[InlineKeyboardButton]:
    """Stars first; alone it reads "⭐ Top up", as before there were other methods."""
    if not methods:
        return [button(_("⭐ Top up"), MenuCb(to="topup"))]
    stars = button(_("⭐ Telegram Stars"), MenuCb(to="topup"))
    return [stars, *(button(method_label(m), PayMethodCb(method=m.value)) for m in methods)]


def balance_menu(methods: Sequence[Method] = ()) -> InlineKeyboardMarkup:
    """The top-up methods offered and the promo code, two a row; invitations; the menu."""
    buttons = [*method_buttons(methods), button(_("🎟 Promo code"), MenuCb(to="promo"))]
    rows = [buttons[start : start + 2] for start in range(0, len(buttons), 2)]
    rows += [[button(_("🤝 Invite friends"), MenuCb(to="referral"))], [home_button()]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def topup_methods(methods: Sequence[Method]) -> InlineKeyboardMarkup:
    rows = [[item] for item in method_buttons(methods)]
    rows.append([button(_("⬅️ Balance"), MenuCb(to="balance")), home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_balance() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("⬅️ Balance"), MenuCb(to="balance")), home_button()]]
    )


def top_up_amounts(
    options: Sequence[tuple[str, str]],
    make: Callable[[str], CallbackData] = lambda amount: TopUpCb(amount=amount),
) -> InlineKeyboardMarkup:
    """`options`: (label, amount) pairs, two buttons a row, then "Other amount" and back.
    `make(amount)` is a button's data (Stars by default)."""
    builder = InlineKeyboardBuilder()
    for text, amount in options:
        builder.button(text=label(text), callback_data=make(amount))
    builder.adjust(2)
    builder.row(button(_("✏️ Other amount"), make("other")))
    builder.row(button(_("⬅️ Balance"), MenuCb(to="balance")), home_button())
    return builder.as_markup()


def pay_amounts(method: Method, options: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    return top_up_amounts(options, lambda amount: PayAmountCb(method=method.value, amount=amount))


def pay_link(url: str, text: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label(text), url=url)],
            [button(_("⬅️ Balance"), MenuCb(to="balance")), home_button()],
        ]
    )


def send_proof(payment_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(_("📎 Send the proof"), ManualProofCb(id=payment_id))],
            [button(_("⬅️ Balance"), MenuCb(to="balance")), home_button()],
        ]
    )


def cancel_to_balance() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("✖️ Cancel"), MenuCb(to="balance"))]])


def help_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(_("🌐 Language"), MenuCb(to="language")), home_button()]]
    )


def languages(choices: Sequence[tuple[str, str]], current: str) -> InlineKeyboardMarkup:
    """`choices`: (code, name in that language) pairs, one a row; the current one is ticked."""
    rows = [
        [button(f"✓ {name}" if code == current else name, LanguageCb(code=code))]
        for code, name in choices
    ]
    rows.append([home_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)
