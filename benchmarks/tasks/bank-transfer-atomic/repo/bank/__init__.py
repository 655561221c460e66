"""A toy ledger of accounts and transfers."""
