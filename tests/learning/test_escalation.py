"""Escalation never serves a task on a model cheaper than the one that failed before it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from router.routing.auto.escalation import escalate
from router.routing.auto.policy import choose, choose_without_scores
from router.routing.auto.types import ScoredCandidate


def row(slug: str, cost: float, eligible: bool = True) -> ScoredCandidate:
    return ScoredCandidate(slug=slug, cost=cost, score=0.9, eligible=eligible)


ROWS = (row("cheap", 0.1), row("mid", 1.0), row("mid2", 1.0), row("strong", 5.0))


def allowed(rows: tuple[ScoredCandidate, ...]) -> list[str]:
    return [r.slug for r in rows if r.eligible]


def test_one_step_up_from_the_cheapest() -> None:
    assert allowed(escalate(ROWS, "cheap", 1)) == ["mid", "mid2", "strong"]


def test_two_steps_up_and_past_the_top() -> None:
    assert allowed(escalate(ROWS, "cheap", 2)) == ["strong"]
    assert allowed(escalate(ROWS, "cheap", 5)) == ["strong"]


def test_the_strongest_failing_keeps_the_strongest() -> None:
    assert allowed(escalate(ROWS, "strong", 1)) == ["strong"]


def test_zero_steps_change_nothing() -> None:
    assert escalate(ROWS, "cheap", 0) == ROWS


def test_the_others_say_why() -> None:
    cheap = escalate(ROWS, "mid", 1)[0]
    assert not cheap.eligible and "escalated" in (cheap.why_not or "")


candidate_rows = st.lists(
    st.tuples(st.sampled_from([0.1, 0.5, 1.0, 2.0, 5.0]), st.floats(0, 1), st.booleans()),
    min_size=1,
    max_size=6,
)


@given(candidate_rows, st.integers(0, 5), st.integers(1, 4), st.floats(0, 1))
def test_never_cheaper_than_the_model_that_failed(
    spec: list[tuple[float, float, bool]], failed_index: int, steps: int, threshold: float
) -> None:
    rows = tuple(
        ScoredCandidate(slug=f"m{i}", cost=cost, score=score, eligible=eligible)
        for i, (cost, score, eligible) in enumerate(spec)
    )
    failed = rows[failed_index % len(rows)]
    if not failed.eligible:
        return
    escalated = escalate(rows, failed.slug, steps)
    costs = {r.slug: r.cost for r in rows}
    for result in (choose(escalated, threshold), choose_without_scores(escalated, None)):
        assert costs[result.chosen] >= failed.cost
        if any(r.eligible and r.cost > failed.cost for r in rows):
            assert costs[result.chosen] > failed.cost
