"""The routing policy, by example and by property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.routing.auto.eligibility import CandidateSpec, assess
from router.routing.auto.policy import choose, choose_without_scores
from router.routing.auto.types import NoEligibleCandidate, ScoredCandidate

THRESHOLD = 0.7


def row(slug: str, cost: float, score: float | None, eligible: bool = True) -> ScoredCandidate:
    return ScoredCandidate(slug, cost, score, eligible, None if eligible else "no image support")


def test_the_cheapest_candidate_that_clears_the_threshold_wins() -> None:
    rows = [row("max", 20, 0.95), row("mini", 1, 0.75), row("mid", 4, 0.9)]
    result = choose(rows, THRESHOLD)
    assert result.chosen == "mini"
    assert result.cleared
    assert result.order == ("mini", "mid", "max")


def test_without_a_clearing_score_the_best_scored_candidate_wins() -> None:
    rows = [row("mini", 1, 0.2), row("mid", 4, 0.5), row("max", 20, 0.6)]
    result = choose(rows, THRESHOLD)
    assert (result.chosen, result.cleared) == ("max", False)
    assert result.order == ("max", "mid", "mini")


def test_order_puts_clearing_candidates_by_cost_then_the_rest_by_score() -> None:
    rows = [row("a", 5, 0.9), row("b", 1, 0.8), row("c", 2, 0.3), row("d", 3, 0.6)]
    assert choose(rows, THRESHOLD).order == ("b", "a", "d", "c")


def test_cost_ties_go_to_the_higher_score_then_configuration_order() -> None:
    assert choose([row("a", 1, 0.8), row("b", 1, 0.9)], THRESHOLD).chosen == "b"
    assert choose([row("a", 1, 0.8), row("b", 1, 0.8)], THRESHOLD).chosen == "a"


def test_score_ties_below_the_threshold_go_to_the_cheaper() -> None:
    assert choose([row("a", 9, 0.5), row("b", 2, 0.5)], THRESHOLD).chosen == "b"


def test_an_unscored_candidate_never_beats_a_scored_one() -> None:
    result = choose([row("cheap", 1, None), row("pricey", 9, 0.1)], THRESHOLD)
    assert result.order == ("pricey", "cheap")


def test_ineligible_candidates_are_never_chosen_or_ordered() -> None:
    result = choose([row("mini", 1, 1.0, eligible=False), row("mid", 4, 0.8)], THRESHOLD)
    assert result.order == ("mid",)


def test_no_eligible_candidate_names_the_reason() -> None:
    with pytest.raises(NoEligibleCandidate) as caught:
        choose([row("mini", 1, 0.9, eligible=False)], THRESHOLD)
    assert caught.value.reason == (
        "the task includes an image and no Auto candidate supports images"
    )


def test_mixed_reasons_are_listed_per_candidate() -> None:
    rows = [
        ScoredCandidate("mini", 1, None, False, "context 32000 < request ~45000 tokens"),
        ScoredCandidate("mid", 4, None, False, "no image support"),
    ]
    with pytest.raises(NoEligibleCandidate, match="mini: context 32000 < request ~45000 tokens"):
        choose(rows, THRESHOLD)


def test_without_scores_the_preferred_model_comes_first_then_by_cost() -> None:
    rows = [row("max", 20, None), row("mini", 1, None), row("mid", 4, None)]
    assert choose_without_scores(rows, "mid").order == ("mid", "mini", "max")
    assert choose_without_scores(rows, None).order == ("mini", "mid", "max")


def test_without_scores_an_ineligible_preferred_model_is_passed_over() -> None:
    rows = [row("mini", 1, None), row("mid", 4, None, eligible=False)]
    assert choose_without_scores(rows, "mid").chosen == "mini"


# -- properties ----------------------------------------------------------------------

scores = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0))
costs = st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0, 20.0])


@st.composite
def candidate_lists(draw: st.DrawFn) -> list[ScoredCandidate]:
    size = draw(st.integers(min_value=1, max_value=7))
    return [
        ScoredCandidate(f"m{i}", draw(costs), draw(scores), draw(st.booleans()))
        for i in range(size)
    ]


@settings(max_examples=150, deadline=None)
@given(candidate_lists(), st.floats(min_value=0.0, max_value=1.0))
def test_property_the_choice_is_eligible_and_cheapest_among_clearing(
    rows: list[ScoredCandidate], threshold: float
) -> None:
    eligible = [r for r in rows if r.eligible]
    if not eligible:
        with pytest.raises(NoEligibleCandidate):
            choose(rows, threshold)
        return
    result = choose(rows, threshold)
    by_slug = {r.slug: r for r in rows}
    chosen = by_slug[result.chosen]
    assert chosen.eligible
    clearing = [r for r in eligible if r.score is not None and r.score >= threshold]
    if clearing:
        assert result.cleared
        assert chosen.score is not None and chosen.score >= threshold
        assert chosen.cost == min(r.cost for r in clearing)
    else:
        assert not result.cleared
        best = max((r.score for r in eligible if r.score is not None), default=None)
        assert chosen.score == best


@settings(max_examples=150, deadline=None)
@given(candidate_lists(), st.floats(min_value=0.0, max_value=1.0))
def test_property_the_order_holds_each_eligible_candidate_once_chosen_first(
    rows: list[ScoredCandidate], threshold: float
) -> None:
    if not any(r.eligible for r in rows):
        return
    result = choose(rows, threshold)
    assert result.order[0] == result.chosen
    assert sorted(result.order) == sorted(r.slug for r in rows if r.eligible)


@st.composite
def specs_and_scores(draw: st.DrawFn) -> tuple[list[CandidateSpec], dict[str, float]]:
    size = draw(st.integers(min_value=1, max_value=6))
    specs = [
        CandidateSpec(
            slug=f"m{i}",
            cost=draw(costs),
            supports_images=draw(st.booleans()),
            context_limit=draw(st.one_of(st.none(), st.sampled_from([8000, 32000, 200000]))),
            card=f"card {i}",
        )
        for i in range(size)
    ]
    given_scores = {s.slug: draw(st.floats(min_value=0.0, max_value=1.0)) for s in specs}
    return specs, given_scores


@settings(max_examples=150, deadline=None)
@given(specs_and_scores(), st.integers(min_value=0, max_value=300000), st.floats(0.0, 1.0))
def test_property_image_tasks_never_reach_a_text_only_model(
    case: tuple[list[CandidateSpec], dict[str, float]], tokens: int, threshold: float
) -> None:
    specs, given_scores = case
    rows = [
        ScoredCandidate(r.slug, r.cost, given_scores[r.slug], r.eligible, r.why_not)
        for r in assess(specs, image=True, request_tokens=tokens)
    ]
    text_only = {s.slug for s in specs if not s.supports_images}
    too_small = {s.slug for s in specs if s.context_limit is not None and s.context_limit < tokens}
    try:
        result = choose(rows, threshold)
    except NoEligibleCandidate:
        assert all(s.slug in text_only | too_small for s in specs)
        return
    assert not set(result.order) & text_only
    assert not set(result.order) & too_small
    fallback = choose_without_scores(rows, specs[0].slug)
    assert not set(fallback.order) & text_only
