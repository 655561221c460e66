"""HumanEval HumanEval/5: the package's own check, run by pytest."""

from intersperse import *  # noqa: F403
from intersperse import intersperse

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate([], 7) == []
    assert candidate([5, 6, 3, 2], 8) == [5, 8, 6, 8, 3, 8, 2]
    assert candidate([2, 2, 2], 2) == [2, 2, 2, 2, 2]


def test_intersperse() -> None:
    check(intersperse)
