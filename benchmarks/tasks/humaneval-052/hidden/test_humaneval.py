"""HumanEval HumanEval/52: the package's own check, run by pytest."""

from below_threshold import *  # noqa: F403
from below_threshold import below_threshold

METADATA = {}


def check(candidate):
    assert candidate([1, 2, 4, 10], 100)
    assert not candidate([1, 20, 4, 10], 5)
    assert candidate([1, 20, 4, 10], 21)
    assert candidate([1, 20, 4, 10], 22)
    assert candidate([1, 8, 4, 10], 11)
    assert not candidate([1, 8, 4, 10], 10)


def test_below_threshold() -> None:
    check(below_threshold)
