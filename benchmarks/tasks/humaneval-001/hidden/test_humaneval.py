"""HumanEval HumanEval/1: the package's own check, run by pytest."""

from separate_paren_groups import *  # noqa: F403
from separate_paren_groups import separate_paren_groups

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate('(()()) ((())) () ((())()())') == [
        '(()())', '((()))', '()', '((())()())'
    ]
    assert candidate('() (()) ((())) (((())))') == [
        '()', '(())', '((()))', '(((())))'
    ]
    assert candidate('(()(())((())))') == [
        '(()(())((())))'
    ]
    assert candidate('( ) (( )) (( )( ))') == ['()', '(())', '(()())']


def test_separate_paren_groups() -> None:
    check(separate_paren_groups)
