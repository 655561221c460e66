"""The AutoRouter: decisions, the cache, failures, cooldowns and compaction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from router.routing.auto.cache import TURN_IDLE_SECONDS
from router.routing.auto.router import AutoRouter
from router.routing.auto.types import NoEligibleCandidate
from tests.router.auto.helpers import (
    FakeClock,
    ScriptedClassifier,
    fresh_key,
    make_settings,
    server_error,
    shown_labels,
    user_body,
)

EASY = {"mini": 0.9, "mid": 0.95, "max": 0.99}
HARD = {"mini": 0.2, "mid": 0.5, "max": 0.9}


def router(
    call: ScriptedClassifier, *, clock: FakeClock | None = None, **config: Any
) -> AutoRouter:
    return AutoRouter(make_settings(**config), call, clock=clock or FakeClock())


# -- choosing ------------------------------------------------------------------------


async def test_a_trivial_task_stays_cheap() -> None:
    decision = await router(ScriptedClassifier(EASY)).decide(fresh_key(), user_body())
    assert (decision.chosen, decision.reason, decision.cache_hit) == ("mini", "scored", False)
    assert decision.order == ("mini", "mid", "max")
    assert decision.classifier_tokens == 150
    assert decision.classifier_error is None


async def test_a_hard_task_escalates() -> None:
    decision = await router(ScriptedClassifier(HARD)).decide(fresh_key(), user_body())
    assert (decision.chosen, decision.reason) == ("max", "scored")


async def test_below_the_threshold_the_best_score_wins() -> None:
    call = ScriptedClassifier({"mini": 0.1, "mid": 0.6, "max": 0.5})
    decision = await router(call).decide(fresh_key(), user_body())
    assert (decision.chosen, decision.reason) == ("mid", "below_threshold")
    assert decision.order == ("mid", "max", "mini")


async def test_the_table_lists_every_candidate_with_score_and_eligibility() -> None:
    call = ScriptedClassifier(EASY)
    decision = await router(call).decide(fresh_key(), user_body("describe it", image=True))
    rows = {row.slug: row for row in decision.candidates}
    assert (rows["mini"].eligible, rows["mini"].why_not, rows["mini"].score) == (
        False,
        "no image support",
        None,
    )
    assert rows["mid"].score == 0.95 and rows["mid"].eligible
    assert decision.chosen == "mid"
    assert decision.threshold == 0.7


async def test_an_image_task_never_goes_to_a_text_only_model() -> None:
    call = ScriptedClassifier({"mini": 1.0, "mid": 0.1, "max": 0.1})
    decision = await router(call).decide(fresh_key(), user_body(image=True))
    assert "mini" not in decision.order
    assert sorted(shown_labels(call.calls[0][1]).values()) == ["max", "mid"]


async def test_an_image_task_without_an_image_model_is_refused_with_the_reason() -> None:
    only_text: dict[str, Any] = {"candidates": [{"slug": "mini", "cost": 1, "card": "small"}]}
    call = ScriptedClassifier(EASY)
    with pytest.raises(NoEligibleCandidate) as caught:
        await router(call, **only_text).decide(fresh_key(), user_body(image=True))
    assert caught.value.reason == (
        "the task includes an image and no Auto candidate supports images"
    )
    assert call.calls == []


async def test_a_request_too_big_for_a_window_skips_that_model() -> None:
    decision = await router(ScriptedClassifier(EASY)).decide(fresh_key(), user_body("x " * 80_000))
    mini = next(row for row in decision.candidates if row.slug == "mini")
    assert not mini.eligible
    assert mini.why_not is not None and mini.why_not.startswith("context 32000 < request ~")
    assert decision.chosen == "mid"


async def test_a_label_the_classifier_skipped_does_not_clear_the_threshold() -> None:
    decision = await router(ScriptedClassifier({"max": 0.8})).decide(fresh_key(), user_body())
    assert (decision.chosen, decision.reason) == ("max", "scored")
    assert {row.slug: row.score for row in decision.candidates} == {
        "mini": None,
        "mid": None,
        "max": 0.8,
    }


# -- the cache -----------------------------------------------------------------------


async def test_later_requests_of_the_task_reuse_the_decision() -> None:
    call = ScriptedClassifier(EASY)
    auto = router(call)
    first = await auto.decide(fresh_key(), user_body())
    again = await auto.decide(fresh_key(), user_body())
    assert len(call.calls) == 1
    assert (again.chosen, again.reason, again.cache_hit) == ("mini", "cache_hit", True)
    assert again.candidates == first.candidates
    assert again.order == first.order


async def test_a_new_turn_is_decided_afresh() -> None:
    call = ScriptedClassifier(EASY)
    auto = router(call)
    await auto.decide(fresh_key("turn-1"), user_body())
    call.scores = HARD
    decision = await auto.decide(fresh_key("turn-2"), user_body("redesign the storage layer"))
    assert (decision.chosen, decision.cache_hit) == ("max", False)
    assert len(call.calls) == 2


async def test_concurrent_requests_of_a_new_task_make_one_classifier_call() -> None:
    call = ScriptedClassifier(EASY)
    call.gate = asyncio.Event()
    auto = router(call)
    waiting = [asyncio.create_task(auto.decide(fresh_key(), user_body())) for _ in range(5)]
    await asyncio.sleep(0)
    call.gate.set()
    decisions = await asyncio.gather(*waiting)
    assert len(call.calls) == 1
    assert {d.chosen for d in decisions} == {"mini"}
    assert sum(not d.cache_hit for d in decisions) == 1


async def test_a_cancelled_first_request_does_not_cancel_the_shared_decision() -> None:
    call = ScriptedClassifier(EASY)
    call.gate = asyncio.Event()
    auto = router(call)
    first = asyncio.create_task(auto.decide(fresh_key(), user_body()))
    await asyncio.sleep(0)
    second = asyncio.create_task(auto.decide(fresh_key(), user_body()))
    await asyncio.sleep(0)
    first.cancel()
    call.gate.set()
    assert (await second).chosen == "mini"
    assert len(call.calls) == 1


async def test_the_cache_forgets_after_its_ttl_but_a_busy_task_keeps_its_decision() -> None:
    clock = FakeClock()
    call = ScriptedClassifier(EASY)
    auto = router(call, clock=clock, cache_ttl=100.0)
    await auto.decide(fresh_key(), user_body())
    for _ in range(5):  # round trips keep refreshing the entry
        clock.advance(80)
        assert (await auto.decide(fresh_key(), user_body())).cache_hit
    clock.advance(101)
    assert not (await auto.decide(fresh_key(), user_body())).cache_hit
    assert len(call.calls) == 2


async def test_cache_false_keeps_a_decision_only_for_the_live_turn() -> None:
    clock = FakeClock()
    call = ScriptedClassifier(EASY)
    auto = router(call, clock=clock, cache=False)
    await auto.decide(fresh_key(), user_body())
    clock.advance(TURN_IDLE_SECONDS - 1)
    assert (await auto.decide(fresh_key(), user_body())).cache_hit  # a slow tool call
    clock.advance(TURN_IDLE_SECONDS + 1)
    assert not (await auto.decide(fresh_key(), user_body())).cache_hit


async def test_reloaded_settings_keep_the_cache_only_if_the_router_is_unchanged() -> None:
    call = ScriptedClassifier(EASY)
    auto = router(call)
    await auto.decide(fresh_key(), user_body())
    auto.update_settings(make_settings())
    assert (await auto.decide(fresh_key(), user_body())).cache_hit
    auto.update_settings(make_settings(threshold=0.95))
    decision = await auto.decide(fresh_key(), user_body())
    assert not decision.cache_hit
    assert (decision.chosen, decision.threshold) == ("mid", 0.95)


async def test_preview_neither_reads_nor_fills_the_cache() -> None:
    call = ScriptedClassifier(EASY)
    auto = router(call)
    previewed = await auto.preview(user_body())
    assert previewed.task == "preview"
    assert not (await auto.decide(fresh_key(), user_body())).cache_hit
    await auto.preview(user_body())
    assert len(call.calls) == 3


# -- classifier failures -------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (ScriptedClassifier(hang=True), "timed out after 0.05s"),
        (ScriptedClassifier(error=server_error()), "upstream error 500 server_error"),
        (ScriptedClassifier(text="I think B is best."), "no usable score"),
        (ScriptedClassifier(text='{"A": 0.9, "B":'), "no usable score"),
        (ScriptedClassifier(text='{"scores": {"Q": 0.9}}'), "no usable score"),
    ],
    ids=["timeout", "upstream-500", "garbage", "partial-json", "no-known-label"],
)
async def test_a_failing_classifier_falls_back_to_the_default(
    call: ScriptedClassifier, error: str
) -> None:
    auto = router(call, default="mid", classifier_timeout=0.05)
    decision = await auto.decide(fresh_key(), user_body())
    assert (decision.chosen, decision.reason) == ("mid", "classifier_failed")
    assert decision.classifier_error is not None and error in decision.classifier_error
    assert decision.order[0] == "mid"
    assert all(row.score is None for row in decision.candidates)


async def test_an_ineligible_default_gives_way_to_the_cheapest_eligible() -> None:
    call = ScriptedClassifier(error=server_error())
    decision = await router(call, default="mini").decide(fresh_key(), user_body(image=True))
    assert (decision.chosen, decision.reason) == ("mid", "classifier_failed")


async def test_without_a_default_the_cheapest_eligible_serves() -> None:
    decision = await router(ScriptedClassifier(text="??")).decide(fresh_key(), user_body())
    assert decision.chosen == "mini"


async def test_a_default_outside_the_candidates_can_serve() -> None:
    call = ScriptedClassifier(error=server_error())
    decision = await router(call, default="judge").decide(fresh_key(), user_body())
    assert decision.chosen == "judge"
    assert "judge" in {row.slug for row in decision.candidates}


async def test_a_classifier_failure_is_cached_like_any_decision() -> None:
    call = ScriptedClassifier(error=server_error())
    auto = router(call, default="mid")
    await auto.decide(fresh_key(), user_body())
    again = await auto.decide(fresh_key(), user_body())
    assert (again.chosen, again.cache_hit) == ("mid", True)
    assert len(call.calls) == 1


# -- cooldowns and fallbacks ---------------------------------------------------------


async def test_fallbacks_follow_the_order_up_to_the_attempt_limit() -> None:
    auto = router(ScriptedClassifier(EASY), fallback_attempts=1)
    decision = await auto.decide(fresh_key(), user_body())
    assert auto.fallbacks(decision) == ["mid"]


async def test_a_failed_model_is_skipped_during_its_cooldown_and_returns_after() -> None:
    clock = FakeClock()
    auto = router(ScriptedClassifier(EASY), clock=clock, cooldown=60.0)
    auto.report_failure("mini")
    cooling = await auto.decide(fresh_key("t1"), user_body())
    assert cooling.chosen == "mid"
    assert cooling.order == ("mid", "max", "mini")
    assert auto.fallbacks(cooling) == ["max"]
    clock.advance(61)
    assert (await auto.decide(fresh_key("t2"), user_body())).chosen == "mini"


async def test_a_success_ends_the_cooldown() -> None:
    auto = router(ScriptedClassifier(EASY), cooldown=60.0)
    auto.report_failure("mini")
    auto.report_success("mini")
    assert (await auto.decide(fresh_key(), user_body())).chosen == "mini"


async def test_when_everything_is_cooling_down_it_is_still_used() -> None:
    auto = router(ScriptedClassifier(EASY), cooldown=60.0)
    for slug in ("mini", "mid", "max"):
        auto.report_failure(slug)
    decision = await auto.decide(fresh_key(), user_body())
    assert decision.chosen == "mini"
    assert auto.fallbacks(decision) == ["mid", "max"]


async def test_a_cached_task_moves_off_a_model_that_failed_and_stays_moved() -> None:
    clock = FakeClock()
    auto = router(ScriptedClassifier(EASY), clock=clock, cooldown=60.0)
    await auto.decide(fresh_key(), user_body())
    auto.report_failure("mini")
    moved = await auto.decide(fresh_key(), user_body())
    assert (moved.chosen, moved.reason, moved.cache_hit) == ("mid", "fallback", True)
    clock.advance(61)  # mini is back, but this task's round trips stay on mid
    assert (await auto.decide(fresh_key(), user_body())).chosen == "mid"


def test_with_fallback_puts_the_new_model_first() -> None:
    from router.routing.auto.types import RouteDecision

    decision = RouteDecision("t", "mini", "scored", (), 0.7, ("mini", "mid", "max"))
    moved = decision.with_fallback("max")
    assert (moved.chosen, moved.reason, moved.order) == ("max", "fallback", ("max", "mini", "mid"))


# -- compaction ----------------------------------------------------------------------


async def test_compaction_uses_the_tasks_model_without_a_classifier_call() -> None:
    call = ScriptedClassifier(HARD)
    auto = router(call, compaction_model="mini")
    await auto.decide(fresh_key(), user_body())
    decision = await auto.decide(fresh_key(kind="compaction"), user_body("summarise"))
    assert (decision.chosen, decision.reason) == ("max", "compaction")
    assert len(call.calls) == 1


@pytest.mark.parametrize(
    ("config", "chosen"),
    [
        ({"compaction_model": "judge", "default": "mid"}, "judge"),
        ({"default": "max"}, "max"),
        ({}, "mini"),
    ],
)
async def test_compaction_of_an_unknown_task_needs_no_classifier(
    config: dict[str, Any], chosen: str
) -> None:
    call = ScriptedClassifier(EASY)
    auto = router(call, **config)
    decision = await auto.decide_compaction(fresh_key("other"), user_body("summarise"))
    assert (decision.chosen, decision.reason) == (chosen, "compaction")
    assert call.calls == []


async def test_compaction_does_not_decide_the_rest_of_the_turn() -> None:
    call = ScriptedClassifier(HARD)
    auto = router(call, compaction_model="mini")
    await auto.decide(fresh_key(kind="compaction"), user_body())
    assert (await auto.decide(fresh_key(), user_body())).chosen == "max"


# -- the log line --------------------------------------------------------------------


async def test_log_fields_carry_the_whole_decision() -> None:
    decision = await router(ScriptedClassifier(EASY)).decide(fresh_key(), user_body())
    fields = decision.log_fields()
    assert fields["event"] == "route"
    assert fields["task"] == "codex:session:turn-1"
    assert fields["chosen"] == "mini"
    assert fields["reason"] == "scored"
    assert fields["cache_hit"] is False
    assert fields["threshold"] == 0.7
    assert fields["classifier_tokens"] == 150
    assert fields["classifier_error"] is None
    assert fields["candidates"][0] == {
        "slug": "mini",
        "score": 0.9,
        "raw_score": 0.9,
        "eligible": True,
        "why_not": None,
    }
    assert fields["calibration"] == 0 and fields["escalated_from"] is None
    assert "cost" not in str(fields)
