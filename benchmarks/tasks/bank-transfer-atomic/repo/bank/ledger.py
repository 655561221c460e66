"""Accounts and the transfers between them."""

from dataclasses import dataclass, field

from bank.errors import InsufficientFunds


@dataclass
class Account:
    name: str
    balance: int = 0
    """In cents."""


@dataclass
class Ledger:
    accounts: dict[str, Account] = field(default_factory=dict)
    history: list[tuple[str, str, int]] = field(default_factory=list)

    def open(self, name: str, balance: int = 0) -> Account:
        account = Account(name, balance)
        self.accounts[name] = account
        return account

    def transfer(self, source: str, target: str, amount: int) -> None:
        """Move `amount` cents from `source` to `target` and record it."""
        self.accounts[source].balance -= amount
        if self.accounts[source].balance < 0:
            raise InsufficientFunds(f"{source} cannot cover {amount}")
        self.accounts[target].balance += amount
        self.history.append((source, target, amount))
