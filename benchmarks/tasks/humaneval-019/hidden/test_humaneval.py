"""HumanEval HumanEval/19: the package's own check, run by pytest."""

from sort_numbers import *  # noqa: F403
from sort_numbers import sort_numbers

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate('') == ''
    assert candidate('three') == 'three'
    assert candidate('three five nine') == 'three five nine'
    assert candidate('five zero four seven nine eight') == 'zero four five seven eight nine'
    assert candidate('six five four three two one zero') == 'zero one two three four five six'


def test_sort_numbers() -> None:
    check(sort_numbers)
