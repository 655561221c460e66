"""HumanEval HumanEval/18: the package's own check, run by pytest."""

from how_many_times import *  # noqa: F403
from how_many_times import how_many_times

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate('', 'x') == 0
    assert candidate('xyxyxyx', 'x') == 4
    assert candidate('cacacacac', 'cac') == 4
    assert candidate('john doe', 'john') == 1


def test_how_many_times() -> None:
    check(how_many_times)
