from listutil import first_n, last_n


def test_last_two() -> None:
    assert last_n([1, 2, 3, 4], 2) == [3, 4]


def test_fewer_items_than_asked() -> None:
    assert last_n([1], 3) == [1]


def test_zero_gives_nothing() -> None:
    assert last_n([1, 2], 0) == []


def test_first_n() -> None:
    assert first_n([1, 2, 3], 2) == [1, 2]
