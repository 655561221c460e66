"""HumanEval HumanEval/75: the package's own check, run by pytest."""

from is_multiply_prime import *  # noqa: F403
from is_multiply_prime import is_multiply_prime

def check(candidate):

    assert candidate(5) == False
    assert candidate(30) == True
    assert candidate(8) == True
    assert candidate(10) == False
    assert candidate(125) == True
    assert candidate(3 * 5 * 7) == True
    assert candidate(3 * 6 * 7) == False
    assert candidate(9 * 9 * 9) == False
    assert candidate(11 * 9 * 9) == False
    assert candidate(11 * 13 * 7) == True


def test_is_multiply_prime() -> None:
    check(is_multiply_prime)
