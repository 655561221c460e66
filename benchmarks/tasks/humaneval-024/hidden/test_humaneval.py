"""HumanEval HumanEval/24: the package's own check, run by pytest."""

from largest_divisor import *  # noqa: F403
from largest_divisor import largest_divisor

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate(3) == 1
    assert candidate(7) == 1
    assert candidate(10) == 5
    assert candidate(100) == 50
    assert candidate(49) == 7


def test_largest_divisor() -> None:
    check(largest_divisor)
