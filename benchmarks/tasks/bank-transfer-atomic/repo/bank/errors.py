"""Errors the ledger raises."""


class LedgerError(Exception):
    """Base class of every ledger error."""


class InsufficientFunds(LedgerError):
    """The source account cannot cover the transfer."""
