"""HumanEval HumanEval/35: the package's own check, run by pytest."""

from max_element import *  # noqa: F403
from max_element import max_element

METADATA = {}


def check(candidate):
    assert candidate([1, 2, 3]) == 3
    assert candidate([5, 3, -5, 2, -3, 3, 9, 0, 124, 1, -10]) == 124


def test_max_element() -> None:
    check(max_element)
