"""HumanEval HumanEval/106: the package's own check, run by pytest."""

from f import *  # noqa: F403
from f import f

def check(candidate):

    assert candidate(5) == [1, 2, 6, 24, 15]
    assert candidate(7) == [1, 2, 6, 24, 15, 720, 28]
    assert candidate(1) == [1]
    assert candidate(3) == [1, 2, 6]


def test_f() -> None:
    check(f)
