"""HumanEval HumanEval/9: the package's own check, run by pytest."""

from rolling_max import *  # noqa: F403
from rolling_max import rolling_max

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate([]) == []
    assert candidate([1, 2, 3, 4]) == [1, 2, 3, 4]
    assert candidate([4, 3, 2, 1]) == [4, 4, 4, 4]
    assert candidate([3, 2, 3, 100, 3]) == [3, 3, 3, 100, 100]


def test_rolling_max() -> None:
    check(rolling_max)
