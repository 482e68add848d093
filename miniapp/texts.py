"""The page's own words (labels, buttons, empty states), marked for the catalogs (`make i18n`)
and served translated with the first answer (`page_texts`). What carries numbers or money is
written by the server (miniapp/views.py) in the same words the chat uses; these are the rest.
The page fills `{name}` placeholders with values the server formatted."""

from __future__ import annotations

from shop.i18n import N_, _

PAGE_TEXTS: dict[str, str] = {
    # the catalog
    "search": N_("Search services"),
    "services": N_("Services"),
    "products": N_("Products"),
    "my_orders": N_("My orders"),
    "balance": N_("Balance"),
    "catalog_empty": N_("The catalog is empty right now. Please come back later."),
    "nothing_found": N_("Nothing found for «{query}»"),
    "nothing_found_hint": N_("Try other words, part of a word, or the service's number."),
    "search_hint": N_("Words in any order, or the service's number."),
    "more": N_("Show more"),
    "per_thousand": N_("per 1,000"),
    "per_package": N_("per package"),
    "each": N_("each"),
    "refill": N_("Refill"),
    "cancel": N_("Cancel"),
    "dripfeed": N_("Drip-feed"),
    "out_of_stock": N_("Out of stock"),
    # a service's form
    "order": N_("Order"),
    "order_for": N_("Order · {price}"),
    "link": N_("Link"),
    "link_hint": N_("The public post, video, channel or profile"),
    "quantity": N_("Quantity"),
    "range": N_("From {min} to {max}"),
    "comments": N_("Comments"),
    "comments_hint": N_("One comment per line: from {min} to {max}"),
    "list": N_("Suggested videos or search keywords"),
    "suggest": N_("Suggested videos"),
    "search_words": N_("Search keywords"),
    "lines_hint": N_("One per line, up to {max}"),
    "dripfeed_switch": N_("Deliver in runs (drip-feed)"),
    "dripfeed_hint": N_("Each run delivers the quantity above; you pay for every run."),
    "runs": N_("Runs"),
    "interval": N_("Minutes between runs"),
    "description": N_("About this service"),
    "require_hint": N_("Up to {max} characters"),
    "price": N_("Price"),
    # confirming
    "check_order": N_("Check your order"),
    "confirm_for": N_("Confirm · {price}"),
    "top_up": N_("Top up"),
    "to_orders": N_("Go to my orders"),
    "to_shop": N_("Back to the shop"),
    # orders
    "no_orders": N_("You have no orders yet."),
    "refresh": N_("Refresh"),
    "refill_order": N_("Request a refill"),
    "cancel_order": N_("Cancel order"),
    "copy": N_("Copy"),
    "copied": N_("Copied"),
    "result": N_("Result"),
    "keep_order": N_("Keep it"),
    # balance and top-ups
    "your_balance": N_("Your balance"),
    "movements": N_("Last movements"),
    "no_movements": N_("No movements yet."),
    "top_up_with": N_("Top up with"),
    "stars": N_("Telegram Stars"),
    "crypto": N_("Crypto (@CryptoBot)"),
    "bank": N_("Bank transfer (VietQR)"),
    "manual": N_("Card transfer"),
    "amount": N_("Amount"),
    "other_amount": N_("Other amount"),
    "pay": N_("Pay {amount}"),
    "open_crypto": N_("Pay in @CryptoBot"),
    "waiting_payment": N_(
        "Waiting for the payment. Your balance changes here as soon as it arrives."
    ),
    "payment_received": N_("Payment received. Thank you!"),
    "payment_failed": N_("The payment did not go through. Nothing was charged."),
    "scan_qr": N_("Scan the code in your bank app, or transfer by hand:"),
    "proof": N_("Details of your transfer"),
    "proof_hint": N_(
        "The time, the amount and the last digits of your card, up to {max} characters"
    ),
    "send_proof": N_("Send to the admins"),
    # the key for the API v2 (the chat's /api words where it has them)
    "api": N_("API key for resellers"),
    "create_key": N_("🔑 Create a key"),
    "new_key": N_("🔄 New key"),
    "revoke_key": N_("🗑 Revoke key"),
    "yes_new_key": N_("Yes, a new key"),
    "yes_revoke": N_("Yes, revoke it"),
    "keep_key": N_("Keep it"),
    "notify_switch": N_("🔔 Tell me in the chat too"),
    "callbacks": N_("Status callbacks"),
    "callbacks_hint": N_(
        "A signed POST to this https:// address on every status change of your API orders. "
        "Empty: none."
    ),
    "save": N_("Save"),
    # trouble
    "reopen_title": N_("Open the shop again from the bot"),
    "reopen_text": N_(
        "This page was open for too long, or was not opened from Telegram. "
        "Close it and open the shop from the bot's menu."
    ),
    "close": N_("Close"),
    "offline": N_("No connection. Check your internet and try again."),
    "failed": N_("Something went wrong. Please try again."),
    "retry": N_("Try again"),
}


def page_texts() -> dict[str, str]:
    """Every page text in the current language."""
    return {key: _(text) for key, text in PAGE_TEXTS.items()}
