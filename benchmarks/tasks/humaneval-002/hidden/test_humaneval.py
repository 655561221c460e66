"""HumanEval HumanEval/2: the package's own check, run by pytest."""

from truncate_number import *  # noqa: F403
from truncate_number import truncate_number

METADATA = {
    'author': 'jt',
    'dataset': 'test'
}


def check(candidate):
    assert candidate(3.5) == 0.5
    assert abs(candidate(1.33) - 0.33) < 1e-6
    assert abs(candidate(123.456) - 0.456) < 1e-6


def test_truncate_number() -> None:
    check(truncate_number)
