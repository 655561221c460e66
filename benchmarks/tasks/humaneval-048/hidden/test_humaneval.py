"""HumanEval HumanEval/48: the package's own check, run by pytest."""

from is_palindrome import *  # noqa: F403
from is_palindrome import is_palindrome

METADATA = {}


def check(candidate):
    assert candidate('') == True
    assert candidate('aba') == True
    assert candidate('aaaaa') == True
    assert candidate('zbcd') == False
    assert candidate('xywyx') == True
    assert candidate('xywyz') == False
    assert candidate('xywzx') == False


def test_is_palindrome() -> None:
    check(is_palindrome)
