"""The panels' own error messages, and the refusal an action raises to answer one."""

from __future__ import annotations

from typing import Final

ERR_KEY: Final = "Invalid API key"
ERR_REQUEST: Final = "Incorrect request"
ERR_SERVICE: Final = "Incorrect service ID"
ERR_ORDER: Final = "Incorrect order ID"
ERR_REFILL: Final = "Incorrect refill ID"
ERR_PRODUCT: Final = ERR_REQUEST  # the panels' docs name no message for a bad product id
ERR_FUNDS: Final = "Not enough funds on balance"
ERR_MISSING: Final = "There are missing required parameters. Please check your API Manual"
ERR_ACTIVE: Final = "You have active order with this link. Please wait until order being completed."
ERR_NOT_ELIGIBLE: Final = "Order not eligible for refill."
ERR_REFILL_DISABLED: Final = "Refill is disabled for this service"
ERR_OUT_OF_STOCK: Final = "Out of stock"
# The panels' docs name no messages for these; worded like their refill siblings.
ERR_CANCEL_DISABLED: Final = "Cancel is disabled for this service"
ERR_NOT_CANCELABLE: Final = "Order not eligible for cancel."
ERR_DRIPFEED_DISABLED: Final = "Drip-feed is disabled for this service"


class Refusal(Exception):
    """Raised inside an action: the panel answers ``{"error": message}`` (HTTP 200)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
