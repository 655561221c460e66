"""HumanEval HumanEval/15: the package's own check, run by pytest."""

from string_sequence import *  # noqa: F403
from string_sequence import string_sequence

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate(0) == '0'
    assert candidate(3) == '0 1 2 3'
    assert candidate(10) == '0 1 2 3 4 5 6 7 8 9 10'


def test_string_sequence() -> None:
    check(string_sequence)
