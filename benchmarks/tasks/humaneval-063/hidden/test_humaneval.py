"""HumanEval HumanEval/63: the package's own check, run by pytest."""

from fibfib import *  # noqa: F403
from fibfib import fibfib

METADATA = {}


def check(candidate):
    assert candidate(2) == 1
    assert candidate(1) == 0
    assert candidate(5) == 4
    assert candidate(8) == 24
    assert candidate(10) == 81
    assert candidate(12) == 274
    assert candidate(14) == 927


def test_fibfib() -> None:
    check(fibfib)
