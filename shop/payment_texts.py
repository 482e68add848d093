"""What people read about top-ups, promo codes and referrals outside a conversation (the outbox).

Customer texts go through gettext in the person's language; admin alerts stay English.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from shop.formatting import format_money, format_number, quote
from shop.i18n import N_, _, in_language
from storage.payments import Method, Payment, PaymentStatus


def _balance_news(
    language: str | None,
    text: str,
    amount: Decimal,
    balance: Decimal,
    currency: str,
    **fields: str | int,
) -> str:
    """`text` (marked by N_) in the person's language, with the amount that moved, the balance
    after, and `fields`: a count as a number in that language, a code or a name escaped."""
    with in_language(language):
        shown = {
            name: format_number(value) if isinstance(value, int) else quote(value)
            for name, value in fields.items()
        }
        return _(text).format(
            amount=format_money(amount, currency), balance=format_money(balance, currency), **shown
        )


def topup_credited(
    amount: Decimal, stars: int, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "✅ Payment received: {stars} ⭐.\n{amount} was added to your balance.\n"
        "Balance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency, stars=stars)


def payment_not_matched(stars: int, charge_id: str, language: str | None) -> str:
    with in_language(language):
        return _(
            "⚠️ We received your payment of {stars} ⭐ but could not match it to a top-up. "
            "The shop's support has been told and will sort it out. "
            "Payment id: <code>{charge}</code>"
        ).format(stars=format_number(stars), charge=quote(charge_id))


def referral_earned(amount: Decimal, balance: Decimal, currency: str, language: str | None) -> str:
    text = N_(
        "🤝 A person you invited topped up their balance: you earned {amount}.\n"
        "Balance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency)


def referral_reversed(
    amount: Decimal, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "↩️ A top-up by a person you invited was refunded, so its reward of {amount} "
        "was taken back.\nBalance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency)


def referral_joined(language: str | None) -> str:
    with in_language(language):
        return _(
            "🤝 A new person joined through your invitation link. "
            "You will earn a share of their top-ups."
        )


def topup_refunded(
    amount: Decimal, stars: int, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "↩️ Your payment of {stars} ⭐ was refunded to your Telegram Stars; "
        "{amount} was taken from your balance.\nBalance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency, stars=stars)


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


# ---- crypto, bank transfers, transfers approved by admins ----------------------------------------


def crypto_credited(
    amount: Decimal, paid: str, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "✅ Crypto payment received: {paid}.\n{amount} was added to your balance.\n"
        "Balance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency, paid=paid)


def bank_credited(
    amount: Decimal,
    transferred: Decimal,
    asked: Decimal,
    balance: Decimal,
    currency: str,
    language: str | None,
) -> str:
    with in_language(language):
        text = _(
            "✅ Bank transfer received: {transferred}.\n{amount} was added to your balance.\n"
            "Balance now: {balance}."
        ).format(
            transferred=format_money(transferred, "VND"),
            amount=format_money(amount, currency),
            balance=format_money(balance, currency),
        )
        if transferred != asked:
            text += "\n" + _(
                "You were asked for {asked}: what you transferred is what was credited."
            ).format(asked=format_money(asked, "VND"))
        return text


def manual_approved(
    amount: Decimal, code: str, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "✅ Your top-up {code} was approved: {amount} was added to your balance.\n"
        "Balance now: {balance}."
    )
    return _balance_news(language, text, amount, balance, currency, code=code)


def manual_rejected(
    amount: Decimal, code: str, reason: str, currency: str, language: str | None
) -> str:
    with in_language(language):
        return _(
            "❌ Your top-up {code} of {amount} was not approved: {reason}\n"
            "If you did pay, please write to the shop's support with the reference."
        ).format(code=quote(code), amount=format_money(amount, currency), reason=quote(reason))


def admin_invoice_not_ours(invoice_id: int, amount: Decimal, currency: str, why: str) -> str:
    return (
        f"⚠️ Crypto Pay invoice {invoice_id} ({format_money(amount, currency)}) was paid, but "
        f"{quote(why)}. Nothing was credited; check it in @CryptoBot and credit by hand "
        "with /credit if it is a customer's."
    )


def admin_method_hidden(method: str, reason: str) -> str:
    return f"⚠️ {method} top-ups are hidden from customers: {reason}"


# ---- what a person reads when they start a top-up (the chat, the Mini App) ----------------------


def invoice_title() -> str:
    return _("Balance top-up")


def invoice_description(money: str) -> str:
    return _("{amount} added to your balance in this bot.").format(amount=money)


def invoice_label(money: str) -> str:
    return _("Top-up {amount}").format(amount=money)


def invoice_refused() -> str:
    return _("⚠️ Telegram did not accept this invoice. Please try a smaller amount.")


def method_unavailable() -> str:
    return _("⚠️ This way of paying is not available now. Please choose another.")


def crypto_not_opened() -> str:
    return _(
        "⚠️ Crypto Pay did not open the invoice, so nothing can be paid yet. "
        "Please try again in a minute."
    )


def crypto_invoice_text(payment: Payment, assets: Sequence[str]) -> str:
    money = format_money(payment.amount, payment.currency)
    text = _(
        "💎 <b>Invoice {code}</b>: {amount}\n\nPay it in @CryptoBot with {assets} within "
        "{minutes} minutes. Your balance is credited as soon as it is paid; this chat will say so."
    ).format(
        code=payment.code,
        amount=money,
        assets=", ".join(assets),
        minutes=format_number(max(1, ((payment.expires_at or 0) - payment.created_at) // 60)),
    )
    if payment.pay_currency != payment.currency:
        text += "\n" + _("Invoice amount: {amount}.").format(
            amount=format_money(payment.pay_amount, payment.pay_currency)
        )
    return text


def crypto_pay_label(payment: Payment) -> str:
    return _("💎 Pay {amount}").format(amount=format_money(payment.amount, payment.currency))


def bank_transfer_text(payment: Payment, bank: str, account: str, name: str) -> str:
    return _(
        "🏦 <b>Bank transfer {code}</b>: {amount}\n\n"
        "Scan the QR code in your bank app, or transfer by hand:\n"
        "Bank: {bank}\nAccount: <code>{account}</code>\nName: {name}\n"
        "Amount: <code>{vnd}</code> VND\nDescription: <code>{code}</code>\n\n"
        "Keep the code {code} in the description. What you transfer is what is credited, "
        "automatically, within a few minutes; this chat will say so."
    ).format(
        code=payment.code,
        amount=format_money(payment.amount, payment.currency),
        bank=quote(bank),
        account=quote(account),
        name=quote(name),
        vnd=int(payment.pay_amount),
    )


def manual_request_text(payment: Payment, instructions: str) -> str:
    return _(
        "💳 <b>Top-up {code}</b>: {amount}\n\n{instructions}\n\n"
        "Write the reference <code>{code}</code> in the transfer's comment if you can. "
        "Then send here a photo of the receipt (or a text with the transfer's details)."
    ).format(
        code=payment.code,
        amount=format_money(payment.amount, payment.currency),
        instructions=quote(instructions),
    )


def proof_taken(payment: Payment) -> str:
    return _(
        "✅ Thank you! Your proof for {code} is with the shop's admins. "
        "This chat will tell you when they decide."
    ).format(code=payment.code)


def request_closed(payment: Payment | None) -> str:
    if payment is not None and payment.status is PaymentStatus.REVIEW:
        return _("The proof for {code} was sent already: the admins will decide soon.").format(
            code=payment.code
        )
    if payment is not None:
        return _("The top-up {code} is closed.").format(code=payment.code)
    return _("This top-up is closed.")


# ---- top-ups reversed by admins (shop/reversals.py) ---------------------------------------------


def topup_reversed(
    amount: Decimal, reference: str, balance: Decimal, currency: str, language: str | None
) -> str:
    text = N_(
        "↩️ Your top-up {reference} was reversed by the shop's admins: {amount} was taken "
        "from your balance.\nBalance now: {balance}.\n"
        "If you think this is a mistake, please write to the shop's support."
    )
    return _balance_news(language, text, amount, balance, currency, reference=reference[:64])


def admin_reversed_share_spent(
    referrer_id: int, reference: str, missing: Decimal, currency: str
) -> str:
    return (
        f"⚠️ Top-up {quote(reference[:64])} was reversed, but its referrer (user {referrer_id}) "
        f"had already spent {format_money(missing, currency)} of the reward: that part was not "
        "taken back."
    )


# ---- requests that expire unpaid (shop/topups.py expire_pending) --------------------------------


def request_expired(
    method: Method, amount: Decimal, currency: str, code: str, language: str | None
) -> str:
    """A crypto invoice, a bank transfer request or a card request that expired unpaid."""
    with in_language(language):
        if method is Method.CRYPTO:
            text = _(
                "⌛ Your crypto invoice {code} for {amount} expired unpaid. Nothing was taken; "
                "open 💰 Balance for a new one."
            )
        elif method is Method.BANK:
            text = _(
                "⌛ Your bank transfer request {code} for {amount} has expired: please do not "
                "transfer to it any more. Open 💰 Balance for a new one.\n"
                "If you did transfer already, nothing is lost: the shop's admins will check it "
                "and credit it."
            )
        else:
            text = _(
                "⌛ Your card top-up request {code} for {amount} has expired before a proof was "
                "sent: please do not pay it any more. Open 💰 Balance for a new one.\n"
                "If you did pay already, press 📎 Send the proof on it: the shop's admins will "
                "check it."
            )
        return text.format(code=quote(code), amount=format_money(amount, currency))


def offer_expired(method: Method, code: str, language: str | None) -> str:
    """What the message that offered to pay an expired request says instead."""
    with in_language(language):
        if method is Method.BANK:
            return _("⌛ Bank transfer {code} has expired: do not transfer to it.").format(
                code=quote(code)
            )
        return _(
            "⌛ Card top-up {code} has expired: do not pay it. If you paid already, send the proof."
        ).format(code=quote(code))
