"""The two ways a panel call fails. Neither message ever carries the API key."""

from __future__ import annotations

NO_FUNDS_MARKERS = ("not enough funds", "insufficient funds", "not enough balance")
# Refusals about the panel's side of an order (its service, its funds, its quantity range):
# another panel may well take the same order. Anything else (a bad link, an active order with
# this link) is about the order itself and would be refused everywhere.
ROUTE_MARKERS = (
    *NO_FUNDS_MARKERS,
    "incorrect service",
    "invalid service",
    "unknown service",
    "service not found",
    "service is disabled",
    "service disabled",
    "service is not active",
    "service inactive",
    "quantity less than",
    "quantity more than",
    "minimal",
    "maximal",
    "minimum quantity",
    "maximum quantity",
)


class PanelError(Exception):
    """Base class for panel failures."""


class PanelRefused(PanelError):
    """The panel answered and refused: `{"error": "..."}`. Definite: nothing was done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def is_out_of_funds(self) -> bool:
        """The reseller's own panel balance is empty: admins must top it up."""
        lowered = self.message.lower()
        return any(marker in lowered for marker in NO_FUNDS_MARKERS)

    @property
    def is_route_refusal(self) -> bool:
        """A refusal another panel's route may not share: the order may fail over."""
        lowered = self.message.lower()
        return any(marker in lowered for marker in ROUTE_MARKERS)


class PanelUnavailable(PanelError):
    """No usable answer: timeout, connection error, HTTP 5xx, HTML or a body we cannot parse.

    Ambiguous for writes: the panel may or may not have acted.
    """
