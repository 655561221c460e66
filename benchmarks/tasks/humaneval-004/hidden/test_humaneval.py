"""HumanEval HumanEval/4: the package's own check, run by pytest."""

from mean_absolute_deviation import *  # noqa: F403
from mean_absolute_deviation import mean_absolute_deviation

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert abs(candidate([1.0, 2.0, 3.0]) - 2.0/3.0) < 1e-6
    assert abs(candidate([1.0, 2.0, 3.0, 4.0]) - 1.0) < 1e-6
    assert abs(candidate([1.0, 2.0, 3.0, 4.0, 5.0]) - 6.0/5.0) < 1e-6


def test_mean_absolute_deviation() -> None:
    check(mean_absolute_deviation)
