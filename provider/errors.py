"""The two ways a panel call fails. Neither message ever carries the API key."""

from __future__ import annotations

NO_FUNDS_MARKERS = ("not enough funds", "insufficient funds", "not enough balance")


class PanelError(Exception):
    """Base class for panel failures."""


class ProviderError(PanelError):
    """The panel answered and refused: `{"error": "..."}`. Definite: nothing was done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def is_out_of_funds(self) -> bool:
        """The reseller's own panel balance is empty: admins must top it up."""
        lowered = self.message.lower()
        return any(marker in lowered for marker in NO_FUNDS_MARKERS)


class ProviderUnavailable(PanelError):
    """No usable answer: timeout, connection error, HTTP 5xx, HTML or a body we cannot parse.

    Ambiguous for writes: the panel may or may not have acted.
    """
