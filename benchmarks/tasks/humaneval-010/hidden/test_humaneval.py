"""HumanEval HumanEval/10: the package's own check, run by pytest."""

from make_palindrome import *  # noqa: F403
from make_palindrome import make_palindrome

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate('') == ''
    assert candidate('x') == 'x'
    assert candidate('xyz') == 'xyzyx'
    assert candidate('xyx') == 'xyx'
    assert candidate('jerry') == 'jerryrrej'


def test_make_palindrome() -> None:
    check(make_palindrome)
