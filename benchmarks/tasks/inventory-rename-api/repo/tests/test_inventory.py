import warnings

import pytest

from inventory.orders import place_order
from inventory.report import stock_report
from inventory.store import OutOfStock, Store


@pytest.fixture
def store() -> Store:
    return Store({"apple": 5, "pear": 2})


def test_quantity_of(store: Store) -> None:
    assert store.quantity_of("apple") == 5
    assert store.quantity_of("kiwi") == 0


def test_get_qty_still_works_but_warns(store: Store) -> None:
    with pytest.warns(DeprecationWarning, match="quantity_of"):
        assert store.get_qty("pear") == 2


def test_the_package_no_longer_calls_get_qty(store: Store) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        place_order(store, {"apple": 2})
        assert stock_report(store) == ["apple: 3", "pear: 2  LOW"]
        with pytest.raises(OutOfStock):
            place_order(store, {"pear": 5})
        store.take("apple", 1)


def test_an_order_that_cannot_be_met_takes_nothing(store: Store) -> None:
    with pytest.raises(OutOfStock, match="pear"):
        place_order(store, {"apple": 1, "pear": 3})
    assert store.quantity_of("apple") == 5
