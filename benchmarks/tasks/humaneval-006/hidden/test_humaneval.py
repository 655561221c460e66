"""HumanEval HumanEval/6: the package's own check, run by pytest."""

from parse_nested_parens import *  # noqa: F403
from parse_nested_parens import parse_nested_parens

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate('(()()) ((())) () ((())()())') == [2, 3, 1, 3]
    assert candidate('() (()) ((())) (((())))') == [1, 2, 3, 4]
    assert candidate('(()(())((())))') == [4]


def test_parse_nested_parens() -> None:
    check(parse_nested_parens)
