"""HumanEval HumanEval/46: the package's own check, run by pytest."""

from fib4 import *  # noqa: F403
from fib4 import fib4

METADATA = {}


def check(candidate):
    assert candidate(5) == 4
    assert candidate(8) == 28
    assert candidate(10) == 104
    assert candidate(12) == 386


def test_fib4() -> None:
    check(fib4)
