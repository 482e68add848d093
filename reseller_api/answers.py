"""The API's words, as the panel family says them (`/work/shared/panel-api.md`): resellers'
scripts match these phrases, and our own client (provider/client.py) reads them. The shapes of
orders are shop/order_views.py's (a status callback carries the same)."""

from __future__ import annotations

# The family's own phrases.
INVALID_KEY = "Invalid API key"
INCORRECT_REQUEST = "Incorrect request"
INCORRECT_SERVICE = "Incorrect service ID"
INCORRECT_ORDER = "Incorrect order ID"
INCORRECT_REFILL = "Incorrect refill ID"
NO_FUNDS = "Not enough funds on balance"
MISSING = "There are missing required parameters. Please check your API Manual"
ACTIVE_ORDER = "You have active order with this link. Please wait until order being completed."
NOT_ELIGIBLE_FOR_REFILL = "Order not eligible for refill."
REFILL_DISABLED = "Refill is disabled for this service"
CANCEL_DISABLED = "Cancel is disabled for this service"
NOT_ELIGIBLE_FOR_CANCEL = "Order not eligible for cancel."
DRIPFEED_DISABLED = "Drip-feed is disabled for this service"
OUT_OF_STOCK = "Out of stock"
# Ours, in the same manner.
INCORRECT_PRODUCT = "Incorrect product ID"
TOO_MANY_IDS = "Too many IDs: at most 100 at once"
# "service is not active" reads to a panel client (ours too) as the route's refusal, so a
# shop buying from us may try another panel.
SERVICE_NOT_ACTIVE = "This service is not active at the moment. Please try again later."
TRY_LATER = "The provider did not answer. Please try again later."
TOO_MANY_REQUESTS = "Too many requests. Please slow down."
TOO_LARGE = "Request too large"
INTERNAL_ERROR = "Internal error. Please try again later."

MAX_IDS = 100
MAX_PANEL_MESSAGE = 300  # a panel's own words passed on, at most this long


def less_than_minimal(what: str, minimum: int) -> str:
    return f"{what} less than minimal {minimum}"


def more_than_maximum(what: str, maximum: int) -> str:
    return f"{what} more than maximum {maximum}"


def error(message: str) -> dict[str, str]:
    return {"error": message}
