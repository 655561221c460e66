"""Small helpers for lists of recent events."""

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def last_n(items: Sequence[T], n: int) -> list[T]:
    """The last `n` items, oldest first; all of them when there are fewer than `n`."""
    if n <= 0:
        return []
    return list(items[-n - 1 :])


def first_n(items: Sequence[T], n: int) -> list[T]:
    """The first `n` items."""
    return list(items[: max(n, 0)])
