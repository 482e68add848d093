"""What people read about top-ups, promo codes and referrals outside a conversation (the outbox).

Customer texts go through gettext in the person's language; admin alerts stay English.
"""

from __future__ import annotations

from decimal import Decimal

from shop.formatting import format_money, format_number, quote
from shop.i18n import _, in_language


def topup_credited(
    amount: Decimal, stars: int, balance: Decimal, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _(
            "✅ Payment received: {stars} ⭐.\n{amount} was added to your balance.\n"
            "Balance now: {balance}."
        ).format(
            stars=format_number(stars),
            amount=format_money(amount, currency),
            balance=format_money(balance, currency),
        )


def payment_not_matched(stars: int, charge_id: str, language: str | None) -> str:
    with in_language(language):
        return _(
            "⚠️ We received your payment of {stars} ⭐ but could not match it to a top-up. "
            "The shop's support has been told and will sort it out. "
            "Payment id: <code>{charge}</code>"
        ).format(stars=format_number(stars), charge=quote(charge_id))


def referral_earned(amount: Decimal, balance: Decimal, currency: str, language: str | None) -> str:
    with in_language(language):
        return _(
            "🤝 A person you invited topped up their balance: you earned {amount}.\n"
            "Balance now: {balance}."
        ).format(amount=format_money(amount, currency), balance=format_money(balance, currency))


def referral_reversed(
    amount: Decimal, balance: Decimal, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _(
            "↩️ A top-up by a person you invited was refunded, so its reward of {amount} "
            "was taken back.\nBalance now: {balance}."
        ).format(amount=format_money(amount, currency), balance=format_money(balance, currency))


def referral_joined(language: str | None) -> str:
    with in_language(language):
        return _(
            "🤝 A new person joined through your invitation link. "
            "You will earn a share of their top-ups."
        )


def topup_refunded(
    amount: Decimal, stars: int, balance: Decimal, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _(
            "↩️ Your payment of {stars} ⭐ was refunded to your Telegram Stars; "
            "{amount} was taken from your balance.\nBalance now: {balance}."
        ).format(
            stars=format_number(stars),
            amount=format_money(amount, currency),
            balance=format_money(balance, currency),
        )


def admin_payment_not_matched(
    user_id: int, stars: int, currency: str, payload: str, charge_id: str
) -> str:
    return (
        f"⚠️ A payment of {format_number(stars)} {quote(currency)} from user {user_id} "
        f"matches no open top-up (payload <code>{quote(payload[:128])}</code>). "
        f"Nothing was credited. Charge id: <code>{quote(charge_id)}</code>"
    )


def admin_referral_share_spent(
    referrer_id: int, topup_id: int, missing: Decimal, currency: str
) -> str:
    return (
        f"⚠️ Top-up #{topup_id} was refunded, but its referrer (user {referrer_id}) had already "
        f"spent {format_money(missing, currency)} of the reward: that part was not taken back."
    )
