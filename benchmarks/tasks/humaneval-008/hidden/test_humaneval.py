"""HumanEval HumanEval/8: the package's own check, run by pytest."""

from sum_product import *  # noqa: F403
from sum_product import sum_product

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate([]) == (0, 1)
    assert candidate([1, 1, 1]) == (3, 1)
    assert candidate([100, 0]) == (100, 0)
    assert candidate([3, 5, 7]) == (3 + 5 + 7, 3 * 5 * 7)
    assert candidate([10]) == (10, 10)


def test_sum_product() -> None:
    check(sum_product)
