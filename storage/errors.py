"""Exceptions raised by the storage layer; the bot turns them into words."""


class StorageError(Exception):
    """Base class for storage errors."""


class DuplicateEntry(StorageError):
    """A ledger row with the same (kind, reference) exists: the change was applied before."""


class InsufficientFunds(StorageError):
    """A debit would take a balance below zero."""

    def __init__(self, balance_micros: int, amount_micros: int) -> None:
        super().__init__("insufficient funds")
        self.balance_micros = balance_micros
        self.amount_micros = amount_micros


class NotFound(StorageError):
    """The row asked for does not exist."""
