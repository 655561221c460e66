import pytest

from bank.errors import InsufficientFunds, LedgerError, UnknownAccount
from bank.ledger import Ledger


@pytest.fixture
def ledger() -> Ledger:
    ledger = Ledger()
    ledger.open("alice", 100)
    ledger.open("bob", 20)
    return ledger


def balances(ledger: Ledger) -> dict[str, int]:
    return {name: account.balance for name, account in ledger.accounts.items()}


def test_a_transfer_moves_money_and_is_recorded(ledger: Ledger) -> None:
    ledger.transfer("alice", "bob", 30)
    assert balances(ledger) == {"alice": 70, "bob": 50}
    assert ledger.history == [("alice", "bob", 30)]


def test_insufficient_funds_changes_nothing(ledger: Ledger) -> None:
    with pytest.raises(InsufficientFunds):
        ledger.transfer("bob", "alice", 50)
    assert balances(ledger) == {"alice": 100, "bob": 20}
    assert ledger.history == []


@pytest.mark.parametrize("amount", [0, -5])
def test_amount_must_be_positive(ledger: Ledger, amount: int) -> None:
    with pytest.raises(ValueError):
        ledger.transfer("alice", "bob", amount)
    assert balances(ledger) == {"alice": 100, "bob": 20}


@pytest.mark.parametrize(("source", "target"), [("carol", "bob"), ("alice", "carol")])
def test_unknown_accounts_change_nothing(ledger: Ledger, source: str, target: str) -> None:
    with pytest.raises(UnknownAccount):
        ledger.transfer(source, target, 10)
    assert balances(ledger) == {"alice": 100, "bob": 20}
    assert ledger.history == []


def test_unknown_account_is_a_ledger_error() -> None:
    assert issubclass(UnknownAccount, LedgerError)
